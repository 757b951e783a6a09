"""Retrieval ceilings: how much recall's own candidates and rankings could give, measured offline.

    python -m bench.ceiling                  # every set, writes bench/CEILING.md
    python -m bench.ceiling --scale smoke    # a slice, for CI: bench/out/CEILING-smoke.md

`recall(limit=10)` on the embedded store is rebuilt from the product's own parts, without an MCP session: Mem0 asks
the store for its top max(4 × limit, 60) = 60; the store takes the user's dense (MiniLM cosine) top 60 and FTS5 BM25
top 60 (`store.keyword_index.bm25`, over one keyword index of every user's memories, as in one data file), gives
each candidate both scores and orders them with `store.fusion.fuse`; Mem0 keeps the scores >= 0.1 and the first 10.
Its default, dense-only and keyword-only figures must equal `bench.quality`'s through the real tool; the report
shows both. Then two ceilings, on the default's candidates: the share of the relevant memories among them (what any
re-ranking of the candidates could at best find) and the R@10 of choosing, per query, the best of the default,
dense-only and keyword-only top 10 (a bound on picking among those three, not on every weighting).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import ROOT, machine
from bench.quality import RANKINGS as QUALITY_RANKINGS
from bench.retrieval import SETS, Query, RetrievalSet, score
from expiring_memory_mcp.store import keyword_index
from expiring_memory_mcp.store.fusion import KEYWORD_WEIGHTS, Candidate, Ranking, fuse
from expiring_memory_mcp.store.keywords import words

TOP_K = 60  # what Mem0 asks the store for with limit 10: max(4 * limit, 60)
LIMIT = 10
THRESHOLD = 0.1  # Mem0's score threshold
COLLECTION = "memories"
# bench.quality's first three configurations (its labels, so its report can be read back), as Rankings.
RANKINGS = [
    (label, Ranking(settings.get("recall_ranking", "hybrid"), KEYWORD_WEIGHTS["minilm"]))
    for label, settings in QUALITY_RANKINGS[:3]
]

SHORT = {"hybrid": "default", "dense": "dense only", "keyword": "keyword only"}

INTRO = """Offline, from the product's own parts (embedder `minilm`, \
`store.keyword_index`, `store.fusion`), the default `recall(limit=10)` on the embedded store: the user's dense top 60 \
and BM25 top 60, fused, Mem0's threshold 0.1, the first 10. Its default, dense-only and keyword-only rows must equal \
those `bench.quality` measures through the real `recall` tool; the table shows both, and *same* says whether they \
agree (— when that report lacks them).

- **candidate pool recall**: the share of the relevant memories among the default's candidates (dense top 60 ∪ BM25 \
top 60), the most any re-ranking of them could find.
- **best of the three per query**: R@10 when each query takes whichever of the default, dense-only and keyword-only \
top 10 finds most: a bound on choosing among these three rankings per query, not on every weighting of the two \
signals."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Store:
    """A set as the embedded store holds it: every user's memories in one file, user by user; rowid = row + 1."""

    retrieval: RetrievalSet
    ids: list[str]  # the set's id of each row
    owner: np.ndarray  # the user of each row
    vectors: np.ndarray  # the memories' embeddings, one row each
    probes: np.ndarray  # the queries' embeddings, in query order
    db: sqlite3.Connection  # `vectors` (rowid, collection, user_id) and the product's keyword index
    rare: float


def open_store(retrieval: RetrievalSet, embedder: Any) -> Store:
    memories = [m for user in retrieval.users() for m in retrieval.memories if m.user == user]
    texts = [m.content.strip() for m in memories]
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE vectors (rowid INTEGER PRIMARY KEY, collection TEXT, user_id TEXT)")
    db.execute(keyword_index.KEYWORD_INDEX)
    db.executemany(
        "INSERT INTO vectors VALUES (?, ?, ?)", ((n + 1, COLLECTION, m.user) for n, m in enumerate(memories))
    )
    db.executemany(
        "INSERT INTO vectors_fts (rowid, text) VALUES (?, ?)",
        ((n + 1, keyword_index.text_of({"data": text})) for n, text in enumerate(texts)),
    )
    return Store(
        retrieval,
        [m.id for m in memories],
        np.array([m.user for m in memories]),
        embedder.encode(texts),
        embedder.encode([q.text.strip() for q in retrieval.queries], query=True),
        db,
        keyword_index.rare(len(memories)),
    )


def search(store: Store, n: int, ranking: Ranking) -> tuple[list[str], list[str]]:
    """Query `n` as `recall(limit=10)` answers it: its top 10 set ids, and every candidate that `fuse` saw."""
    query = store.retrieval.queries[n]
    text = query.text.strip()
    cosine = store.vectors @ store.probes[n]
    near: list[int] = []
    if ranking.uses_vectors:  # exact cosine top 60 among this user's rows
        own = np.flatnonzero(store.owner == query.user)
        near = [int(i) + 1 for i in own[np.argsort(-cosine[own], kind="stable")][:TOP_K]]
    match = keyword_index.query_of(text) if ranking.uses_keywords else None
    bm25 = keyword_index.bm25(store.db, COLLECTION, match, TOP_K, near, "v.user_id = ?", [query.user]) if match else {}
    rowids = near + sorted(set(bm25) - set(near))
    candidates = [Candidate(r, float(cosine[r - 1]), bm25.get(r, 0.0)) for r in rowids]
    ranked = fuse(candidates, ranking, rare=store.rare, words=len(words(text)))[:TOP_K]
    top = [store.ids[r - 1] for r, value in ranked if value >= THRESHOLD][:LIMIT]
    return top, [store.ids[r - 1] for r in rowids]


def found(query: Query, got: list[str], any_relevant: bool) -> float:
    """The share of the query's relevant memories in `got` (for alternatives, whether any is)."""
    hits = len(set(query.relevant) & set(got))
    return min(hits, 1) if any_relevant else hits / len(query.relevant)


def groups(retrieval: RetrievalSet) -> dict[str, list[int]]:
    """All queries; for the conversations, each user's and those of every user but the first."""
    out = {"all": list(range(len(retrieval.queries)))}
    users = retrieval.users()
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
    store = open_store(retrieval, embedder)
    queries, any_relevant = retrieval.queries, retrieval.any_relevant
    tops: dict[str, list[list[str]]] = {}
    pool: list[list[str]] = []
    for label, ranking in RANKINGS:
        answers = [search(store, n, ranking) for n in range(len(queries))]
        tops[label] = [top for top, _ in answers]
        if ranking.method == "hybrid":  # the default's candidates: dense top 60 and BM25 top 60
            pool = [candidates for _, candidates in answers]
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
    parser.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS))
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--quality",
        type=Path,
        help="the bench.quality report to compare with (default: bench/QUALITY.md, or bench/out/QUALITY-smoke.md)",
    )
    args = parser.parse_args()
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
    for name in args.sets:
        retrieval = SETS[name]()
        out += measure(retrieval.sliced(users=1, queries_per_user=40) if smoke else retrieval, embedder, quality)
    out.append(f"Run time: {time.perf_counter() - started:.0f} s.")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n")
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
