"""How the default ranking's constants were chosen: cross-validated over REALTALK's halves, checked on every set.

    python -m bench.tune                       # writes bench/TUNE.md (REALTALK from ../shared/realtalk)
    python -m bench.tune --realtalk DIR

Every set is stored once in the product's own store (`bench.offline`: `recall(limit=10)` without Mem0 or MCP, equal
to the real tool's figures). Each candidate ranking is the product's `Ranking` with other constants. The protocol:

1. Tune on REALTALK chats 1–5: among the candidates that rank at or above the best single part (dense or keyword
   only) on bench/data, conversations and multilingual, and keep bench/data's R@1 at 0.65 or more, take the one
   with the best R@10 on chats 1–5; report its R@10 on chats 6–10. Then the other way round.
2. The floor: R@10 at each floor, and, for questions whose evidence is taken out of the store (filtered out of the
   search, as if forgotten), how often recall answers with nothing and how many memories it still returns.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from bench.common import ROOT, machine
from bench.offline import LIMIT, THRESHOLD, TOP_K, Offline, offline
from bench.quality import half
from bench.retrieval import REALTALK, SETS, RetrievalSet, Scores, realtalk, score
from expiring_memory_mcp.rules import dedup_key
from expiring_memory_mcp.store.fusion import Ranking, default_ranking

OTHERS = ("bench/data", "conversations", "multilingual")
HALVES = ("chats 1–5", "chats 6–10")
PARTS = {"dense only": Ranking("dense"), "keyword only": Ranking("keyword")}
WEIGHTS, CONTEXTS = (0.4, 0.5, 0.6), (0.0, 0.6, 0.7, 0.8, 0.9)
FLOORS = (0.0, 0.1, 0.11, 0.125, 0.15, 0.2)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(stored: Offline, ranking: Ranking, picked: Sequence[int]) -> Scores:
    queries = stored.retrieval.queries
    ranked = [stored.recall(n, ranking) for n in picked]
    return score([queries[n] for n in picked], ranked, any_relevant=stored.retrieval.any_relevant)


def unanswerable(stored: Offline, ranking: Ranking) -> tuple[float, float]:
    """With each question's evidence filtered out of the search: the share answered with nothing, and the mean
    number of memories returned."""
    empty, returned = 0, 0
    memories = {m.id: m.content.strip() for m in stored.retrieval.memories}
    stored.store.ranking = ranking
    for n, query in enumerate(stored.retrieval.queries):
        gone = [dedup_key(memories[i]) for i in query.relevant]
        found = stored.store.search(
            query.text.strip(),
            stored.probes[n],
            top_k=TOP_K,
            filters={"user_id": query.user, "dedup_key": {"nin": gone}},
        )
        kept = [hit for hit in found if (hit.score or 0) >= THRESHOLD][:LIMIT]
        empty += not kept
        returned += len(kept)
    count = max(len(stored.retrieval.queries), 1)
    return empty / count, returned / count


def candidates(base: Ranking) -> dict[str, Ranking]:
    """The embedder's ranking (its floor) at each keyword weight and context share."""
    return {f"w {w}, context {c}": replace(base, keyword_weight=w, context=c) for w in WEIGHTS for c in CONTEXTS}


def measure(sets: dict[str, RetrievalSet], embedder: Any, base: Ranking) -> list[str]:
    everything = {**PARTS, **candidates(base)}
    r10: dict[tuple[str, str], float] = {}
    r1: dict[str, float] = {}
    floors: dict[tuple[str, float], tuple[float, float, float]] = {}
    for name, retrieval in sets.items():
        started = time.perf_counter()
        groups: dict[str, list[int]] = {name: list(range(len(retrieval.queries)))}
        if name == "realtalk":
            groups = {h: [n for n, q in enumerate(retrieval.queries) if half(q) == h] for h in HALVES}
        with offline(retrieval, embedder) as stored:
            for label, ranking in everything.items():
                for group, picked in groups.items():
                    scores = run(stored, ranking, picked)
                    r10[label, group] = scores.recall[10]
                    if group == "bench/data":
                        r1[label] = scores.recall[1]
            for floor in FLOORS:
                ranking = replace(base, floor=floor)
                found = run(stored, ranking, range(len(retrieval.queries))).recall[10]
                floors[name, floor] = (found, *unanswerable(stored, ranking))
        log(f"{name}: {time.perf_counter() - started:.0f} s")
    return report(sets, r10, r1, floors, list(candidates(base)))


