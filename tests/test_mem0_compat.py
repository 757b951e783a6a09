"""Pins the Mem0 behaviour that each function of mem0_compat relies on: after a Mem0 upgrade, these fail first and
say which internal changed, instead of a tool call failing somewhere later."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from expiring_memory_mcp import mem0_compat
from expiring_memory_mcp.backends.embedded import EmbeddedBackend, open_embedded
from fake_platform import FakePlatformServer


@pytest.fixture
def backend(data_dir: Path, embedder: Any) -> Iterator[EmbeddedBackend]:
    opened = open_embedded(data_dir, embedder)
    yield opened
    opened.close()


def test_mem0_builds_a_memory_with_our_placeholder_llm_which_is_never_usable() -> None:
    from mem0 import Memory
    from mem0.configs.base import MemoryConfig
    from qdrant_client import QdrantClient

    mem0_compat.register_placeholder()
    config = MemoryConfig(
        vector_store={"provider": "qdrant", "config": {"client": QdrantClient(location=":memory:")}},
        embedder={"provider": mem0_compat.PLACEHOLDER},
        llm={"provider": mem0_compat.PLACEHOLDER},
        history_db_path=":memory:",
    )
    memory = Memory(config)
    assert isinstance(memory.llm, mem0_compat.Placeholder)
    with pytest.raises(RuntimeError, match="configures no LLM"):
        memory.llm.generate_response([])


def test_a_plugged_in_entity_store_is_the_one_mem0_uses(backend: EmbeddedBackend) -> None:
    memory = backend.memory
    assert memory.vector_store is backend.store
    assert memory.entity_store is mem0_compat.stores(memory)[1]  # Mem0's lazy property reads `_entity_store`
    assert memory.entity_store.collection_name == "entities"


def test_mem0_history_is_one_sqlite_connection_behind_mem0s_own_lock(backend: EmbeddedBackend) -> None:
    memory = backend.memory
    connection = mem0_compat.history_connection(memory)
    assert isinstance(connection, sqlite3.Connection)
    assert isinstance(memory.db._lock, type(threading.Lock()))
    with mem0_compat.history_locked(memory) as locked:
        assert memory.db._lock.locked()
        columns = {row[1] for row in locked.execute("PRAGMA table_info(history)")}
    assert {"memory_id", "old_memory", "new_memory"} <= columns  # the texts forget_history must remove


def test_mem0_passes_the_stores_fused_score_through_search_unchanged(backend: EmbeddedBackend, embedder: Any) -> None:
    """Our store's keyword_search returns nothing on purpose, so Mem0 divides the semantic score by 1."""
    memory_id = str(uuid.uuid4())
    text = "The gate code for the Lindqvist cabin is 4471"
    payload = {"data": text, "user_id": "alice", "type": "fact", "expires_at": None}
    backend.store.insert([embedder.encode([text])[0].tolist()], [payload], [memory_id])
    query = "Lindqvist cabin gate code"
    (ours,) = backend.store.search(query, embedder.encode([query])[0].tolist(), top_k=1, filters={"user_id": "alice"})
    (via_mem0,) = backend.memory.search(query, top_k=1, filters={"user_id": "alice"}, threshold=0.0)["results"]
    assert via_mem0["id"] == memory_id
    assert via_mem0["score"] == pytest.approx(ours.score, abs=1e-6)
    assert backend.store.keyword_search(query, top_k=5, filters={"user_id": "alice"}) == []


def test_mem0_knows_pgvector_by_its_module_and_it_keeps_a_psycopg_pool() -> None:
    from mem0.vector_stores.pgvector import PGVector

    assert PGVector.__module__ == "mem0.vector_stores.pgvector"
    assert "connection_pool" in PGVector.__init__.__code__.co_names


def test_our_stores_list_answer_is_read_by_listed_whether_wrapped_or_not(backend: EmbeddedBackend) -> None:
    wrapped = backend.store.list(filters={"user_id": "nobody"}, top_k=5)
    assert wrapped == [[]] and mem0_compat.listed(wrapped) == []
    assert mem0_compat.listed([]) == [] and mem0_compat.listed(None) == []


def test_memory_client_keeps_its_authenticated_http_client_in_client() -> None:
    from mem0 import MemoryClient

    server = FakePlatformServer().start()
    try:
        client = MemoryClient(api_key="test-key", host=server.url)
        http = mem0_compat.http_client(client)
        assert isinstance(http, httpx.Client)
        assert http.headers["Authorization"] == "Token test-key"
        http.close()
    finally:
        server.stop()


def test_telemetry_switched_on_by_an_earlier_import_is_switched_off_and_its_client_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mem0.memory import telemetry

    assert telemetry.MEM0_TELEMETRY is False  # the tests, like the server, set MEM0_TELEMETRY=False before import
    assert callable(telemetry.client_telemetry.close)  # what telemetry_off calls
    closed: list[bool] = []
    monkeypatch.setattr(telemetry, "MEM0_TELEMETRY", True)  # as if Mem0 had been imported with telemetry on
    monkeypatch.setattr(telemetry.client_telemetry, "close", lambda: closed.append(True))
    mem0_compat.telemetry_off()
    assert telemetry.MEM0_TELEMETRY is False and closed == [True]


def test_pgvector_takes_its_pool_from_the_store_at_each_use_so_a_renewed_pool_is_used() -> None:
    """renew_pools swaps `connection_pool` on a live store: Mem0 must read it at each use, not keep its own copy."""
    import inspect

    from mem0.vector_stores.pgvector import PGVector

    assert "self.connection_pool.connection()" in inspect.getsource(PGVector._get_cursor)


def test_a_psycopg_pool_shows_the_settings_a_renewed_pool_copies() -> None:
    from psycopg_pool import ConnectionPool

    pool: ConnectionPool[Any] = ConnectionPool("host=nowhere", kwargs={"a": 1}, min_size=1, max_size=4, open=False)
    assert (pool.conninfo, pool.kwargs, pool.min_size, pool.max_size) == ("host=nowhere", {"a": 1}, 1, 4)
    assert callable(ConnectionPool.check_connection)


@pytest.mark.slow
def test_renewed_pools_serve_mem0s_pgvector_store_and_check_each_connection(
    pg_config: Path, data_dir: Path, embedder: Any
) -> None:
    from expiring_memory_mcp.backends.mem0_oss import open_mem0
    from expiring_memory_mcp.settings import Settings

    backend = open_mem0(Settings(data_dir=data_dir, backend="mem0", mem0_config=pg_config), embedder)
    try:
        store = backend.memory.vector_store
        old = mem0_compat.connection_pool(store)
        mem0_compat.renew_pools(backend.memory, 5.0)
        fresh = mem0_compat.connection_pool(store)
        assert fresh is not old and old.closed
        assert fresh.timeout == 5.0 and fresh._check is not None
        mem0_compat.reach_postgres(backend.memory, 5.0)
        assert backend.memory.get(str(uuid.uuid4())) is None  # a query through the new pool
    finally:
        backend.close()
