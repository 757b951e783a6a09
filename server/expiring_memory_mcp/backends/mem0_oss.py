"""The `mem0` backend: any Mem0 OSS `Memory` (Qdrant server, pgvector, Milvus, OpenAI or Ollama embeddings, an LLM).

Expiry is kept as a number, `expires_ts`, so every store whose filters have ranges (Qdrant, pgvector, ...) applies
it inside its query. Purging lists what is due through the store itself and deletes it through Mem0.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock

from ..retention import iso, mem0_date
from . import PERMANENT_TS, Backend, Filters, Item, expires_ts

if TYPE_CHECKING:
    from mem0 import Memory

    from ..embedder import Embedder
    from ..settings import Settings

logger = logging.getLogger(__name__)

ALL = 100_000  # what "all memories" means where a store can only list a page: the command line's listing


def expiry_fields(expiry: datetime | None) -> dict[str, Any]:
    """Our precise expiry, its epoch seconds for range filters, both in the metadata of every backend."""
    return {"expires_at": iso(expiry) if expiry else None, "expires_ts": expires_ts(expiry)}


def listed(result: Any) -> list[Any]:
    """A store's list() answer, which some stores wrap in one more list."""
    if isinstance(result, tuple | list) and result and isinstance(result[0], tuple | list):
        return list(result[0])
    return list(result or [])


class Mem0Backend(Backend):
    name = "mem0"

    def __init__(self, memory: Memory, *, lock_file: Path | None, location: str, infer: bool = False) -> None:
        self.memory = memory
        self.location = location
        self.infers = infer
        self._file_lock = FileLock(lock_file) if lock_file else None
        pool = getattr(memory.vector_store, "connection_pool", None) if _is_pgvector(memory) else None
        self._pool = pool if hasattr(pool, "connection") else None  # psycopg 3's pool; psycopg2 gets the file lock
        self._lock_name = f"expiring-memory:{getattr(memory.vector_store, 'collection_name', '')}"

    # -- filters ---------------------------------------------------------------------------------

    def live(self, now: datetime) -> Filters:
        return {"expires_ts": {"gt": now.timestamp()}}

    def window(self, now: datetime, until: datetime) -> Filters:
        return {"expires_ts": {"gt": now.timestamp(), "lte": until.timestamp()}}

    def _due(self, now: datetime) -> Filters:
        return {"expires_ts": {"lte": now.timestamp()}}

    # -- locking ---------------------------------------------------------------------------------

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """A Postgres advisory lock on pgvector (every machine sharing the database), otherwise a file lock
        in the data dir (every process on this machine)."""
        if self._pool is None:
            assert self._file_lock is not None, "a backend without Postgres needs a lock file"
            with self._file_lock:
                yield
            return
        with self._pool.connection() as conn:  # one lock per collection, held by whoever writes to it
            conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (self._lock_name,))
            conn.commit()
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (self._lock_name,))
                conn.commit()

    # -- reads -----------------------------------------------------------------------------------

    def get(self, memory_id: str) -> Item | None:
        return self.memory.get(memory_id)

    def list(self, filters: Filters, limit: int | None) -> list[Item]:
        """Soonest expiry first, permanent ones last. Mem0's stores list in no set order, so all matches are
        fetched and sorted here: cheap for the narrow filters the tools use (a window, a twin)."""
        items = self.memory.get_all(filters=filters, top_k=ALL)["results"]
        items.sort(key=lambda item: (item.get("metadata") or {}).get("expires_ts") or PERMANENT_TS)
        return items if limit is None else items[:limit]

    def search(self, query: str, filters: Filters, limit: int, threshold: float) -> list[Item]:
        return self.memory.search(query, top_k=limit, filters=filters, threshold=threshold)["results"]

    # -- writes ----------------------------------------------------------------------------------

    def add(
        self, text: str, user_id: str, metadata: dict[str, Any], expiry: datetime | None, *, infer: bool = False
    ) -> str:
        meta = {**metadata, **expiry_fields(expiry)}
        if infer and self.infers and (memory_id := self._add_inferred(text, user_id, meta, expiry)):
            return memory_id
        added = self.memory.add(text, user_id=user_id, metadata=meta, expiration_date=mem0_date(expiry), infer=False)
        return str(added["results"][0]["id"])

    def _add_inferred(self, text: str, user_id: str, meta: dict[str, Any], expiry: datetime | None) -> str | None:
        """Let Mem0's LLM extract facts and merge them with what it knows; every memory it creates or rewrites
        gets our type and expiry. None when it changed nothing (then the text is stored as given)."""
        from ..memories import dedup_key

        result = self.memory.add(text, user_id=user_id, metadata=meta, expiration_date=mem0_date(expiry), infer=True)
        touched = [r for r in result.get("results", []) if r.get("event") in ("ADD", "UPDATE")]
        for fact in touched:  # each fact is its own twin key: remembering that fact verbatim later refreshes it
            self.update(str(fact["id"]), {**meta, "dedup_key": dedup_key(str(fact.get("memory", "")))}, expiry)
        return str(touched[0]["id"]) if touched else None

    def update(self, memory_id: str, metadata: dict[str, Any], expiry: datetime | None) -> None:
        self.memory.update(memory_id, metadata={**metadata, **expiry_fields(expiry)}, expiration_date=mem0_date(expiry))

    def delete(self, memory_id: str) -> None:
        from ..mem0_setup import forget_history

        self.memory.delete(memory_id)
        forget_history(self.memory, [memory_id])

    def _due_ids(self, now: datetime, limit: int) -> list[str]:
        store = self.memory.vector_store
        return [str(row.id) for row in listed(store.list(filters=self._due(now), top_k=limit))]

    def purge_expired(self, now: datetime) -> list[str]:
        from ..mem0_setup import forget_history

        gone: list[str] = []
        while due := self._due_ids(now, 500):
            for memory_id in due:
                try:
                    self.memory.delete(memory_id)
                except ValueError:  # another process deleted it first
                    pass
            gone += due
            if len(due) < 500:
                break
        forget_history(self.memory, gone)
        return gone

    def _due_count(self, now: datetime) -> int:
        return len(self._due_ids(now, ALL))

    def expired(self, user_id: str, now: datetime) -> tuple[int, list[Item]]:
        total = self._due_count(now)
        items = self.memory.get_all(
            filters={"user_id": user_id, **self._due(now)}, top_k=max(1, total), show_expired=True
        )["results"]
        return total, items

    def close(self) -> None:
        for store in (self.memory.vector_store, getattr(self.memory, "_entity_store", None)):
            pool = getattr(store, "connection_pool", None)
            if hasattr(pool, "close"):
                pool.close()


