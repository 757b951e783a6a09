"""Recall quality through the real `recall` tool: R@1, R@5, R@10 and MRR per retrieval set and configuration.

    python -m bench.quality                  # every set and configuration, writes bench/QUALITY.md
    python -m bench.quality --scale smoke    # a slice, for CI: bench/out/QUALITY-smoke.md
    python -m bench.quality --sets realtalk --realtalk ../shared/realtalk   # real people's chats, read from a path

Each set is stored once per embedder and keyword-index variant, through `remember_permanent` (`remember_temporary` for a temporary type) over an in-memory MCP
session (one per user), and then queried with `recall(limit=10)` by every ranking configuration, each on a server
opened afresh on that data with its own settings. R@k is the share of a query's relevant memories in the top k
(for `bench/data`, whose relevant memories are alternatives, whether any of them is); MRR uses the first relevant.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import anyio

from bench.common import ROOT
from bench.retrieval import REALTALK, SETS, K, Query, RetrievalSet, Scores, by, realtalk, score

__all__ = ["SETS", "K", "Query", "RetrievalSet", "Scores", "by", "score"]


# -- one server on one data dir ----------------------------------------------------------------------


@contextmanager
def service_on(data_dir: Path, **settings: Any) -> Iterator[Any]:
    """A memory service on `data_dir` with these settings, closed afterwards."""
    from expiring_memory_mcp.backends import open_backend
    from expiring_memory_mcp.memories import MemoryService
    from expiring_memory_mcp.retention import SystemClock
    from expiring_memory_mcp.settings import Settings

    config = Settings(data_dir=data_dir, user_id="bench", **settings)
    service = MemoryService.open(config, SystemClock(), partial(open_backend, config, embedder_for(config)))
    try:
        yield service, config
    finally:
        service.close()


_EMBEDDERS: dict[str, Any] = {}


def embedder_for(settings: Any) -> Any:
    """One loaded embedder per model for the whole run (loading is what the cold-start benchmark measures).

    A server from before the embedder setting (`--code` of an older checkout) gets its one model."""
    from expiring_memory_mcp import embedder

    name = getattr(settings, "embedder", "minilm")
    if name not in _EMBEDDERS:
        load = getattr(embedder, "load_embedder", lambda _: embedder.MiniLMEmbedder())
        _EMBEDDERS[name] = load(name)
    return _EMBEDDERS[name]


def remember(content: str, memory_type: str) -> tuple[str, dict[str, Any]]:
    """The tool call that stores a set's memory: `remember_permanent`, or for a temporary type (which that tool
    refuses) `remember_temporary` with the longest expiry, which no measurement outlives."""
    from expiring_memory_mcp.memory_types import TEMPORARY_TYPES

    if memory_type in TEMPORARY_TYPES:
        return "remember_temporary", {"content": content, "memory_type": memory_type, "expires_in_days": 3650}
    return "remember_permanent", {"content": content, "memory_type": memory_type}


async def store(data_dir: Path, retrieval: RetrievalSet, **settings: Any) -> dict[str, str]:
    """Every memory of the set remembered through the tool; returns the server's id for each set id."""
    from mcp import Client

    from expiring_memory_mcp.app import build_server

    ids: dict[str, str] = {}
    with service_on(data_dir, **settings) as (service, config):
        for user in retrieval.users():
            async with Client(build_server(service.for_user(user), config)) as client:
                for memory in (m for m in retrieval.memories if m.user == user):
                    result = await client.call_tool(*remember(memory.content, memory.memory_type))
                    if result.is_error:
                        raise RuntimeError(f"storing {memory.id} failed: {result.content}")
                    ids[result.structured_content["id"]] = memory.id  # type: ignore[index]
    return ids


async def rank_all(data_dir: Path, retrieval: RetrievalSet, ids: dict[str, str], **settings: Any) -> list[list[str]]:
    """Each query's top 10 set ids, through `recall(limit=10)`, in query order; and the median recall time."""
    from mcp import Client

    from expiring_memory_mcp.app import build_server

    ranked: dict[int, list[str]] = {}
    with service_on(data_dir, **settings) as (service, config):
        for user in retrieval.users():
            async with Client(build_server(service.for_user(user), config)) as client:
                for n, query in enumerate(retrieval.queries):
                    if query.user != user:
                        continue
                    result = await client.call_tool("recall", {"query": query.text, "limit": 10})
                    found = result.structured_content["memories"]  # type: ignore[index]
                    ranked[n] = [ids[m["id"]] for m in found]
    return [ranked[n] for n in range(len(retrieval.queries))]


