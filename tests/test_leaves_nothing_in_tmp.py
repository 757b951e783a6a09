"""Tests and benches leave nothing in the temporary folder: each run is given a TMPDIR of its own, which must be
empty once it has exited."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each test runs Python in a subprocess

ROOT = Path(__file__).resolve().parent.parent


def left_in_tmp(tmp_path: Path, *command: str) -> list[str]:
    """Run `command` from the checkout with a temporary folder of its own (it must succeed); what it left there."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("MEM0_DIR", "PYTEST_CURRENT_TEST", "PYTEST_ADDOPTS")}
    done = subprocess.run(
        command, cwd=ROOT, env={**env, "TMPDIR": str(tmp)}, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return os.listdir(tmp)


def test_a_pytest_session_leaves_nothing_in_tmp(tmp_path: Path) -> None:
    pytest_run = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "base")]
    assert left_in_tmp(tmp_path, *pytest_run, "tests/test_retention.py") == []  # before: expiring-memory-tests-mem0-*


def test_the_pgvector_bench_leaves_nothing_in_tmp(tmp_path: Path) -> None:
    assert (
        left_in_tmp(tmp_path, sys.executable, "-c", "import bench.pgvector") == []
    )  # before: expiring-memory-bench-pg-*
