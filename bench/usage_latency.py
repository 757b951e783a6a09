"""Recall latency with and without usage counting, at 10k memories over stdio, in one run.

    python -m bench.usage_latency                    # writes bench/USAGE.md
    python -m bench.usage_latency --scale smoke      # 1k memories, fewer calls: bench/out/USAGE-smoke.md

Three servers of this checkout on copies of the same store: counting off (EXPIRING_MEMORY_COUNT_RECALLS=false),
counting on (the default), and counting on with recall-aware expiry (EXPIRING_MEMORY_EXTEND_ON_RECALL, which writes a
new expiry when a recall moves one). The recalls go round robin in a new shuffled order each round (as
`bench.latency` does), so the machine's noise falls on all of them alike. Issue 18 asks that counting keep recall's
p50 within 10% of the same run without it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import anyio

from bench import common, run
from bench.common import BIN, ROOT, Server, base_env, ms
from bench.latency import measure

SIZES = {"smoke": 1000, "full": 10_000}
CALLS = {"smoke": 30, "full": 300}
EXTEND = '{"session": 3, "chat": 14, "reminder": 1, "cache": 1}'
SERVERS = {
    "off": ("counting off", {"EXPIRING_MEMORY_COUNT_RECALLS": "false"}),
    "on": ("counting on (default)", {}),
    "extend": ("counting on, recall-aware expiry on", {"EXPIRING_MEMORY_EXTEND_ON_RECALL": EXTEND}),
}


def counted(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "memories.db") as db:
        (total,) = db.execute("SELECT coalesce(sum(recall_count), 0) FROM usage").fetchone()
    return int(total)


async def main_async(scale: str, path: Path) -> None:
    size, calls = SIZES[scale], CALLS[scale]
    texts, vectors = run.base_vectors()
    queries = [q["query"] for q in run.dataset()[1]]
    v, p, i = common.realistic_mix(size, datetime.now(UTC), texts, vectors)
    source = run.fresh("usage-source")
    run.preload_ours(source, v, p, i)
    servers: dict[tuple[str, int], Server] = {}
    for key, (name, extra) in SERVERS.items():
        data_dir = run.fresh(f"usage-{key}")
        shutil.copy(source / "memories.db", data_dir / "memories.db")
        servers[key, size] = Server(name, [str(BIN / "expiring-memory-mcp")], base_env(data_dir, **extra))
    samples = await measure(servers, queries, calls)
    off = samples["off", size]
    out = [
        f"# Recall latency with and without usage counting ({scale} scale)",
        "",
        (
            f"Written by `python -m bench.usage_latency{' --scale smoke' if scale == 'smoke' else ''}` on "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. {calls} `recall(limit=5)` calls per server over stdio, round "
            f"robin across the servers in a shuffled order each round, queries from `bench/data/queries.jsonl`; each "
            f"server on its own copy of one store of {size:,} memories (the realistic mix of `bench.run`)."
        ),
        "",
        "Machine: " + "; ".join(f"{k} {v}" for k, v in common.machine().items()) + ".",
        "",
        f"| server at {size:,} | p50 | p95 | p50 / off | p95 / off | memories returned, as counted in the file |",
        "|---|---|---|---|---|---|",
    ]
    for key in SERVERS:
        sample = samples[key, size]
        kept = counted(Path(servers[key, size].env["EXPIRING_MEMORY_DATA_DIR"]))
        out.append(
            f"| {servers[key, size].name} | {ms(sample.median)} | {ms(sample.p95)} | "
            f"{sample.median / off.median:.2f}× | {sample.p95 / off.p95:.2f}× | {kept:,} |"
        )
    on = samples["on", size]
    verdict = "within" if on.median <= off.median * 1.10 else "NOT within"
    out += [
        "",
        (
            f"Counting on / off, p50: {on.median / off.median:.2f}× ({verdict} the 10% issue 18 allows); "
            f"p95: {on.p95 / off.p95:.2f}×. The counts are added to a dict on the recall path and written in batches "
            "by a background thread on a connection of its own."
        ),
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=tuple(SIZES), default="full")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    default = ROOT / "bench" / ("USAGE.md" if args.scale == "full" else "out/USAGE-smoke.md")
    os.environ.setdefault("MEM0_TELEMETRY", "False")
    try:
        anyio.run(main_async, args.scale, args.out or default)
    finally:
        shutil.rmtree(run.WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