# -- the configurations --------------------------------------------------------------------------------

RANKINGS: list[tuple[str, dict[str, Any]]] = [
    ("**default**: hybrid (meaning + words at the embedder's weight, with context and floor)", {}),
    ("keyword only (BM25)", {"recall_ranking": "keyword"}),
    ("dense only (cosine)", {"recall_ranking": "dense"}),
    ("relative: cosine + 0.5 × BM25 / best BM25", {"recall_ranking": "relative", "recall_keyword_weight": 1 / 3}),
    ("reciprocal-rank fusion (k = 60)", {"recall_ranking": "rrf"}),
    ("hybrid, w = 0.4", {"recall_keyword_weight": 0.4}),
    ("hybrid, w = 0.6", {"recall_keyword_weight": 0.6}),
]
BEFORE = [("before: Mem0's fusion (dense candidates, cosine + sigmoid of 0.5 × BM25)", {})]


WORK = Path(tempfile.gettempdir())  # main() makes a folder of its own


def fresh(name: str) -> Path:
    path = WORK / name.replace("/", "-")
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def table(title: str, rows: list[tuple[str, Scores]]) -> list[str]:
    lines = [title, "", "| configuration | R@1 | R@5 | R@10 | MRR |", "|---|---|---|---|---|"]
    return lines + [f"| {label} | {s.row()} |" for label, s in rows] + [""]


async def rankings(
    retrieval: RetrievalSet, embedder: str, configs: list[tuple[str, dict[str, Any]]], out: list[str]
) -> dict[str, list[list[str]]]:
    """The set stored once with this embedder, then ranked by every configuration; a table per set."""
    data_dir = fresh(f"{retrieval.name}-{embedder}")
    started = time.perf_counter()
    ids = await store(data_dir, retrieval, embedder=embedder)
    stored = time.perf_counter() - started
    results: dict[str, list[list[str]]] = {}
    rows = []
    for label, settings in configs:
        ranked = await rank_all(data_dir, retrieval, ids, embedder=embedder, **settings)
        results[label] = ranked
        rows.append((label, score(retrieval.queries, ranked, any_relevant=retrieval.any_relevant)))
    out += table(
        f"### {retrieval.name}, embedder `{embedder}` ({len(retrieval.memories)} memories of {len(retrieval.users())} "
        f"users stored in {stored:.0f} s; {len(retrieval.queries)} queries)",
        rows,
    )
    return results


ABOUT = (
    "The default ranks by `½ × cosine / best cosine + ½ × words` (words: the share of the query's keyword weight a "
    "memory holds, each term weighed among the user's memories), lets a memory take 0.8 of the score of its "
    "neighbour (same type, remembered just before or after it within 30 minutes), and returns nothing under 0.11 of "
    "`(cosine + words) / 2`; the multilingual embedders weigh words 0.3 and 0.1 (use-multilingual's floor is 0.05). "
    "Why: store/fusion.py and the README's \"How recall ranks\". Chosen on REALTALK's real chats by cross-validation "
    "over its halves, kept only where it is at or above both of its parts on every other set: bench/TUNE.md "
    "(`python -m bench.tune`) and bench/RESULTS.md §8."
)


def half(query: Query) -> str:
    """REALTALK's two halves, the folds the ranking is tuned and reported on: chats 1–5 and 6–10."""
    return "chats 1–5" if int(query.user.split("-")[1]) <= 5 else "chats 6–10"


def per_kind(
    retrieval: RetrievalSet, results: dict[str, list[list[str]]], key: Callable[[Query], str], title: str
) -> list[str]:
    kinds = sorted({key(q) for q in retrieval.queries})
    lines = [
        title,
        "",
        "| configuration | " + " | ".join(f"R@10 {k}" for k in kinds) + " |",
        "|---|" + "---|" * len(kinds),
    ]
    for label, ranked in results.items():
        groups = by(retrieval.queries, ranked, key, any_relevant=retrieval.any_relevant)
        lines.append(f"| {label} | " + " | ".join(f"{groups[k].recall[10]:.3f}" for k in kinds) + " |")
    return lines + [""]


