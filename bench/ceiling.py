"""Retrieval ceilings: how much recall's own candidates and rankings could give, measured offline.

    python -m bench.ceiling                  # every set (realtalk where found), writes bench/CEILING.md
    python -m bench.ceiling --scale smoke    # a slice, for CI: bench/out/CEILING-smoke.md

`recall(limit=10)` on the embedded store is rebuilt from the product's own store (`bench.offline`), without Mem0 or an
MCP session. Its default, dense-only and keyword-only figures must equal `bench.quality`'s through the real tool; the
report shows both. Then two ceilings, on the default's candidates: the share of the relevant memories among them
(what any re-ranking of the candidates could at best find) and the R@10 of choosing, per query, the best of the
default, dense-only and keyword-only top 10 (a bound on picking among those three, not on every weighting).
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

from bench.common import ROOT, machine
from bench.offline import LIMIT, offline
from bench.quality import RANKINGS as QUALITY_RANKINGS
from bench.quality import half
from bench.retrieval import REALTALK, SETS, Query, RetrievalSet, realtalk, score
from expiring_memory_mcp.store.fusion import Ranking

# bench.quality's first three configurations (its labels, so its report can be read back), as Rankings.
RANKINGS = [(label, Ranking(settings.get("recall_ranking", "hybrid"))) for label, settings in QUALITY_RANKINGS[:3]]

SHORT = {"hybrid": "default", "dense": "dense only", "keyword": "keyword only"}

INTRO = """Offline, from the product's own store (embedder `minilm`; `bench.offline`), the default \
`recall(limit=10)` on the embedded store. Its default, dense-only and keyword-only rows must equal those \
`bench.quality` measures through the real `recall` tool; the table shows both, and *same* says whether they agree \
(— when that report lacks them).

- **candidate pool recall**: the share of the relevant memories among the default's candidates (dense top 60 ∪ BM25 \
top 60), the most any re-ranking of them could find.
- **best of the three per query**: R@10 when each query takes whichever of the default, dense-only and keyword-only \
top 10 finds most: a bound on choosing among these three rankings per query, not on every weighting of the two \
signals."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def found(query: Query, got: list[str], any_relevant: bool) -> float:
    """The share of the query's relevant memories in `got` (for alternatives, whether any is)."""
    hits = len(set(query.relevant) & set(got))
    return min(hits, 1) if any_relevant else hits / len(query.relevant)


def groups(retrieval: RetrievalSet) -> dict[str, list[int]]:
    """All queries; for REALTALK each half; for the conversations, each user's and those of every user but the first."""
    out = {"all": list(range(len(retrieval.queries)))}
    users = retrieval.users()
    if retrieval.name == "realtalk":
        for name in ("chats 1–5", "chats 6–10"):
            picked = [n for n, q in enumerate(retrieval.queries) if half(q) == name]
            if picked:
                out[name] = picked
    if retrieval.name == "conversations" and len(users) > 1:
        for user in users:
            out[user] = [n for n, q in enumerate(retrieval.queries) if q.user == user]
        out["+".join(users[1:])] = [n for n, q in enumerate(retrieval.queries) if q.user != users[0]]
    return out


