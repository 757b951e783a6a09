"""Recall quality does not regress: the default ranks at or above the best of its own parts (meaning alone, keywords
alone) on every retrieval set the tests can reach, through the real `recall` tool.

The floors sit a little below what `python -m bench.quality` measured at the change that set them (bench/QUALITY.md):
bench/data R@10 0.930 (R@1 0.684), multilingual 0.660; REALTALK's first two chats 0.587 (keywords alone 0.569, meaning
alone 0.353, measured with `bench.offline`). REALTALK (real people's chats) is read from ../shared/realtalk, as CI has
it; two chats are enough here, and the whole set belongs to the benchmark.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.quality import rank_all, store
from bench.retrieval import REALTALK, RetrievalSet, Scores, classic, conversations, multilingual, realtalk, score

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def measured(retrieval: RetrievalSet, data_dir: Path) -> dict[str, Scores]:
    ids = await store(data_dir, retrieval)
    return {
        method: score(
            retrieval.queries,
            await rank_all(data_dir, retrieval, ids, recall_ranking=method),
            any_relevant=retrieval.any_relevant,
        )
        for method in ("hybrid", "dense", "keyword")
    }


def at_or_above_both_parts(found: dict[str, Scores], margin: float = 0.0) -> bool:
    return found["hybrid"].recall[10] >= max(found["dense"].recall[10], found["keyword"].recall[10]) + margin


async def test_on_assistant_written_memories_recall_is_at_or_above_both_parts_and_keeps_its_first_place(
    tmp_path: Path,
) -> None:
    found = await measured(classic(), tmp_path / "classic")

    assert at_or_above_both_parts(found)
    assert found["hybrid"].recall[1] >= 0.65 and found["hybrid"].recall[10] >= 0.92


async def test_conversational_recall_stays_above_its_floor_and_above_both_of_its_parts(tmp_path: Path) -> None:
    found = await measured(conversations().sliced(users=1, queries_per_user=200), tmp_path / "u1")

    assert found["hybrid"].recall[10] >= 0.85 and found["hybrid"].mrr >= 0.75
    assert at_or_above_both_parts(found, margin=0.02)


async def test_recall_in_five_languages_is_at_or_above_both_parts(tmp_path: Path) -> None:
    found = await measured(multilingual(), tmp_path / "ml")

    assert at_or_above_both_parts(found)
    assert found["hybrid"].recall[10] >= 0.62


async def test_japanese_recall_finds_what_the_english_embedder_cannot(tmp_path: Path) -> None:
    everything = multilingual()
    japanese = RetrievalSet(
        "ja", [m for m in everything.memories if m.user == "ml-ja"], [q for q in everything.queries if q.lang == "ja"]
    )
    found = await measured(japanese, tmp_path / "ja")

    assert found["hybrid"].recall[10] >= 0.65
    assert found["hybrid"].recall[10] >= found["dense"].recall[10] + 0.2
    assert found["keyword"].recall[10] >= 0.62  # the keyword index reads Japanese without spaces


@pytest.mark.skipif(not REALTALK.is_dir(), reason=f"REALTALK is read from {REALTALK}, which CI has")
async def test_on_real_peoples_chats_recall_is_above_both_of_its_parts(tmp_path: Path) -> None:
    everything = realtalk()
    two = {"chat-01", "chat-02"}
    chats = RetrievalSet(
        "realtalk", [m for m in everything.memories if m.user in two], [q for q in everything.queries if q.user in two]
    )
    found = await measured(chats, tmp_path / "realtalk")

    assert at_or_above_both_parts(found)
    assert found["hybrid"].recall[10] >= 0.56
