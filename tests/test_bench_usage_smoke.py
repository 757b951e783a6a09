"""The usage-counting benchmark runs end to end at its smoke scale (figures are reported, not asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from test_bench_smoke import run_smoke


@pytest.mark.slow  # three servers, 30 recalls each
def test_the_usage_benchmark_reports_counting_off_on_and_with_extension_side_by_side(tmp_path: Path) -> None:
    text = run_smoke("bench.usage_latency", tmp_path / "USAGE-smoke.md")
    rows = [line for line in text.splitlines() if line.startswith("| counting")]
    assert [row.split(" | ")[0] for row in rows] == [
        "| counting off",
        "| counting on (default)",
        "| counting on, recall-aware expiry on",
    ]
    assert rows[0].endswith("| 0 |") and not rows[1].endswith("| 0 |")  # off counts nothing, on counts
    assert "Counting on / off, p50: " in text
