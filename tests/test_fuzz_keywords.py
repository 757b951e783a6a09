"""Fuzzing the keyword search with hypothesis: any text, hostile or not, becomes a valid and safe FTS5 query."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from expiring_memory_mcp.store import SQLiteVectorStore
from expiring_memory_mcp.store.keywords import match_query
from fuzz_inputs import NASTY, fuzz, text

FTS_CASES = 1000


@pytest.fixture
def keyword_store(tmp_path: Path) -> Iterator[SQLiteVectorStore]:
    import numpy as np

    store = SQLiteVectorStore(tmp_path / "fts.db")
    texts = [
        "apples AND pears",
        "near the NEAR station",
        'a "quoted" word',
        "star * gazing",
        "minus -one",
        "日本語のテキスト",
        "emoji 😀 party",
        "column:value pairs",
        "plain words only",
    ]
    rng = np.random.default_rng(1)
    store.insert(
        list(rng.random((len(texts), 384), dtype=np.float32)),
        [{"data": t, "user_id": "u"} for t in texts],
        [f"id{i}" for i in range(len(texts))],
    )
    yield store
    store.close()


@pytest.mark.slow
def test_any_text_as_a_keyword_query_is_a_safe_fts5_query(keyword_store: SQLiteVectorStore) -> None:
    @fuzz(FTS_CASES)
    @given(
        query=st.one_of(
            text,
            st.lists(st.sampled_from(NASTY + ["apples", "near", "star", "one"]), max_size=8).map(" ".join),
            st.text(st.characters(codec="utf-8", exclude_characters="\x00")),
        )
    )
    def case(query: str) -> None:
        match = match_query(query)
        if match is not None:  # only quoted words joined by OR: nothing from the text is FTS5 syntax
            assert re.fullmatch(r'"[^"]+"( OR "[^"]+")*', match), match
        try:
            query.encode("utf-8")
        except UnicodeEncodeError:
            return  # the service refuses such text before any query is built
        results = keyword_store.keyword_matches(query, top_k=5, filters={"user_id": "u"})
        assert all(r.score > 0 for r in results)

    case()
    found = keyword_store.keyword_matches('NEAR(apples pears) AND "star* -one', top_k=9, filters={"user_id": "u"})
    assert {r.payload["data"] for r in found} >= {"apples AND pears", "star * gazing", "minus -one"}
