"""A script run from bench/, tests/ or scripts/ has that folder first on sys.path, so a module there named like one of
the standard library's hides it from everything the script imports (bench/secrets.py once broke the MCP SDK's own
`from secrets import token_hex` in every benchmark server)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_module_in_bench_tests_or_scripts_is_named_like_a_standard_library_module() -> None:
    ours = {path.stem for folder in ("bench", "tests", "scripts", "mcpb") for path in (ROOT / folder).glob("*.py")}
    assert ours, "no modules found"
    assert sorted(ours & sys.stdlib_module_names) == []