def every_score_by_kind(retrieval: RetrievalSet, results: dict[str, list[list[str]]]) -> list[str]:
    """R@1, R@5, R@10 and MRR for each kind of question, each configuration beside the default."""
    kinds = sorted({q.kind for q in retrieval.queries})
    lines = [
        "By kind of question, R@1 / R@5 / R@10 / MRR:",
        "",
        "| configuration | " + " | ".join(f"{k} ({sum(q.kind == k for q in retrieval.queries)})" for k in kinds) + " |",
        "|---|" + "---|" * len(kinds),
    ]
    for label, ranked in results.items():
        groups = by(retrieval.queries, ranked, lambda q: q.kind, any_relevant=retrieval.any_relevant)
        lines.append(f"| {label} | " + " | ".join(groups[k].row().replace(" | ", " / ") for k in kinds) + " |")
    return lines + [""]


async def main_async(
    scale: str, sets: list[str], embedders: list[str], path: Path, before: bool, variants: bool
) -> None:
    from bench.common import machine

    started = time.perf_counter()
    out = [
        f"# Recall quality ({scale} scale)",
        "",
        (
            f"Written by `python -m bench.quality{'' if scale == 'full' else ' --scale ' + scale}`. Every figure comes "
            "through the real `recall` tool (limit 10) over an in-memory MCP session, on the embedded store."
        ),
        "",
        "Machine: " + "; ".join(f"{k} {v}" for k, v in machine().items()) + ".",
        "",
        ABOUT,
        "",
    ]
    if variants:
        from bench.quality_keywords import keyword_variants  # it stores and ranks with this module's functions

        await keyword_variants(sets, out)
        sets = []
    for name in sets:
        retrieval = SETS[name]()
        if scale == "smoke":
            retrieval = retrieval.sliced(users=1, queries_per_user=40)
        out += [f"## {name}", ""]
        for embedder in embedders:
            configs = BEFORE if before else RANKINGS if scale == "full" else RANKINGS[:3]
            results = await rankings(retrieval, embedder, configs, out)
            out += per_kind(retrieval, results, lambda q: q.kind, "By kind of question:")
            if name == "realtalk":
                out += every_score_by_kind(retrieval, results)
                out += per_kind(retrieval, results, half, "By half (chats 1–5 and 6–10; see bench/tune.py):")
            if name == "multilingual":
                out += per_kind(retrieval, results, lambda q: q.lang, "By language:")
                paraphrase = RetrievalSet(
                    name, retrieval.memories, [q for q in retrieval.queries if q.kind == "paraphrase"]
                )
                kept = {
                    label: [r for r, q in zip(ranked, retrieval.queries, strict=True) if q.kind == "paraphrase"]
                    for label, ranked in results.items()
                }
                out += per_kind(paraphrase, kept, lambda q: q.lang, "By language, paraphrase questions only:")
    out.append(f"Run time: {time.perf_counter() - started:.0f} s.")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=("smoke", "full"), default="full")
    parser.add_argument("--sets", nargs="+", choices=list(SETS), help="default: every set (realtalk if found)")
    parser.add_argument(
        "--realtalk", type=Path, help=f"the REALTALK chats (Chat_*.json); default {REALTALK} when it exists"
    )
    parser.add_argument("--embedders", nargs="+", default=["minilm"])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--keyword-variants", action="store_true", help="measure keyword-index variants instead")
    parser.add_argument(
        "--code",
        type=Path,
        help="measure the server in this checkout instead (its `server` folder "
        "goes first on the import path), such as the previous release, with its one configuration",
    )
    args = parser.parse_args()
    if args.realtalk:
        SETS["realtalk"] = partial(realtalk, args.realtalk)
    found = (args.realtalk or REALTALK).is_dir()
    sets = args.sets or [name for name in SETS if name != "realtalk" or found]
    global WORK
    WORK = Path(tempfile.mkdtemp(prefix="expiring-memory-quality-"))
    os.environ["MEM0_TELEMETRY"] = "False"
    os.environ["MEM0_DIR"] = str(WORK / "mem0")
    if args.code:
        sys.path.insert(0, str(args.code.resolve() / "server"))
    default = ROOT / "bench" / ("QUALITY.md" if args.scale == "full" else "out/QUALITY-smoke.md")
    try:
        anyio.run(
            main_async,
            args.scale,
            sets,
            args.embedders,
            args.out or default,
            bool(args.code),
            args.keyword_variants,
        )
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
