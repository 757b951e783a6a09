"""Every touch of Mem0's internals (mem0ai 2.2), in one place. tests/test_mem0_compat.py pins the Mem0 behaviour
each one relies on, so a Mem0 upgrade that changes it fails there, loudly, and not somewhere in a tool call.

Mem0 is imported inside the functions: it must not be imported before `mem0_setup.prepare_environment`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    import sqlite3

    from mem0 import Memory, MemoryClient

PLACEHOLDER = "expiring_memory_placeholder"


class Placeholder:
    """Stands in for Mem0's LLM (never called: memories are stored with infer=False) and, until it is set, its embedder."""

    def __init__(self, config: object = None) -> None:
        self.config = config

    def _unavailable(self, *args: object, **kwargs: object) -> NoReturn:
        raise RuntimeError("expiring-memory-mcp configures no LLM and sets its own embedder")

    generate_response = embed = embed_batch = _unavailable


def register_placeholder() -> None:
    """Mem0 validates provider names and builds its parts in __init__: register ours so it can be named. The LLM
    factory has a public `register_provider`; the embedder factory has only its `provider_to_class` table."""
    from mem0.utils.factory import EmbedderFactory, LlmFactory

    LlmFactory.register_provider(PLACEHOLDER, f"{__name__}.Placeholder")
    EmbedderFactory.provider_to_class.setdefault(PLACEHOLDER, f"{__name__}.Placeholder")


def plug_in(memory: Memory, *, vector_store: Any, entity_store: Any, embedder: Any) -> None:
    """Give a built Memory our store for memories, our store for its entity links, and our embedder."""
    memory.vector_store = vector_store
    memory._entity_store = entity_store
    memory.embedding_model = embedder


def set_embedder(memory: Memory, embedder: Any) -> None:
    memory.embedding_model = embedder


def stores(memory: Memory) -> list[Any]:
    """The vector stores a Memory writes to: its memories' and its entity links' (built on first use)."""
    return [memory.vector_store, getattr(memory, "_entity_store", None)]


def history_connection(memory: Memory) -> sqlite3.Connection | None:
    """The SQLite connection of Mem0's history, or None for a history store of another kind."""
    db = getattr(memory, "db", None)
    connection = getattr(db, "connection", None)
    return connection if connection is not None and hasattr(db, "_lock") else None


@contextmanager
def history_locked(memory: Memory) -> Iterator[sqlite3.Connection]:
    """Mem0's history connection, holding the lock Mem0 holds around its own use of it."""
    connection = history_connection(memory)
    if connection is None:
        raise RuntimeError("Mem0's history is not a SQLite database")
    with memory.db._lock:
        yield connection


def is_pgvector(memory: Memory) -> bool:
    """Mem0's pgvector store, which exposes no kind: known by its module."""
    return type(memory.vector_store).__module__ == "mem0.vector_stores.pgvector"


def connection_pool(store: Any) -> Any:
    """The psycopg connection pool of Mem0's pgvector store (psycopg 3), or None (psycopg 2 keeps no such pool)."""
    pool = getattr(store, "connection_pool", None)
    return pool if hasattr(pool, "connection") else None


def renew_pools(memory: Memory, timeout: float) -> None:
    """Give each pgvector store of the Memory (its memories' and its entity links') a fresh psycopg pool on the same
    connection settings, which checks a connection before lending it and waits at most `timeout` seconds for one.

    Mem0 opens its pool once and keeps it. After Postgres has gone away, that pool lends dead connections, waits
    30 seconds for new ones and retries with a growing backoff, so calls would fail long after Postgres is back."""
    from psycopg_pool import ConnectionPool

    for store in stores(memory):
        old = connection_pool(store)
        if old is None:
            continue
        fresh: ConnectionPool[Any] = ConnectionPool(
            old.conninfo,
            kwargs=old.kwargs,
            min_size=old.min_size,
            max_size=old.max_size,
            timeout=timeout,
            check=ConnectionPool.check_connection,
            open=False,
        )
        fresh.open(wait=False)
        store.connection_pool = fresh
        old.close(timeout=0)


def reach_postgres(memory: Memory, timeout: float) -> None:
    """Open and close one connection to the Postgres of the Memory's pgvector store; psycopg's error if it cannot."""
    import psycopg

    pool = connection_pool(memory.vector_store)
    if pool is None:
        return
    with psycopg.connect(pool.conninfo, **{**(pool.kwargs or {}), "connect_timeout": max(1, round(timeout))}):
        pass


def close_pools(memory: Memory) -> None:
    """Close the connection pools of the Memory's stores (pgvector's psycopg pools), if any."""
    for store in stores(memory):
        pool = getattr(store, "connection_pool", None)
        if pool is not None and hasattr(pool, "close"):
            pool.close()


def listed(result: Any) -> list[Any]:
    """A Mem0 vector store's list() answer, which some stores wrap in one more list."""
    if isinstance(result, tuple | list) and result and isinstance(result[0], tuple | list):
        return list(result[0])
    return list(result or [])


def http_client(client: MemoryClient) -> Any:
    """The authenticated httpx client inside MemoryClient, for the endpoints it has no method for (events)."""
    return client.client


def telemetry_off() -> None:
    """Mem0 reads MEM0_TELEMETRY once, at import. Had something imported it earlier with telemetry on, switch it off
    now: nothing but the Mem0 host may be contacted."""
    from mem0.memory import telemetry

    if telemetry.MEM0_TELEMETRY:
        telemetry.MEM0_TELEMETRY = False
        telemetry.client_telemetry.close()
