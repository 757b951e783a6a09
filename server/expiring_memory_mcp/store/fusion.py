"""How recall ranks: the meaning (dense) and keyword (BM25) evidence for each candidate, fused into one score.

Pure: no I/O. The store gives every candidate its exact cosine with the query and its BM25 score over the memories
searched (`local_bm25`), and, for the default, the same two for the memories stored just before and after it. The
default, `hybrid`:

    score = ½ × cosine / best cosine + ½ × words,      words = min(1, BM25 / the query's full weight)

- **words** is the share of the query's keyword weight that the memory holds: 1 when it has every query term once
  (at an average length), ½ when it has the terms that make up half the weight. Each term weighs what BM25 gives
  it (its IDF) *among the memories searched*, the user's own, so a name in every message of a chat (its speaker)
  weighs nothing, and what other users of the same file store never changes your ranking.
- **cosine / best cosine** says how close in meaning a memory is compared with the closest one: the embedder puts
  the best answer to one question at 0.3 and to another at 0.8, so raw cosines are on no common scale with words.
- **Equal halves**: neither side is trusted more. On real conversations (REALTALK) the halves and the weights
  around them (0.4 to 0.6) measure within 0.02 of each other; at 0.6 the assistant-written sets lose (bench/TUNE.md).
- **Context**: a memory then takes `max(its score, 0.8 × a neighbour's)`, its neighbours being the memories of the
  same type stored just before and after it within 30 minutes: the turns of one conversation, remembered one after
  another. An answer rarely repeats the question's words ("Are you seeing anyone?" "Two years in May"), and a
  neighbour never outranks the memory that lent it its score. 0.8 was chosen on REALTALK by cross-validation over
  its halves (bench/tune.py); 30 minutes is what one sitting takes.
- **Floor**: a memory is returned only if `(cosine + words) / 2`, or 0.8 × a neighbour's, is at least 0.11: one that
  shares no word with the query needs a cosine of 0.22, above what unrelated short texts get (0.17 to 0.21). 0.11 is
  the highest floor that costs no set more than 0.01 of R@10 (bench/TUNE.md). With another keyword weight w, the
  evidence is `(1 - w) × cosine + w × words`.

The other methods are for measuring the parts: `dense` (cosine), `keyword` (BM25 over the best match's), `relative`
and `rrf`; they take no context and no floor (Mem0's threshold of 0.1 applies).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Method = Literal["hybrid", "relative", "rrf", "dense", "keyword"]
METHODS: tuple[Method, ...] = ("hybrid", "relative", "rrf", "dense", "keyword")
RRF_K = 60  # the usual reciprocal-rank constant
CONTEXT_SHARE = 0.8  # what a neighbour lends of its score (bench/tune.py)
CONTEXT_SECONDS = 30 * 60  # how close in time two memories are to be neighbours: one sitting
FLOOR = 0.11  # the least (cosine + words) / 2 a returned memory has (bench/TUNE.md)
KEYWORD_WEIGHT = 0.5  # equal halves, with the default embedder
# Each embedder's keyword weight and floor: its cosines lie on a scale of its own. e5 puts every text at 0.75 to 0.9
# of any query, so its meaning side moves little even relative to the best and words must weigh less; USE's cosines
# run low, so the floor must too. Chosen on bench/data, conversations and multilingual (bench/QUALITY-EMBEDDERS.md):
# the largest weight and floor at which each is at or near its meaning side alone on every one of them.
EMBEDDERS = {"minilm": (KEYWORD_WEIGHT, FLOOR), "use-multilingual": (0.3, 0.05), "e5-multilingual": (0.1, FLOOR)}


@dataclass(frozen=True)
class Ranking:
    """How recall ranks; `keyword_weight` is the weight of words in the hybrid blend, `context` a neighbour's share
    and `floor` the least evidence a returned memory has (both the hybrid's alone)."""

    method: Method = "hybrid"
    keyword_weight: float = KEYWORD_WEIGHT
    context: float = CONTEXT_SHARE
    floor: float = FLOOR

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown ranking method {self.method!r}; use one of {', '.join(METHODS)}")
        if not 0.0 <= self.keyword_weight <= 1.0:
            raise ValueError("keyword_weight must be between 0 and 1")
        if not 0.0 <= self.context < 1.0:
            raise ValueError("context must be at least 0 and below 1")

    @property
    def uses_keywords(self) -> bool:
        return self.method != "dense"

    @property
    def uses_vectors(self) -> bool:
        return self.method != "keyword"

    @property
    def uses_context(self) -> bool:
        return self.method == "hybrid" and self.context > 0


@dataclass(frozen=True)
class Candidate:
    """One memory's evidence: its cosine with the query and its BM25 score (0 when it shares no query word)."""

    key: int
    cosine: float
    bm25: float = 0.0


def default_ranking(embedder: str, method: Method = "hybrid", keyword_weight: float | None = None) -> Ranking:
    """The ranking for this embedder: its keyword weight (unless one is given) and its floor."""
    weight, floor = EMBEDDERS.get(embedder, (KEYWORD_WEIGHT, FLOOR))
    return Ranking(method, weight if keyword_weight is None else keyword_weight, floor=floor)


def idf(rows: int, having: int) -> float:
    """A term's weight as FTS5's BM25 computes it, among `rows` documents of which `having` have the term."""
    return max(math.log((rows - having + 0.5) / (having + 0.5)), 1e-6)


def local_bm25(
    shares: Sequence[Mapping[int, float]], in_file: Sequence[int], rows_in_file: int, searched: int
) -> tuple[dict[int, float], float]:
    """BM25 with each term weighed among the memories searched instead of the whole file, and the query's full
    weight (the sum of its terms' weights).

    `shares[t]` is FTS5's BM25 share of term t for each searched row that has it, computed with the term's weight in
    the whole file (`in_file[t]` of `rows_in_file` rows have it); it is re-weighed by the term's weight among the
    `searched` rows, of which `len(shares[t])` have it."""
    scores: dict[int, float] = {}
    full = 0.0
    for matches, having in zip(shares, in_file, strict=True):
        weight = idf(searched, len(matches))
        full += weight
        scale = weight / idf(rows_in_file, having)
        for key, share in matches.items():
            scores[key] = scores.get(key, 0.0) + share * scale
    return scores, full


def fuse(
    candidates: Sequence[Candidate],
    ranking: Ranking,
    *,
    full: float,
    neighbours: Mapping[int, Sequence[Candidate]] | None = None,
) -> list[tuple[int, float]]:
    """The candidates, best first, with a score in [0, 1]; ties keep the input order.

    `full` is the query's full keyword weight (see `local_bm25`), `neighbours` each candidate's neighbours' evidence
    (the hybrid's context). The hybrid drops what is under its floor; the other methods drop nothing (the caller's
    threshold on the score decides)."""
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
            return _hybrid(candidates, ranking, full, neighbours or {})
    order = sorted(range(len(candidates)), key=lambda i: -scores[i])
    return [(candidates[i].key, _unit(scores[i])) for i in order]


def _hybrid(
    candidates: Sequence[Candidate], ranking: Ranking, full: float, neighbours: Mapping[int, Sequence[Candidate]]
) -> list[tuple[int, float]]:
    best = max((c.cosine for c in candidates), default=0.0)
    w = ranking.keyword_weight

    def words(c: Candidate) -> float:
        return min(1.0, c.bm25 / full) if full > 0 else 0.0

    def score(c: Candidate) -> float:  # meaning relative to the closest, and the share of the query's words
        return (1 - w) * (_unit(c.cosine) / best if best > 0 else 0.0) + w * words(c)

    def evidence(c: Candidate) -> float:  # the same, absolute: what the floor reads
        return (1 - w) * _unit(c.cosine) + w * words(c)

    ranked: list[tuple[int, float]] = []
    for c in candidates:
        around = neighbours.get(c.key, ()) if ranking.uses_context else ()
        lent = max((ranking.context * score(n) for n in around), default=0.0)
        floor = max([evidence(c)] + [ranking.context * evidence(n) for n in around])
        if floor >= ranking.floor:
            ranked.append((c.key, _unit(max(score(c), lent))))
    order = sorted(range(len(ranked)), key=lambda i: -ranked[i][1])
    return [ranked[i] for i in order]


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
