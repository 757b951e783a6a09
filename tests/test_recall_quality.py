"""Recall quality does not regress: slices of bench/data's retrieval sets through the real `recall` tool.

The floors sit a little below what `python -m bench.quality` measured at the change that set them (bench/QUALITY.md):
on the first conversational user the default reached R@10 0.886 (dense alone 0.853, keywords alone 0.712); on the
Japanese slice 0.706 (dense alone 0.438, keywords alone 0.681; Mem0's own fusion on the old index 0.45).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.quality import rank_all, store
from bench.retrieval import RetrievalSet, Scores, conversations, multilingual, score

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def measured(retrieval: RetrievalSet, data_dir: Path) -> dict[str, Scores]:
    ids = await store(data_dir, retrieval)
    return {
        method: score(
            retrieval.queries, await rank_all(data_dir, retrieval, ids, recall_ranking=method), any_relevant=False
        )
        for method in ("hybrid", "dense", "keyword")
    }


async def test_conversational_recall_stays_above_its_floor_and_above_both_of_its_parts(tmp_path: Path) -> None:
    found = await measured(conversations().sliced(users=1, queries_per_user=200), tmp_path / "u1")

    assert found["hybrid"].recall[10] >= 0.85 and found["hybrid"].mrr >= 0.77
    assert found["hybrid"].recall[10] >= found["dense"].recall[10] + 0.02
    assert found["hybrid"].recall[10] >= found["keyword"].recall[10] + 0.12


async def test_japanese_recall_finds_what_the_english_embedder_cannot(tmp_path: Path) -> None:
    everything = multilingual()
    japanese = RetrievalSet(
        "ja", [m for m in everything.memories if m.user == "ml-ja"], [q for q in everything.queries if q.lang == "ja"]
    )
    found = await measured(japanese, tmp_path / "ja")

    assert found["hybrid"].recall[10] >= 0.65
    assert found["hybrid"].recall[10] >= found["dense"].recall[10] + 0.2
    assert found["keyword"].recall[10] >= 0.62  # the keyword index reads Japanese without spaces
