"""How recall ranks, on its own: the fusion of meaning and keyword evidence (pure, no store)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from expiring_memory_mcp.store.fusion import Candidate, Ranking, fuse, keyword_evidence

HYBRID = Ranking()
RARE = math.log(999.5 / 1.5)  # the weight of a word only one of 1,000 memories has


def keys(ranked: list[tuple[int, float]]) -> list[int]:
    return [key for key, _ in ranked]


def test_a_memory_found_only_by_a_rare_word_outranks_weak_meaning_matches() -> None:
    candidates = [Candidate(1, 0.35), Candidate(2, 0.30), Candidate(3, 0.02, bm25=RARE)]
    ranked = fuse(candidates, HYBRID, rare=RARE, words=1)
    assert keys(ranked)[0] == 3


def test_a_memory_found_only_by_meaning_keeps_its_place_among_keyword_matches() -> None:
    candidates = [Candidate(1, 0.9), Candidate(2, 0.2, bm25=0.3 * RARE), Candidate(3, 0.1, bm25=0.2 * RARE)]
    assert keys(fuse(candidates, HYBRID, rare=RARE, words=6)) == [1, 2, 3]


def test_with_no_shared_word_anywhere_the_score_is_the_cosine() -> None:
    ranked = fuse([Candidate(1, 0.4), Candidate(2, 0.7), Candidate(3, -0.2)], HYBRID, rare=RARE, words=3)
    assert ranked == [(2, pytest.approx(0.7)), (1, pytest.approx(0.4)), (3, 0.0)]


def test_empty_sides_give_nothing_or_one_side_alone() -> None:
    assert fuse([], HYBRID, rare=RARE, words=2) == []
    only_keywords = fuse([Candidate(1, 0.0, bm25=2 * RARE), Candidate(2, 0.0, bm25=RARE)], HYBRID, rare=RARE, words=1)
    assert keys(only_keywords) == [1, 2] and all(score > 0 for _, score in only_keywords)


def test_ties_keep_the_order_they_came_in() -> None:
    candidates = [Candidate(k, 0.5, bm25=RARE) for k in (7, 3, 9)]
    for ranking in (HYBRID, Ranking("relative"), Ranking("dense"), Ranking("keyword")):
        assert keys(fuse(candidates, ranking, rare=RARE, words=2)) == [7, 3, 9]


def test_keyword_evidence_is_zero_without_a_shared_word_and_approaches_one_with_many() -> None:
    assert keyword_evidence(0.0, RARE, 3) == 0.0
    assert keyword_evidence(-1.0, RARE, 3) == 0.0
    assert 0.99 < keyword_evidence(10 * RARE, RARE, 3) < 1.0
    assert keyword_evidence(0.5 * RARE, RARE, 1) < keyword_evidence(RARE, RARE, 1) < keyword_evidence(2 * RARE, RARE, 1)


def test_a_longer_question_needs_more_shared_words_before_they_count() -> None:
    assert keyword_evidence(RARE, RARE, 1) > 0.5 > keyword_evidence(RARE, RARE, 8)


def test_the_same_shared_words_count_the_same_in_a_small_store_and_a_large_one() -> None:
    small, large = math.log(99.5 / 1.5), math.log(99_999.5 / 1.5)
    assert keyword_evidence(small, small, 2) == pytest.approx(keyword_evidence(large, large, 2))


def test_a_query_of_thousands_of_words_needs_them_all_and_does_not_overflow() -> None:
    assert keyword_evidence(RARE, RARE, 5000) < 1e-300
    assert keyword_evidence(1e9 * RARE, RARE, 5000) == 1.0


def test_a_tiny_store_does_not_blow_up_the_scale() -> None:
    assert 0.0 < keyword_evidence(0.5, 0.0, 1) < 1.0


def test_reciprocal_rank_fusion_gives_first_on_both_sides_a_full_score() -> None:
    ranked = fuse([Candidate(1, 0.9, bm25=5.0), Candidate(2, 0.5, bm25=1.0)], Ranking("rrf"), rare=RARE, words=2)
    assert ranked[0] == (1, pytest.approx(1.0))


def test_dense_and_keyword_ranking_use_one_side_only() -> None:
    candidates = [Candidate(1, 0.9), Candidate(2, 0.1, bm25=RARE)]
    assert keys(fuse(candidates, Ranking("dense"), rare=RARE, words=1)) == [1, 2]
    keyword = fuse(candidates, Ranking("keyword"), rare=RARE, words=1)
    assert keys(keyword) == [2, 1] and keyword[1][1] == 0.0


def test_an_unknown_method_or_weight_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown ranking method"):
        Ranking("bm42")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="between 0 and 1"):
        Ranking(keyword_weight=1.5)


@given(
    st.lists(st.tuples(st.floats(-1, 1), st.floats(0, 1e6, allow_nan=False)), min_size=1, max_size=30),
    st.sampled_from(["hybrid", "relative", "rrf", "dense", "keyword"]),
    st.floats(0, 20),
    st.integers(0, 5000),
)
def test_every_score_lies_in_the_unit_range_and_comes_best_first(
    evidence: list[tuple[float, float]], method: str, rare: float, words: int
) -> None:
    ranked = fuse(
        [Candidate(k, c, b) for k, (c, b) in enumerate(evidence)],
        Ranking(method),
        rare=rare,  # type: ignore[arg-type]
        words=words,
    )
    scores = [score for _, score in ranked]
    assert sorted(keys(ranked)) == list(range(len(evidence)))
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)
