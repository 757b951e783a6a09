"""The benchmark: this project against Mem0's defaults (Qdrant local, same embedder), side by side in one run.

python -m bench.run                 # full sizes, writes bench/RESULTS.md
python -m bench.run --scale smoke   # small sizes, writes bench/out/RESULTS-smoke.md

How long they take, measured on 2 shared AMD EPYC cores that other jobs also used (the machine bench/RESULTS.md
lists): the recorded full run took 558 s (bench/RESULTS.md says how long each run took), the smoke run about a
minute. A busier or slower machine takes longer.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

from bench import common
from bench.common import ROOT, USER, Sample, Server, ms, ratio, secs
from bench.expiry import cleanup, starvation
from bench.fixtures import (
    SCALES,
    WORK,
    Scale,
    bare,
    base_vectors,
    dataset,
    embedder,
    fresh,
    ours,
    preload_ours,
    preload_reference,
    reference,
)
from bench.retrieval import classic

# -- 1. cold start ---------------------------------------------------------------------------------


async def spawn_to_tools_list(server: Server) -> float:
    started = time.perf_counter()
    async with common.session(server) as (client, _pid):
        await client.list_tools()
        return time.perf_counter() - started


async def spawn_to_first_recall(server: Server) -> float:
    started = time.perf_counter()
    async with common.session(server) as (client, _pid):
        result = await client.call_tool("recall", {"query": "what does the user like to drink"})
        assert not result.is_error, result.content
        return time.perf_counter() - started


def import_mem0() -> float:
    started = time.perf_counter()
    env = {**os.environ, "MEM0_DIR": str(WORK / "mem0-import")}
    subprocess.run([sys.executable, "-c", "import mem0"], check=True, env=env)
    return time.perf_counter() - started


async def cold_start(scale: Scale, out: list[str]) -> None:
    texts, vecs = base_vectors()
    now = datetime.now(UTC)
    v, p, i = common.realistic_mix(1000, now, texts, vecs)
    ours_dir, ref_dir = fresh("cold-ours"), fresh("cold-ref")
    preload_ours(ours_dir, v, p, i)
    preload_reference(ref_dir, v, p, i)
    rows: dict[str, Sample] = {
        name: Sample([]) for name in ("bare-list", "import-mem0", "ours-list", "ours-recall", "ref-list", "ref-recall")
    }
    for _ in range(scale.cold_runs):  # interleaved, so load on the machine hits every row alike
        rows["bare-list"].values.append(await spawn_to_tools_list(bare(fresh("cold-bare"))))
        rows["import-mem0"].values.append(import_mem0())
        rows["ours-list"].values.append(await spawn_to_tools_list(ours(ours_dir)))
        rows["ours-recall"].values.append(await spawn_to_first_recall(ours(ours_dir)))
        rows["ref-list"].values.append(await spawn_to_tools_list(reference(ref_dir)))
        rows["ref-recall"].values.append(await spawn_to_first_recall(reference(ref_dir)))
    bare_list = rows["bare-list"].median
    out += [
        "## 1. Cold start",
        "",
        (
            f"Spawn of a stdio server until the SDK client has the answer, {scale.cold_runs} runs each, interleaved; "
            "stores hold 1,000 memories. Goal: `tools/list` within 1.3× of the bare SDK server; first recall within 3 s."
        ),
        "",
        "| what | median | p95 | vs bare MCPServer |",
        "|---|---|---|---|",
        f"| bare `MCPServer`, no tools: spawn → `tools/list` | {secs(bare_list)} | {secs(rows['bare-list'].p95)} | 1.00× |",
        (
            f'| `python -c "import mem0"` | {secs(rows["import-mem0"].median)} | {secs(rows["import-mem0"].p95)} | '
            f"{rows['import-mem0'].median / bare_list:.2f}× |"
        ),
    ]
    for key, label in (
        ("ours-list", "**ours**: spawn → `tools/list`"),
        ("ours-recall", "**ours**: spawn → first `recall`"),
        ("ref-list", "reference: spawn → `tools/list`"),
        ("ref-recall", "reference: spawn → first `recall`"),
    ):
        sample = rows[key]
        out.append(f"| {label} | {secs(sample.median)} | {secs(sample.p95)} | {sample.median / bare_list:.2f}× |")
    out += ["", f"First recall: reference / ours = {ratio(rows['ref-recall'].median, rows['ours-recall'].median)}.", ""]


# -- 2. warm latency -------------------------------------------------------------------------------


async def warm(server: Server, calls: int, queries: list[str]) -> dict[str, Any]:
    async with common.session(server) as (client, pid):
        await client.call_tool("recall", {"query": "warm up"})
        write = await common.timed_calls(
            client, lambda i: ("remember_temporary", {"content": f"Bench write {i}: looked at item {i * 7919}"}), calls
        )
        read = await common.timed_calls(client, lambda i: ("recall", {"query": queries[i % len(queries)]}), calls)
        soon = await common.timed_calls(client, lambda i: ("expiring_soon", {"within_days": 7}), calls)
        return {"remember_temporary": write, "recall": read, "expiring_soon": soon, "rss": common.rss_bytes(pid)}


async def warm_latency(scale: Scale, out: list[str]) -> None:
    texts, vecs = base_vectors()
    queries = [q["query"] for q in dataset()[1]]
    now = datetime.now(UTC)
    out += [
        "## 2. Warm tool latency over stdio",
        "",
        (
            "One user's scope; mix: 40% permanent, 50% live temporary (1-60 days left), 10% expired. Stores are loaded "
            "through each store's own insert path with payloads shaped as the tools write them (vectors: the retrieval "
            "set's, varied by noise). Then one stdio session per server: a warm-up recall, then sequential calls."
        ),
        "Goal: recall p50 ≤ 20 ms at 10k and ≤ 50 ms at 100k, and ≥ 10× faster than the reference at 10k.",
        "",
        "| memories | tool | ours p50 | ours p95 | reference p50 | reference p95 | reference / ours (p50) |",
        "|---|---|---|---|---|---|---|",
    ]
    footprint = []
    for size in scale.sizes:
        v, p, i = common.realistic_mix(size, now, texts, vecs)
        ours_dir, ref_dir = fresh(f"warm-ours-{size}"), fresh(f"warm-ref-{size}")
        load_ours = preload_ours(ours_dir, v, p, i)
        load_ref = preload_reference(ref_dir, v, p, i)
        ours_bytes = common.dir_bytes(ours_dir)
        ref_bytes = common.dir_bytes(ref_dir)
        mine = await warm(ours(ours_dir), scale.calls, queries)
        ref_calls = scale.reference_calls_at_100k if size >= 100_000 else scale.calls
        theirs = await warm(reference(ref_dir), ref_calls, queries)
        for tool in ("remember_temporary", "recall", "expiring_soon"):
            a, b = mine[tool], theirs[tool]
            out.append(
                f"| {size:,} | `{tool}` | {ms(a.median)} | {ms(a.p95)} | {ms(b.median)} | {ms(b.p95)} "
                f"| {ratio(b.median, a.median)} |"
            )
        footprint.append(
            f"| {size:,} | {common.mib(mine['rss'])} | {common.mib(theirs['rss'])} | {ours_bytes / size:,.0f} B "
            f"| {ref_bytes / size:,.0f} B | {secs(load_ours)} | {secs(load_ref)} |"
        )
        shutil.rmtree(ours_dir, ignore_errors=True)
        shutil.rmtree(ref_dir, ignore_errors=True)
    out += [
        "",
        f"Reference calls at 100k: {scale.reference_calls_at_100k} per tool (each takes seconds).",
        "",
        "| memories | ours RSS | reference RSS | ours disk / memory | reference disk / memory | ours bulk load | reference bulk load |",
        "|---|---|---|---|---|---|---|",
        *footprint,
        "",
    ]


# -- 5. recall quality -----------------------------------------------------------------------------


async def quality(out: list[str]) -> None:
    """Ours through the real `recall` tool (see bench.quality, which measures every set and variant); the reference
    through Mem0's `search` on Qdrant local with the same embedder and the same vectors."""
    from bench import quality as q
    from bench.reference_server import build_reference

    memories, queries = dataset()
    retrieval = classic()
    data_dir = fresh("quality-ours")
    ids = await q.store(data_dir, retrieval)
    rows = []
    for label, settings in q.RANKINGS[:3]:
        ranked = await q.rank_all(data_dir, retrieval, ids, **settings)
        rows.append((label, ranked))
    vectors = embedder().encode([m["content"] for m in memories])
    now = datetime.now(UTC)
    payloads = [common.tool_payload(m["content"], m["memory_type"], None, now) for m in memories]
    ref_ids = [f"00000000-0000-4000-8000-{k:012d}" for k in range(len(memories))]
    by_id = dict(zip(ref_ids, (m["id"] for m in memories), strict=True))
    ref = build_reference(fresh("quality-ref"))
    common.bulk_insert(ref.vector_store, vectors, payloads, ref_ids)
    ranked = [
        [by_id[r["id"]] for r in ref.search(x["query"], top_k=10, filters={"user_id": USER})["results"]]
        for x in queries
    ]
    rows.append(("reference: Mem0 + Qdrant local (dense; its BM25 needs a hub download)", ranked))
    ref.vector_store.client.close()
    out += [
        "## 5. Recall quality",
        "",
        (
            f"`bench/data/`: {len(memories)} hand-written memories, {len(queries)} queries phrased differently from their "
            "targets (see `bench/data/README.md`). Top 10 per query; ours through the `recall` tool. Every retrieval set, "
            "fusion and embedder: `python -m bench.quality` (bench/QUALITY.md)."
        ),
        "",
        "| configuration | R@1 | R@5 | MRR | R@1 paraphrase | R@1 keyword | R@1 mixed |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, ranked in rows:
        total = q.score(retrieval.queries, ranked, any_relevant=True)
        per = q.by(retrieval.queries, ranked, lambda x: x.kind, any_relevant=True)
        out.append(
            f"| {label} | {total.recall[1]:.3f} | {total.recall[5]:.3f} | {total.mrr:.3f} | "
            + " | ".join(f"{per[k].recall[1]:.2f}" for k in ("paraphrase", "keyword", "mixed"))
            + " |"
        )
    out.append("")


# -- 6. throughput ---------------------------------------------------------------------------------


async def sustained_writes(server: Server, seconds: float) -> float:
    async with common.session(server) as (client, _pid):
        await client.call_tool("recall", {"query": "warm up"})
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            result = await client.call_tool("remember_temporary", {"content": f"Throughput note {count}"})
            assert not result.is_error
            count += 1
        return count / (time.perf_counter() - started)


async def throughput(scale: Scale, out: list[str]) -> None:
    mine = await sustained_writes(ours(fresh("tp-ours")), scale.throughput_seconds)
    theirs = await sustained_writes(reference(fresh("tp-ref")), scale.throughput_seconds)
    out += [
        "## 6. Throughput",
        "",
        (
            f"Sequential `remember_temporary` calls over one stdio session for {scale.throughput_seconds:g} s, "
            "each a new text (embedding included)."
        ),
        "",
        "| | calls/s |",
        "|---|---|",
        f"| ours | {mine:.0f} |",
        f"| reference | {theirs:.0f} |",
        f"| ours / reference | {mine / theirs:.2f}× |",
        "",
    ]


# -- report ----------------------------------------------------------------------------------------


async def main_async(scale: Scale, path: Path) -> None:
    started = time.perf_counter()
    out: list[str] = []
    await cold_start(scale, out)
    await warm_latency(scale, out)
    starvation(scale, out)
    cleanup(scale, out)
    await quality(out)
    await throughput(scale, out)
    took = time.perf_counter() - started
    info = common.machine()
    head = [
        f"# Benchmark results ({scale.name} scale)",
        "",
        (
            f"Written by `python -m bench.run{'' if scale.name == 'full' else ' --scale ' + scale.name}` on "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {took:.0f} s. Reference: Mem0 OSS on its default embedded "
            "store (Qdrant local mode) with the same embedder, driven as `bench/reference_server.py`. Every comparison is "
            "measured side by side in this one run; the machine is shared and noisy, so read the ratios."
        ),
        "",
        "Machine: " + "; ".join(f"{k} {v}" for k, v in info.items()) + ".",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(head + out) + "\n" + (ROOT / "bench" / "PROFILE.md").read_text())
    print(f"wrote {path} in {took:.0f} s", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--out", type=Path, help="where to write the markdown report")
    args = parser.parse_args()
    scale = SCALES[args.scale]
    default = ROOT / "bench" / ("RESULTS.md" if scale.name == "full" else "out/RESULTS-smoke.md")
    try:
        anyio.run(main_async, scale, args.out or default)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
