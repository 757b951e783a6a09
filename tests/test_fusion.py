"""How recall ranks, on its own: the fusion of meaning and keyword evidence (pure, no store)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from expiring_memory_mcp.store.fusion import Candidate, Ranking, default_ranking, fuse, idf, local_bm25

HYBRID = Ranking()
FULL = 10.0  # a query's full keyword weight: a memory with BM25 10 holds all of its words


def keys(ranked: list[tuple[int, float]]) -> list[int]:
    return [key for key, _ in ranked]


def test_a_memory_holding_the_query_words_outranks_one_only_a_little_closer_in_meaning() -> None:
    candidates = [Candidate(1, 0.40), Candidate(2, 0.35, bm25=0.6 * FULL)]
    assert keys(fuse(candidates, HYBRID, full=FULL)) == [2, 1]


def test_a_memory_found_only_by_meaning_keeps_its_place_above_weak_word_matches() -> None:
    candidates = [Candidate(1, 0.9), Candidate(2, 0.3, bm25=0.2 * FULL), Candidate(3, 0.25, bm25=0.1 * FULL)]
    assert keys(fuse(candidates, HYBRID, full=FULL)) == [1, 2, 3]


def test_meaning_counts_relative_to_the_closest_memory() -> None:
    low = fuse([Candidate(1, 0.4), Candidate(2, 0.3)], HYBRID, full=FULL)
    high = fuse([Candidate(1, 0.8), Candidate(2, 0.6)], HYBRID, full=FULL)
    assert [s for _, s in low] == pytest.approx([0.5, 0.375])
    assert [s for _, s in high] == pytest.approx([0.5, 0.375])


def test_a_memory_holding_every_query_word_and_closest_in_meaning_scores_one() -> None:
    assert fuse([Candidate(1, 0.7, bm25=2 * FULL)], HYBRID, full=FULL) == [(1, pytest.approx(1.0))]


def test_what_plainly_does_not_answer_is_under_the_floor() -> None:
    # 'z' and "Browsing electronics deals" against "airplane seat": cosines 0.21 and 0.17, no shared word.
    assert fuse([Candidate(1, 0.21), Candidate(2, 0.17)], HYBRID, full=FULL) == []
    assert keys(fuse([Candidate(1, 0.23), Candidate(2, 0.17, bm25=0.1 * FULL)], HYBRID, full=FULL)) == [1, 2]


def test_a_reply_borrows_most_of_the_score_of_the_question_before_it_but_never_outranks_it() -> None:
    question, reply, other = Candidate(1, 0.8, bm25=0.8 * FULL), Candidate(2, 0.1), Candidate(3, 0.5, bm25=0.2 * FULL)
    alone = fuse([question, reply, other], HYBRID, full=FULL)
    assert keys(alone) == [1, 3]  # the reply alone is under the floor
    ranked = fuse([question, reply, other], HYBRID, full=FULL, neighbours={2: [question], 1: [reply]})
    assert keys(ranked) == [1, 2, 3]
    assert dict(ranked)[2] == pytest.approx(0.8 * dict(ranked)[1])


def test_context_is_the_hybrids_alone_and_can_be_switched_off() -> None:
    question, reply = Candidate(1, 0.8, bm25=FULL), Candidate(2, 0.3)
    for ranking in (Ranking(context=0.0), Ranking("dense"), Ranking("keyword"), Ranking("relative")):
        scores = dict(fuse([question, reply], ranking, full=FULL, neighbours={2: [question]}))
        assert scores.get(2, 0.0) < 0.5 * scores[1]


def test_empty_sides_give_nothing_or_one_side_alone() -> None:
    assert fuse([], HYBRID, full=FULL) == []
    only_words = fuse([Candidate(1, 0.0, bm25=FULL), Candidate(2, 0.0, bm25=0.5 * FULL)], HYBRID, full=FULL)
    assert keys(only_words) == [1, 2]
    no_words_anywhere = fuse([Candidate(1, 0.4), Candidate(2, 0.7)], HYBRID, full=0.0)
    assert keys(no_words_anywhere) == [2, 1]


def test_ties_keep_the_order_they_came_in() -> None:
    candidates = [Candidate(k, 0.5, bm25=FULL) for k in (7, 3, 9)]
    for ranking in (HYBRID, Ranking("relative"), Ranking("dense"), Ranking("keyword")):
        assert keys(fuse(candidates, ranking, full=FULL)) == [7, 3, 9]


def test_a_term_in_every_memory_searched_weighs_nothing_however_rare_it_is_in_the_file() -> None:
    # "emi" is in all three of this user's memories (a speaker's name) and in 3 of the file's 1,000 rows; "ramen"
    # in one of them. Each share is the term's weight in the file (once, at an average length).
    shares = [{1: idf(1000, 3), 2: idf(1000, 3), 3: idf(1000, 3)}, {2: idf(1000, 1)}]
    scores, full = local_bm25(shares, in_file=[3, 1], rows_in_file=1000, searched=3)
    assert scores[1] == pytest.approx(0.0, abs=1e-5)
    assert scores[2] == pytest.approx(idf(3, 1), abs=1e-5) and full == pytest.approx(idf(3, 1), abs=1e-5)


def test_local_weights_equal_fts5_weights_when_the_user_is_the_whole_file() -> None:
    shares = [{1: 2.5, 3: 1.0}, {3: 4.0}]
    scores, full = local_bm25(shares, in_file=[2, 1], rows_in_file=50, searched=50)
    assert scores == pytest.approx({1: 2.5, 3: 5.0})
    assert full == pytest.approx(idf(50, 2) + idf(50, 1))


def test_fts5_weights_follow_its_formula() -> None:
    assert idf(1000, 1) == pytest.approx(math.log(999.5 / 1.5))
    assert idf(10, 9) == 1e-6  # a term in most rows weighs (almost) nothing, never less


def test_reciprocal_rank_fusion_gives_first_on_both_sides_a_full_score() -> None:
    ranked = fuse([Candidate(1, 0.9, bm25=5.0), Candidate(2, 0.5, bm25=1.0)], Ranking("rrf"), full=FULL)
    assert ranked[0] == (1, pytest.approx(1.0))


def test_dense_and_keyword_ranking_use_one_side_only() -> None:
    candidates = [Candidate(1, 0.9), Candidate(2, 0.1, bm25=FULL)]
    assert keys(fuse(candidates, Ranking("dense"), full=FULL)) == [1, 2]
    keyword = fuse(candidates, Ranking("keyword"), full=FULL)
    assert keys(keyword) == [2, 1] and keyword[1][1] == 0.0


def test_an_unknown_method_weight_or_context_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown ranking method"):
        Ranking("bm42")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="between 0 and 1"):
        Ranking(keyword_weight=1.5)
    with pytest.raises(ValueError, match="below 1"):
        Ranking(context=1.0)


@given(
    st.lists(st.tuples(st.floats(-1, 1), st.floats(0, 1e6, allow_nan=False)), min_size=1, max_size=30),
    st.sampled_from(["hybrid", "relative", "rrf", "dense", "keyword"]),
    st.floats(0, 1e3),
    st.dictionaries(st.integers(0, 29), st.lists(st.integers(0, 29), max_size=2), max_size=10),
)
def test_every_score_lies_in_the_unit_range_and_comes_best_first(
    evidence: list[tuple[float, float]], method: str, full: float, around: dict[int, list[int]]
) -> None:
    candidates = [Candidate(k, c, b) for k, (c, b) in enumerate(evidence)]
    context = {k: [candidates[n] for n in found if n < len(candidates)] for k, found in around.items()}
    ranked = fuse(candidates, Ranking(method), full=full, neighbours=context)  # type: ignore[arg-type]
    scores = [score for _, score in ranked]
    assert set(keys(ranked)) <= set(range(len(evidence))) and len(set(keys(ranked))) == len(ranked)
    if method != "hybrid":  # only the hybrid has a floor
        assert sorted(keys(ranked)) == list(range(len(evidence)))
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)


def test_each_embedder_ranks_with_its_own_weight_and_floor_and_a_given_weight_wins() -> None:
    assert default_ranking("minilm") == Ranking(keyword_weight=0.5, floor=0.11)
    assert default_ranking("use-multilingual") == Ranking(keyword_weight=0.3, floor=0.05)
    assert default_ranking("e5-multilingual") == Ranking(keyword_weight=0.1, floor=0.11)
    assert default_ranking("use-multilingual", "dense", 0.7) == Ranking("dense", 0.7, floor=0.05)
