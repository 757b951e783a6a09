"""The benchmark's smoke scale runs end to end (figures are reported, not asserted: see bench/RESULTS.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from bench.retrieval import REALTALK

ROOT = Path(__file__).parents[1]
# REALTALK is one more set wherever ../shared/realtalk is, as in CI; its slice is the first chat.
REALTALK_HEADINGS = ("## realtalk", "By half (chats 1–5 and 6–10") if REALTALK.is_dir() else ()
SETS = 4 if REALTALK.is_dir() else 3


def run_smoke(module: str, report: Path) -> str:
    """One benchmark at its smoke scale, as a subprocess; its report. It must succeed and print nothing to stdout."""
    done = subprocess.run(
        [sys.executable, "-m", module, "--scale", "smoke", "--out", str(report)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout == ""
    return report.read_text()


@pytest.mark.slow
def test_the_smoke_benchmark_writes_every_section_and_ours_never_starves(tmp_path: Path) -> None:
    text = run_smoke("bench.run", tmp_path / "RESULTS-smoke.md")
    for heading in (
        "## 1. Cold start",
        "## 2. Warm tool latency",
        "## 3. Starvation",
        "## 4. Cleanup",
        "## 5. Recall quality",
        "## 6. Throughput",
    ):
        assert heading in text
    starvation = text.split("## 3. Starvation", 1)[1].split("## 4.", 1)[0]
    rows = [line for line in starvation.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert rows and all(row.split(" | ")[1].startswith("finds it") for row in rows)


@pytest.mark.slow
def test_the_pgvector_smoke_benchmark_runs_and_ours_finds_the_live_memory_and_sweeps(tmp_path: Path) -> None:
    starvation = run_smoke("bench.pgvector", tmp_path / "PGVECTOR-smoke.md").split("## Starvation and sweep", 1)[1]
    rows = [line.split(" | ") for line in starvation.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert rows and all(row[1] == "found" and row[3].endswith("1 row left |") for row in rows)


@pytest.mark.slow
def test_the_quality_smoke_benchmark_reports_every_set_through_recall(tmp_path: Path) -> None:
    text = run_smoke("bench.quality", tmp_path / "QUALITY-smoke.md")
    for heading in ("## bench/data", "## conversations", "## multilingual", "By language:", *REALTALK_HEADINGS):
        assert heading in text
    rows = [line.strip("|").split("|") for line in text.splitlines() if line.startswith("| **default**")]
    main = [cells for cells in rows if len(cells) == 5]  # label, R@1, R@5, R@10, MRR: one table per set
    assert len(main) == SETS and all(float(cells[3]) > 0.3 for cells in main)


@pytest.mark.slow
def test_the_latency_smoke_benchmark_compares_both_sizes_and_profiles(tmp_path: Path) -> None:
    text = run_smoke("bench.latency", tmp_path / "LATENCY-smoke.md")
    assert "| this checkout |" in text and "p50 1,000 / 200" in text
    assert "store/fusion.py" in text and "store/sqlite.py" in text  # the profile names where the time goes


@pytest.mark.slow
def test_the_ceiling_smoke_benchmark_reproduces_the_three_rankings_and_reports_both_ceilings(tmp_path: Path) -> None:
    text = run_smoke("bench.ceiling", tmp_path / "CEILING-smoke.md")
    for heading in ("## bench/data", "## conversations", "## multilingual", *REALTALK_HEADINGS[:1]):
        assert heading in text
    for label in ("| **default**", "| dense only (cosine)", "| keyword only (BM25)"):
        assert text.count(label) == SETS  # one row per set
    header = "| queries | n | default R@10 | keyword only R@10 | dense only R@10 | candidate pool recall | best of"
    assert text.count(header) == SETS
    rows = [line.strip("|").split("|") for line in text.splitlines() if line.startswith("| all |")]
    assert len(rows) == SETS
    for cells in rows:  # the pool holds at least what the default finds; the oracle finds at least as much
        default, pool, oracle = float(cells[2]), float(cells[5]), float(cells[6])
        assert 0.3 < default <= oracle <= 1.0 and default <= pool <= 1.0
