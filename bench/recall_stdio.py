"""Recall latency of this server alone over stdio at one size: python -m bench.recall_stdio 10000"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime

import anyio

from bench import common, run


async def main(n: int) -> None:
    texts, vectors = run.base_vectors()
    v, p, i = common.realistic_mix(n, datetime.now(UTC), texts, vectors)
    data_dir = run.fresh(f"recall-{n}")
    run.preload_ours(data_dir, v, p, i)
    queries = [q["query"] for q in run.dataset()[1]]
    async with common.session(run.ours(data_dir)) as (client, _pid):
        await client.call_tool("recall", {"query": "warm up"})
        sample = await common.timed_calls(client, lambda k: ("recall", {"query": queries[k % len(queries)]}), 30)
    print(f"{n:,} memories: recall p50 {common.ms(sample.median)}, p95 {common.ms(sample.p95)}", file=sys.stderr)


if __name__ == "__main__":
    try:
        anyio.run(main, int(sys.argv[1]))
    finally:
        shutil.rmtree(run.WORK, ignore_errors=True)
