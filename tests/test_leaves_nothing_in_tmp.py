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


def clean_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MEM0_DIR", "PYTEST_CURRENT_TEST", "PYTEST_ADDOPTS")}
    return {**env, "TMPDIR": str(tmp)}


def test_a_pytest_session_leaves_nothing_in_tmp(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "base")]
    done = subprocess.run(
        [*command, "tests/test_retention.py"],
        cwd=ROOT,
        env=clean_env(tmp),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert os.listdir(tmp) == []  # before: expiring-memory-tests-mem0-* stayed


def test_the_pgvector_bench_leaves_nothing_in_tmp(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", "import bench.pgvector"],
        cwd=ROOT,
        env=clean_env(tmp),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert os.listdir(tmp) == []  # before: expiring-memory-bench-pg-* stayed
