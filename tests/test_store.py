"""The SQLite vector store on its own: Mem0's filter language in SQL, exact top-k, and two connections' caches."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from expiring_memory_mcp.store import SQLiteVectorStore
from expiring_memory_mcp.store.keywords import match_query
from support import sqlite

DIMS = 8


def unit(*values: float) -> list[float]:
    vector = np.zeros(DIMS, dtype=np.float32)
    vector[: len(values)] = values
    return (vector / np.linalg.norm(vector)).tolist()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteVectorStore]:
    with closing(SQLiteVectorStore(tmp_path / "m.db", embedding_model_dims=DIMS)) as opened:
        yield opened


def ids(results) -> list[str]:
    return [r.id for r in results]


def fill(store: SQLiteVectorStore) -> None:
    rows = [
        ("a", unit(1, 0), {"user_id": "u", "type": "session", "expires_at": "2030-01-01T00:00:00Z", "data": "alpha"}),
        ("b", unit(1, 0.2), {"user_id": "u", "type": "fact", "expires_at": None, "data": "beta", "lang": "en"}),
        ("c", unit(1, 0.4), {"user_id": "u", "type": "chat", "expires_at": "2020-01-01T00:00:00Z", "data": "gamma"}),
        ("d", unit(1, 0.1), {"user_id": "other", "type": "fact", "data": "delta"}),
    ]
    store.insert([r[1] for r in rows], [r[2] for r in rows], [r[0] for r in rows])


NOW = "2025-06-01T00:00:00Z"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"user_id": "u"}, ["a", "b", "c"]),
        ({"user_id": "u", "NOT": [{"expires_at": {"lte": NOW}}]}, ["a", "b"]),  # a missing expiry stays
        ({"user_id": "u", "$not": [{"expires_at": {"lte": NOW}}]}, ["a", "b"]),  # Mem0's processed form
        ({"user_id": "u", "type": {"in": ["fact", "chat"]}}, ["b", "c"]),
        ({"user_id": "u", "type": {"nin": ["fact"]}}, ["a", "c"]),
        ({"user_id": "u", "type": {"ne": "session"}}, ["b", "c"]),
        ({"user_id": "u", "lang": "en"}, ["b"]),
        ({"user_id": "u", "lang": {"ne": "en"}}, ["a", "c"]),  # a missing key is "not equal"
        ({"user_id": "u", "expires_at": {"gt": NOW, "lte": "2031-01-01T00:00:00+00:00"}}, ["a"]),
        ({"OR": [{"type": "chat"}, {"user_id": "other"}]}, ["c", "d"]),
        ({"user_id": "*"}, ["a", "b", "c", "d"]),
        ({"user_id": "u", "type": {"contains": "ess"}}, ["a"]),
    ],
)
def test_filters_select_the_same_rows_in_search_keyword_matches_and_list(
    store: SQLiteVectorStore, filters: dict, expected: list[str]
) -> None:
    fill(store)
    assert sorted(ids(store.search("q", unit(1, 0), top_k=10, filters=filters))) == expected
    assert sorted(ids(store.list(filters=filters)[0])) == expected
    keyword = store.keyword_matches("alpha beta gamma delta", top_k=10, filters=filters)
    assert sorted(ids(keyword)) == expected


def test_search_is_exact_cosine_best_first_with_scores_in_unit_range(store: SQLiteVectorStore) -> None:
    fill(store)
    results = store.search("q", unit(1, 0.39), top_k=3, filters={"user_id": "u"})
    assert ids(results) == ["c", "b", "a"]
    assert all(0 <= r.score <= 1 for r in results)
    assert results[0].score == pytest.approx(0.5, abs=1e-3)  # the closest in meaning, sharing no word: half


def test_search_never_comes_back_short_however_many_closer_rows_fail_the_filter(store: SQLiteVectorStore) -> None:
    n = 3000
    store.insert(
        [unit(1, 0.001 * i) for i in range(n)],
        [{"user_id": "u", "expires_at": "2020-01-01T00:00:00Z", "data": f"old {i}"} for i in range(n)],
        [f"old-{i}" for i in range(n)],
    )
    # The live row is farther than every expired one, but close enough to clear recall's floor (cosine 0.45).
    store.insert([unit(0.5, 1)], [{"user_id": "u", "expires_at": None, "data": "live"}], ["live"])
    live = store.search("q", unit(1, 0), top_k=5, filters={"user_id": "u", "NOT": [{"expires_at": {"lte": NOW}}]})
    assert ids(live) == ["live"]


def test_list_puts_the_soonest_expiry_first_and_permanent_last(store: SQLiteVectorStore) -> None:
    fill(store)
    assert ids(store.list(filters={"user_id": "u"})[0]) == ["c", "a", "b"]


def test_a_second_connection_sees_inserts_updates_and_deletes(tmp_path: Path) -> None:
    with (
        closing(SQLiteVectorStore(tmp_path / "m.db", embedding_model_dims=DIMS)) as writer,
        closing(SQLiteVectorStore(tmp_path / "m.db", embedding_model_dims=DIMS)) as reader,
    ):
        writer.insert([unit(1, 0)], [{"user_id": "u", "data": "one"}], ["one"])
        assert ids(reader.search("q", unit(1, 0), top_k=5)) == ["one"]  # the cache is now warm

        writer.insert([unit(0, 1)], [{"user_id": "u", "data": "two"}], ["two"])
        assert ids(reader.search("q", unit(0, 1), top_k=1)) == ["two"]

        writer.update("one", vector=unit(0, 1, 1), payload={"user_id": "u", "data": "one, moved"})
        moved = reader.search("q", unit(0, 1, 1), top_k=1)
        assert ids(moved) == ["one"] and moved[0].payload["data"] == "one, moved"

        writer.delete("two")
        assert ids(reader.search("q", unit(0, 1), top_k=5)) == ["one"]
        assert reader.get("two") is None


def test_collections_in_one_file_do_not_see_each_other(tmp_path: Path) -> None:
    with (
        closing(
            SQLiteVectorStore(tmp_path / "m.db", collection_name="memories", embedding_model_dims=DIMS)
        ) as memories,
        closing(
            SQLiteVectorStore(tmp_path / "m.db", collection_name="entities", embedding_model_dims=DIMS)
        ) as entities,
    ):
        memories.insert([unit(1)], [{"data": "memory"}], ["m"])
        entities.insert([unit(1)], [{"data": "entity"}], ["e"])
        assert ids(memories.search("q", unit(1), top_k=5)) == ["m"]
        assert ids(entities.list()[0]) == ["e"]


@pytest.mark.parametrize(
    "text", ['"unbalanced', "a* OR", "NEAR(x y)", "AND", "-minus", "col:umn", "^caret", "'); DROP TABLE vectors;--"]
)
def test_any_text_is_a_safe_keyword_query(store: SQLiteVectorStore, text: str) -> None:
    fill(store)
    store.keyword_matches(text, top_k=5)
    store.search(text, unit(1), top_k=5)
    assert store.count() == 4


def test_stop_words_and_punctuation_leave_no_keyword_query() -> None:
    assert match_query("what is the ... ?") is None
    assert match_query('Where is "ACC-88213"?') == '"acc" OR "88213"'


def test_sweep_deletes_expired_rows_and_shrinks_the_file(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    with closing(SQLiteVectorStore(tmp_path / "m.db", embedding_model_dims=DIMS)) as store:
        n = 2000
        store.insert(
            [unit(1, i) for i in range(n)],
            [
                {"user_id": "u", "expires_at": "2020-01-01T00:00:00Z", "data": f"secret note {i} " + "x" * 400}
                for i in range(n)
            ],
            [str(i) for i in range(n)],
        )
        store.insert([unit(1)], [{"user_id": "u", "data": "keeper"}], ["keep"])
        store.compact()
        before = store.path.stat().st_size
        gone = store.sweep(datetime(2025, 1, 1, tzinfo=UTC))
        assert len(gone) == n and store.count() == 1
        assert store.path.stat().st_size < before / 4
        assert b"secret note" not in b"".join(p.read_bytes() for p in tmp_path.glob("m.db*"))


def test_a_keyword_index_of_the_old_version_is_rebuilt_when_the_store_opens(tmp_path: Path) -> None:
    store = SQLiteVectorStore(tmp_path / "m.db", embedding_model_dims=DIMS)
    store.insert(
        [unit(1), unit(0, 1)],
        [{"user_id": "u", "data": "娘はピーナッツアレルギー"}, {"user_id": "u", "data": "Ferienwohnung in Málaga"}],
        ["ja", "de"],
    )
    store.close()
    with sqlite(tmp_path / "m.db") as db:  # as the previous release left it: no CJK pairs, no version
        db.execute("DROP TABLE vectors_fts")
        db.execute("CREATE VIRTUAL TABLE vectors_fts USING fts5 (text, tokenize = 'porter unicode61')")
        db.execute("INSERT INTO vectors_fts (rowid, text) SELECT rowid, json_extract(payload, '$.data') FROM vectors")
        db.execute("DELETE FROM meta WHERE key = 'keyword_index'")
    with sqlite(tmp_path / "m.db") as db:
        assert db.execute("SELECT count(*) FROM vectors_fts WHERE vectors_fts MATCH '\"ピーナッツ\"'").fetchone() == (
            0,
        )

    with closing(SQLiteVectorStore(tmp_path / "m.db", embedding_model_dims=DIMS)) as reopened:
        assert ids(reopened.keyword_matches("ピーナッツ", top_k=5)) == ["ja"]
        assert ids(reopened.keyword_matches("Malaga", top_k=5)) == ["de"]
        assert reopened.count() == 2


def test_a_store_from_before_the_embedder_was_recorded_counts_as_minilm(tmp_path: Path) -> None:
    store = SQLiteVectorStore(tmp_path / "m.db", embedding_model_dims=DIMS)
    assert store.use_embedder("minilm", lambda texts: np.ones((len(texts), DIMS))) == 0  # empty: recorded, no work
    store.insert([unit(1)], [{"user_id": "u", "data": "one"}], ["one"])
    store.close()
    with sqlite(tmp_path / "m.db") as db:
        db.execute("DELETE FROM meta WHERE key LIKE 'embedder:%'")

    with closing(SQLiteVectorStore(tmp_path / "m.db", embedding_model_dims=DIMS)) as reopened:
        assert reopened.use_embedder("minilm", lambda texts: pytest.fail("nothing to re-embed")) == 0
        assert reopened.use_embedder("other", lambda texts: np.ones((len(texts), DIMS))) == 1
        assert reopened.use_embedder("other", lambda texts: pytest.fail("already done")) == 0