def _is_pgvector(memory: Memory) -> bool:
    return type(memory.vector_store).__module__ == "mem0.vector_stores.pgvector"


def read_config(path: Path) -> dict[str, Any]:
    """A Mem0 config file, JSON or YAML (JSON is YAML too), as the dict Memory.from_config takes."""
    import yaml

    try:
        config = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read the Mem0 config file {path}: {exc}") from None
    if not isinstance(config, dict):
        raise ValueError(  # noqa: TRY004 -- a bad config file is reported like every other bad setting
            f"the Mem0 config file {path} must hold a mapping such as {{'vector_store': {{...}}}}"
        )
    return config


def open_mem0(settings: Settings, embedder: Embedder | None = None) -> Mem0Backend:
    """Mem0's Memory.from_config on the user's file. Without an `embedder` the bundled one is used (and the store
    gets its 384 dimensions); without an `llm` a placeholder that is never called. History goes to the data dir."""
    from ..mem0_setup import (
        HISTORY_FILE,
        PLACEHOLDER,
        prepare_environment,
        private_dir,
        quiet_mem0,
        register_placeholder,
        share_history,
    )

    if settings.mem0_config is None:
        raise ValueError("the mem0 backend needs EXPIRING_MEMORY_MEM0_CONFIG, the path of a Mem0 config file")
    config = read_config(settings.mem0_config)
    data_dir = private_dir(settings.data_dir)
    prepare_environment(data_dir)
    bundled = "embedder" not in config
    if settings.embedder != "minilm":
        raise ValueError(
            "EXPIRING_MEMORY_EMBEDDER applies to the embedded backend; on the mem0 backend, name the embedder in the "
            "Mem0 config file (a store's vectors from two models must never mix)"
        )
    if settings.infer and "llm" not in config:
        raise ValueError("EXPIRING_MEMORY_INFER needs an `llm` in the Mem0 config file")
    if bundled:
        from ..embedder import DIMS

        config["embedder"] = {"provider": PLACEHOLDER}
        store = config.setdefault("vector_store", {}).setdefault("config", {})
        store.setdefault("embedding_model_dims", DIMS)
    config.setdefault("llm", {"provider": PLACEHOLDER})
    config.setdefault("history_db_path", str(data_dir / HISTORY_FILE))

    from mem0 import Memory

    quiet_mem0()
    register_placeholder()
    memory = Memory.from_config(config)
    share_history(memory, Path(config["history_db_path"]))
    if bundled:
        from ..embedder import MiniLMEmbedder

        memory.embedding_model = embedder or MiniLMEmbedder()
    provider = (config.get("vector_store") or {}).get("provider", "qdrant")
    return Mem0Backend(
        memory,
        lock_file=data_dir / "writes.lock",
        location=f"{provider} via {settings.mem0_config}",
        infer=settings.infer,
    )