def through_recall(path: Path, name: str) -> dict[str, str]:
    """The minilm table of this set in a `bench.quality` report: label -> its "R@1 / R@5 / R@10 / MRR"."""
    heading = f"### {name}, embedder `minilm`"
    text = path.read_text() if path.exists() else ""
    if heading not in text:
        return {}
    rows = text.split(heading, 1)[1].split("\n\n")[1].splitlines()
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows]
    return {c[0]: " / ".join(c[1:5]) for c in cells if len(c) == 5}


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def measure(retrieval: RetrievalSet, embedder: Any, quality: Path) -> list[str]:
    started = time.perf_counter()
    queries, any_relevant = retrieval.queries, retrieval.any_relevant
    with offline(retrieval, embedder) as stored:
        tops = {label: [stored.recall(n, ranking) for n in range(len(queries))] for label, ranking in RANKINGS}
        pool = [stored.candidates(n) for n in range(len(queries))]
    log(f"{retrieval.name}: {time.perf_counter() - started:.0f} s")
    best = [  # per query, the top 10 of the three that finds most (the first of them on a tie)
        max((tops[label][n] for label, _ in RANKINGS), key=lambda top: found(q, top[:LIMIT], any_relevant))
        for n, q in enumerate(queries)
    ]
    recall = through_recall(quality, retrieval.name)
    out = [
        f"## {retrieval.name}",
        "",
        f"{len(retrieval.memories)} memories of {len(retrieval.users())} users, {len(queries)} queries.",
        "",
        f"| ranking | R@1 | R@5 | R@10 | MRR | through `recall` (`{shown(quality)}`): R@1 / R@5 / R@10 / MRR | same |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, _ in RANKINGS:
        ours = score(queries, tops[label], any_relevant=any_relevant).row()
        theirs = recall.get(label)
        same = "—" if theirs is None else "yes" if theirs == ours.replace(" | ", " / ") else "**no**"
        out.append(f"| {label} | {ours} | {theirs or 'not measured'} | {same} |")
    names = [SHORT[ranking.method] for _, ranking in RANKINGS]
    out += [
        "",
        "| queries | n | " + " | ".join(f"{name} R@10" for name in names) + " | candidate pool recall | "
        "best of the three per query, R@10 |",
        "|---|---|" + "---|" * len(names) + "---|---|",
    ]
    for group, idx in groups(retrieval).items():
        picked = [queries[n] for n in idx]
        r10 = [score(picked, [tops[label][n] for n in idx], any_relevant=any_relevant) for label, _ in RANKINGS]
        share = sum(found(queries[n], pool[n], any_relevant) for n in idx) / max(len(idx), 1)
        oracle = score(picked, [best[n] for n in idx], any_relevant=any_relevant)
        cells = [f"{s.recall[LIMIT]:.3f}" for s in r10] + [f"{share:.3f}", f"{oracle.recall[LIMIT]:.3f}"]
        out.append(f"| {group} | {len(idx)} | " + " | ".join(cells) + " |")
    return out + [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=("smoke", "full"), default="full")
    parser.add_argument("--sets", nargs="+", choices=list(SETS), help="default: every set (realtalk if found)")
    parser.add_argument("--realtalk", type=Path, help=f"the REALTALK chats; default {REALTALK} when it exists")
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--quality",
        type=Path,
        help="the bench.quality report to compare with (default: bench/QUALITY.md, or bench/out/QUALITY-smoke.md)",
    )
    args = parser.parse_args()
    if args.realtalk:
        SETS["realtalk"] = partial(realtalk, args.realtalk)
    found_realtalk = (args.realtalk or REALTALK).is_dir()
    sets = args.sets or [name for name in SETS if name != "realtalk" or found_realtalk]
    smoke = args.scale == "smoke"
    path = args.out or ROOT / "bench" / ("out/CEILING-smoke.md" if smoke else "CEILING.md")
    quality = (args.quality or ROOT / "bench" / ("out/QUALITY-smoke.md" if smoke else "QUALITY.md")).resolve()
    from expiring_memory_mcp.embedder import load_embedder

    started = time.perf_counter()
    embedder = load_embedder("minilm")
    out = [
        f"# Retrieval ceilings ({args.scale} scale)",
        "",
        f"Written by `python -m bench.ceiling{' --scale smoke' if smoke else ''}`. {INTRO}",
        "",
        "Machine: " + "; ".join(f"{k} {v}" for k, v in machine().items()) + ".",
        "",
    ]
    for name in sets:
        retrieval = SETS[name]()
        out += measure(retrieval.sliced(users=1, queries_per_user=40) if smoke else retrieval, embedder, quality)
    out.append(f"Run time: {time.perf_counter() - started:.0f} s.")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n")
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
