"""Running the console script as a subprocess for the command-line tests: its environment (a timezone that is not
UTC), the call, what a success and a one-line error look like, and the JSON lines that `import` reads."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from expiring_memory_mcp.retention import iso
from support import SCRIPT, server_env

LOCAL_TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d JST"  # the tests run the CLI in Asia/Tokyo


def cli_env(tmp_path: Path, data_dir: Path) -> dict[str, str]:
    """The server's test environment (HOME and TMPDIR empty), with a timezone that is not UTC."""
    return server_env(tmp_path, data_dir, EXPIRING_MEMORY_TIMEZONE="Asia/Tokyo")


def script(
    env: dict[str, str], *args: str, stdin: str | None = None, **extra_env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCRIPT, *args],
        env={**env, **extra_env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def one_line_error(done: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert done.returncode == code, (done.stdout, done.stderr)
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("expiring-memory-mcp: error: "), done.stderr
    return lines[0]


def jsonl(entries: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(e) + "\n" for e in entries)


def later(**delta: float) -> str:
    return iso(datetime.now(UTC) + timedelta(**delta))
