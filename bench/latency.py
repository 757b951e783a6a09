"""Recall latency at 1k and 10k memories over stdio, this checkout against an earlier one, in one run.

    python -m bench.latency --before ../old          # writes bench/LATENCY.md
    python -m bench.latency --scale smoke            # this checkout only, small sizes: bench/out/LATENCY-smoke.md

Every server (each size, each checkout) runs at once on its own copy of the same data, and the recalls go round
robin, one to each server in turn (in a new shuffled order each round), so the machine's noise falls on all of them alike. Then a profile of one
in-process recall at the largest size says where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import shutil
import sys
import time
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path

import anyio

from bench import common, run
from bench.common import BIN, ROOT, Sample, Server, base_env, ms

SIZES = {"smoke": (200, 1000), "full": (1000, 10_000)}
CALLS = {"smoke": 10, "full": 200}


def server(name: str, data_dir: Path, code: Path | None) -> Server:
    if code is None:
        return Server(name, [str(BIN / "expiring-memory-mcp")], base_env(data_dir))
    entry = "from expiring_memory_mcp.__main__ import main; main()"
    return Server(name, [sys.executable, "-c", entry], base_env(data_dir, PYTHONPATH=str(code / "server")))


async def measure(servers: dict[tuple[str, int], Server], queries: list[str], calls: int) -> dict:
    samples: dict[tuple[str, int], list[float]] = {key: [] for key in servers}
    async with AsyncExitStack() as stack:
        clients = {key: (await stack.enter_async_context(common.session(s)))[0] for key, s in servers.items()}
        for client in clients.values():
            for q in queries[:3]:  # warm up: the store loads, caches fill
                await client.call_tool("recall", {"query": q})
        order = list(clients)
        shuffle = random.Random(7).shuffle
        for k in range(calls):
            shuffle(order)  # no server always follows the same one
            for key in order:
                client = clients[key]
                started = time.perf_counter()
                result = await client.call_tool("recall", {"query": queries[k % len(queries)], "limit": 5})
                samples[key].append(time.perf_counter() - started)
                if result.is_error:
                    raise RuntimeError(f"{key}: {result.content}")
    return {key: Sample(values) for key, values in samples.items()}


def profile(data_dir: Path, queries: list[str], calls: int) -> str:
    """Where one in-process recall spends its time (cProfile, cumulative), on a copy of the largest store."""
    from functools import partial

    from expiring_memory_mcp.backends import open_backend
    from expiring_memory_mcp.memories import MemoryService
    from expiring_memory_mcp.retention import SystemClock
    from expiring_memory_mcp.settings import Settings

    settings = Settings(data_dir=data_dir, user_id=common.USER)
    service = MemoryService.open(settings, SystemClock(), partial(open_backend, settings, run.embedder()))
    try:
        service.recall("warm up", None, 5)
        profiler = cProfile.Profile()
        profiler.enable()
        for k in range(calls):
            service.recall(queries[k % len(queries)], None, 5)
        profiler.disable()
    finally:
        service.close()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(r"expiring_memory_mcp|mem0/memory|onnxruntime|sqlite3", 25)
    lines = [line for line in text.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    return "\n".join(lines[start:])


async def main_async(scale: str, before: Path | None, path: Path) -> None:
    sizes, calls = SIZES[scale], CALLS[scale]
    texts, vectors = run.base_vectors()
    queries = [q["query"] for q in run.dataset()[1]]
    servers: dict[tuple[str, int], Server] = {}
    for n in sizes:
        v, p, i = common.realistic_mix(n, datetime.now(UTC), texts, vectors)
        data_dir = run.fresh(f"latency-now-{n}")
        run.preload_ours(data_dir, v, p, i)
        servers["now", n] = server("this checkout", data_dir, None)
        if before is not None:
            copy = run.fresh(f"latency-before-{n}")
            shutil.copy(data_dir / "memories.db", copy / "memories.db")
            servers["before", n] = server("before", copy, before)
    samples = await measure(servers, queries, calls)
    small, large = sizes
    out = [
        f"# Recall latency ({scale} scale)",
        "",
        (
            f"Written by `python -m bench.latency{' --scale smoke' if scale == 'smoke' else ''}"
            f"{' --before ' + str(before) if before else ''}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. "
            f"{calls} `recall(limit=5)` calls per server over stdio, round robin across all servers in a shuffled order each round, queries from "
            "`bench/data/queries.jsonl`; stores hold the realistic mix of `bench.run` (10% expired, not yet swept)."
        ),
        "",
        "Machine: " + "; ".join(f"{k} {v}" for k, v in common.machine().items()) + ".",
        "",
        f"| server | p50 at {small:,} | p95 at {small:,} | p50 at {large:,} | p95 at {large:,} | p50 {large:,} / {small:,} |",
        "|---|---|---|---|---|---|",
    ]
    for name in dict.fromkeys(key[0] for key in samples):
        a, b = samples[name, small], samples[name, large]
        out.append(
            f"| {servers[name, small].name} | {ms(a.median)} | {ms(a.p95)} | {ms(b.median)} | {ms(b.p95)} "
            f"| {b.median / a.median:.2f}× |"
        )
    if before is not None:
        out += ["", "| size | this checkout / before (p50) |", "|---|---|"]
        out += [f"| {n:,} | {samples['now', n].median / samples['before', n].median:.2f}× |" for n in sizes]
    out += [
        "",
        f"## Where one recall spends its time at {large:,} (in-process, cProfile, cumulative)",
        "",
        "```",
        profile(Path(servers["now", large].env["EXPIRING_MEMORY_DATA_DIR"]), queries, calls),
        "```",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=tuple(SIZES), default="full")
    parser.add_argument("--before", type=Path, help="an earlier checkout to compare with (its server/ folder)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    default = ROOT / "bench" / ("LATENCY.md" if args.scale == "full" else "out/LATENCY-smoke.md")
    os.environ.setdefault("MEM0_TELEMETRY", "False")
    try:
        anyio.run(main_async, args.scale, args.before.resolve() if args.before else None, args.out or default)
    finally:
        shutil.rmtree(run.WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
