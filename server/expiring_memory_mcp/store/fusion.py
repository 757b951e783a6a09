"""How recall ranks: the meaning (dense) and keyword (BM25) evidence for each candidate, fused into one score.

Pure: no I/O. The store gathers candidates from both sides, gives every candidate both its exact cosine with the
query and its exact BM25 score, and asks `fuse` for the order. The default, `hybrid`:

    score = (1 - w) * cosine + w * keyword,    keyword = logistic(1.5 * (bm25 / rare - bar))

- `rare` is the BM25 weight of a word that only one memory in the store has, so `bm25 / rare` counts how many of
  the query's rare words a memory shares, whatever the size of the store (raw BM25 grows with it).
- `w` is 0.45 with the default embedder, 0.3 with the multilingual ones, whose meaning side is stronger.
- `bar` rises with the length of the query (0.6 + 0.3 per word): a long question needs more shared words before
  they count, a one-word lookup of a name or a number needs one.
- A memory that shares no word with the query has keyword 0. When no memory shares a word with the query at all,
  the score is the cosine alone.

So the score lies in [0, 1]: the cosine, raised by shared rare words and lowered (by at most w) for lacking them.
The constants were chosen on the retrieval sets in bench/data (see bench/RESULTS.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Method = Literal["hybrid", "relative", "rrf", "dense", "keyword"]
METHODS: tuple[Method, ...] = ("hybrid", "relative", "rrf", "dense", "keyword")
RRF_K = 60  # the usual reciprocal-rank constant
BAR, BAR_PER_WORD, STEEPNESS = 0.6, 0.3, 1.5
# The best keyword weight depends on how good the embedder is alone (measured in bench/RESULTS.md).
KEYWORD_WEIGHTS = {"minilm": 0.45, "use-multilingual": 0.3, "e5-multilingual": 0.3}


@dataclass(frozen=True)
class Ranking:
    """How recall ranks; `keyword_weight` is w in the hybrid blend."""

    method: Method = "hybrid"
    keyword_weight: float = 0.45

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown ranking method {self.method!r}; use one of {', '.join(METHODS)}")
        if not 0.0 <= self.keyword_weight <= 1.0:
            raise ValueError("keyword_weight must be between 0 and 1")

    @property
    def uses_keywords(self) -> bool:
        return self.method != "dense"

    @property
    def uses_vectors(self) -> bool:
        return self.method != "keyword"


@dataclass(frozen=True)
class Candidate:
    """One memory's evidence: its cosine with the query and its BM25 score (0 when it shares no query word)."""

    key: int
    cosine: float
    bm25: float = 0.0


def fuse(candidates: Sequence[Candidate], ranking: Ranking, *, rare: float, words: int) -> list[tuple[int, float]]:
    """Every candidate, best first, with a score in [0, 1]; ties keep the input order.

    `rare` is the BM25 weight of a word only one memory has, `words` the number of words in the query. Nothing is
    dropped here: the caller's threshold on the score decides what is a match.
    """
    match ranking.method:
        case "rrf":
            scores = _reciprocal_ranks(candidates)
        case "relative" | "keyword":  # keywords relative to this query's best keyword match
            weight = 1.0 if ranking.method == "keyword" else ranking.keyword_weight
            best = max((c.bm25 for c in candidates), default=0.0)
            scores = [
                (1 - weight) * _unit(c.cosine) + weight * (c.bm25 / best if best > 0 else 0.0) for c in candidates
            ]
        case "dense":
            scores = [_unit(c.cosine) for c in candidates]
        case _:
            weight = ranking.keyword_weight if any(c.bm25 > 0 for c in candidates) else 0.0
            scores = [
                (1 - weight) * _unit(c.cosine) + weight * keyword_evidence(c.bm25, rare, words) for c in candidates
            ]
    order = sorted(range(len(candidates)), key=lambda i: -scores[i])
    return [(candidates[i].key, _unit(scores[i])) for i in order]


def keyword_evidence(bm25: float, rare: float, words: int) -> float:
    """How sure a BM25 score is that a memory shares the query's rare words, in [0, 1); 0 for no shared word."""
    if bm25 <= 0:
        return 0.0
    shared = bm25 / max(rare, 1.0)
    exponent = -STEEPNESS * (shared - (BAR + BAR_PER_WORD * words))
    return 1.0 / (1.0 + math.exp(min(exponent, 700.0)))  # a query of thousands of words must not overflow


def _reciprocal_ranks(candidates: Sequence[Candidate]) -> list[float]:
    """Reciprocal-rank fusion of the two orders, scaled so that first on both sides is 1.0."""
    total = [0.0] * len(candidates)
    sides = [
        [i for i in range(len(candidates)) if candidates[i].cosine > 0],
        [i for i in range(len(candidates)) if candidates[i].bm25 > 0],
    ]
    used = [side for side in sides if side]
    for side, key in zip(sides, (lambda i: -candidates[i].cosine, lambda i: -candidates[i].bm25), strict=True):
        for rank, i in enumerate(sorted(side, key=key), start=1):
            total[i] += 1.0 / (RRF_K + rank)
    top = len(used) / (RRF_K + 1)
    return [t / top for t in total] if used else total


def _unit(value: float) -> float:
    return min(1.0, max(0.0, value))