def report(
    sets: dict[str, RetrievalSet],
    r10: dict[tuple[str, str], float],
    r1: dict[str, float],
    floors: dict[tuple[str, float], tuple[float, float, float]],
    tried: list[str],
) -> list[str]:
    columns = [*HALVES, *OTHERS] if "realtalk" in sets else list(OTHERS)
    best_part = {g: max(r10[p, g] for p in PARTS) for g in columns}

    def holds(label: str) -> bool:
        return all(r10[label, g] >= best_part[g] for g in OTHERS) and r1[label] >= 0.65

    out = [
        (
            "R@10 through `recall(limit=10)` (offline: `bench.offline`), by ranking; *holds* says whether it is at or "
            "above the best single part on bench/data, conversations and multilingual with bench/data R@1 ≥ 0.65."
        ),
        "",
        "| ranking | " + " | ".join(columns) + " | bench/data R@1 | holds |",
        "|---|" + "---|" * (len(columns) + 2),
    ]
    for label in [*PARTS, *tried]:
        cells = [f"{r10[label, g]:.3f}" for g in columns]
        held = "—" if label in PARTS else "yes" if holds(label) else "no"
        out.append(f"| {label} | " + " | ".join(cells) + f" | {r1[label]:.3f} | {held} |")
    if "realtalk" in sets:
        out += ["", "| tuned on | chosen | its R@10 there | reported on | R@10 | best single part there | margin |"]
        out.append("|---|---|---|---|---|---|---|")
        for tuned, reported in (HALVES, HALVES[::-1]):
            chosen = max((label for label in tried if holds(label)), key=lambda label: r10[label, tuned])
            margin = r10[chosen, reported] - best_part[reported]
            out.append(
                f"| {tuned} | {chosen} | {r10[chosen, tuned]:.3f} | {reported} | {r10[chosen, reported]:.3f} | "
                f"{best_part[reported]:.3f} | {margin:+.3f} |"
            )
    out += [
        "",
        (
            "The floor (the default otherwise): R@10, and for questions whose evidence is filtered out of the search, "
            "the share answered with nothing / the mean number of memories returned."
        ),
        "",
        "| floor | " + " | ".join(sets) + " |",
        "|---|" + "---|" * len(sets),
    ]
    for floor in FLOORS:
        cells = [f"{floors[n, floor][0]:.3f} ({floors[n, floor][1]:.3f} / {floors[n, floor][2]:.1f})" for n in sets]
        out.append(f"| {floor} | " + " | ".join(cells) + " |")
    return out + [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--realtalk", type=Path, help=f"the REALTALK chats; default {REALTALK}")
    parser.add_argument("--embedder", default="minilm")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "TUNE.md")
    args = parser.parse_args()
    from expiring_memory_mcp.embedder import load_embedder

    started = time.perf_counter()
    loaders: dict[str, Callable[[], RetrievalSet]] = {name: SETS[name] for name in OTHERS}
    loaders["realtalk"] = partial(realtalk, args.realtalk) if args.realtalk else SETS["realtalk"]
    sets = {name: load() for name, load in loaders.items()}
    lines = measure(sets, load_embedder(args.embedder), default_ranking(args.embedder))
    out = [
        "# How the default ranking was chosen",
        "",
        f"Written by `python -m bench.tune` (embedder `{args.embedder}`). {__doc__.split(chr(10) * 2, 2)[2]}",
        "Machine: " + "; ".join(f"{k} {v}" for k, v in machine().items()) + ".",
        "",
        *lines,
        f"Run time: {time.perf_counter() - started:.0f} s.",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(out) + "\n")
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
