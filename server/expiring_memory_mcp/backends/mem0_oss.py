"""The `mem0` backend: any Mem0 OSS `Memory` (Qdrant server, pgvector, Milvus, OpenAI or Ollama embeddings, an LLM).

Expiry is kept as a number, `expires_ts`, so every store whose filters have ranges (Qdrant, pgvector, ...) applies
it inside its query. A sweep lists what is due through the store itself and deletes it through Mem0.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock

from .. import mem0_compat
from ..retention import mem0_date
from .base import PERMANENT_TS, Backend, Fact, NewMemory, Query, StoredMemory
from .mem0_config import complete, provider_of, read_config, store_label
from .mem0_items import Filters, metadata_of, oss_filters, stored
from .outages import StoreLabel, store_errors

if TYPE_CHECKING:
    from mem0 import Memory

    from ..embedder import Embedder
    from ..settings import Settings

logger = logging.getLogger(__name__)

ALL = 100_000  # what "all memories" means where a store can only list a page: the command line's listing
POOL_TIMEOUT = 10.0  # seconds a call waits for a Postgres connection before the store is reported unavailable


class Mem0Backend(Backend):
    name = "mem0"
    numeric_expiry = True  # the store filters on `expires_ts` (see mem0_items.expiry_fields)

    def __init__(
        self, memory: Memory, label: StoreLabel, *, lock_file: Path | None, location: str, infer: bool = False
    ) -> None:
        self.memory = memory
        self.location = location
        self.infers = infer
        self._label = label
        self._errors = store_errors()
        self._failed = False  # the last call failed: the next one checks first that the store is back
        self._file_lock = FileLock(lock_file) if lock_file else None
        self._postgres = (
            mem0_compat.is_pgvector(memory) and mem0_compat.connection_pool(memory.vector_store) is not None
        )
        if self._postgres:
            mem0_compat.renew_pools(memory, POOL_TIMEOUT)
        self._lock_name = f"expiring-memory:{getattr(memory.vector_store, 'collection_name', '')}"

    # -- outages: the store's failures as Unavailable --------------------------------------------

    @contextmanager
    def _store(self, what: str) -> Iterator[None]:
        """One use of the store. Its driver's failures become Unavailable, naming the store; after one, the next use
        first checks that the store is back (on Postgres: one connection, then fresh pools), so the same process
        recovers without a restart and, while the store stays down, answers at once."""
        try:
            if self._failed:
                self._reconnect()
            yield
        except self._errors as exc:
            self._failed = True
            logger.warning("%s: %s failed: %s", what, self._label.name, self._label.redact(repr(exc)))
            raise self._label.unavailable(exc) from exc

    def _reconnect(self) -> None:
        if self._postgres:
            mem0_compat.reach_postgres(self.memory, POOL_TIMEOUT)
            mem0_compat.renew_pools(self.memory, POOL_TIMEOUT)
        self._failed = False

    # -- filters: expiry as epoch seconds --------------------------------------------------------

    def _live(self, now: datetime) -> Filters:
        return {"expires_ts": {"gt": now.timestamp()}}

    def _window(self, now: datetime, until: datetime) -> Filters:
        return {"expires_ts": {"gt": now.timestamp(), "lte": until.timestamp()}}

    def _due(self, now: datetime) -> Filters:
        return {"expires_ts": {"lte": now.timestamp()}}

    def _filters(self, query: Query) -> Filters:
        return oss_filters(query, self._live, self._window)

    # -- locking ---------------------------------------------------------------------------------

    def write_lock(self) -> AbstractContextManager[None]:
        return self._write_lock()

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        """A Postgres advisory lock on pgvector (every machine sharing the database), otherwise a file lock
        in the data dir (every process on this machine)."""
        if not self._postgres:
            assert self._file_lock is not None, "a backend without Postgres needs a lock file"
            with self._file_lock:
                yield
            return
        with self._store("lock"), self._advisory_lock():
            yield

    @contextmanager
    def _advisory_lock(self) -> Iterator[None]:
        pool = mem0_compat.connection_pool(self.memory.vector_store)
        with pool.connection() as conn:  # one lock per collection, held by whoever writes to it
            conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (self._lock_name,))
            conn.commit()
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (self._lock_name,))
                conn.commit()

    # -- one-time tasks: a file in the data dir beside the write lock ----------------------------

    def _marker(self, name: str) -> Path:
        assert self._file_lock is not None, "the mem0 backend has a lock file in its data dir"
        return Path(self._file_lock.lock_file).with_name(f"{name}.done")

    def marked(self, name: str) -> bool:
        return self._marker(name).exists()

    def mark(self, name: str) -> None:
        self._marker(name).touch(mode=0o600)

    # -- reads -----------------------------------------------------------------------------------

    def get(self, memory_id: str) -> StoredMemory | None:
        with self._store("get"):
            item = self.memory.get(memory_id)
        return stored(item) if item else None

    def find(self, query: Query) -> list[StoredMemory]:
        """Soonest expiry first, permanent ones last. Mem0's stores list in no set order, so all matches are
        fetched and sorted here: cheap for the narrow filters the tools use (a window, a twin)."""
        with self._store("find"):
            items = self.memory.get_all(filters=self._filters(query), top_k=ALL)["results"]
        items.sort(key=lambda item: (item.get("metadata") or {}).get("expires_ts") or PERMANENT_TS)
        return [stored(item) for item in items[: query.limit]]

    def search(self, query: Query, text: str, threshold: float) -> list[StoredMemory]:
        limit = query.limit if query.limit is not None else ALL
        with self._store("search"):
            found = self.memory.search(text, top_k=limit, filters=self._filters(query), threshold=threshold)
        return [stored(item) for item in found["results"]]

    # -- writes ----------------------------------------------------------------------------------

    def add(self, text: str, user_id: str, new: NewMemory) -> str:
        meta, day = metadata_of(new, numeric=self.numeric_expiry), mem0_date(new.expires_at)
        with self._store("add"):
            added = self.memory.add(text, user_id=user_id, metadata=meta, expiration_date=day, infer=False)
        return str(added["results"][0]["id"])

    def add_inferred(self, text: str, user_id: str, new: NewMemory) -> list[Fact]:
        meta, day = metadata_of(new, numeric=self.numeric_expiry), mem0_date(new.expires_at)
        with self._store("add"):
            result = self.memory.add(text, user_id=user_id, metadata=meta, expiration_date=day, infer=True)
        touched = [r for r in result.get("results", []) if r.get("event") in ("ADD", "UPDATE")]
        return [Fact(str(r["id"]), str(r.get("memory", ""))) for r in touched]

    def update(self, memory_id: str, new: NewMemory) -> None:
        meta, day = metadata_of(new, numeric=self.numeric_expiry), mem0_date(new.expires_at)
        with self._store("update"):
            self.memory.update(memory_id, metadata=meta, expiration_date=day)

    def rewrite(self, memory_id: str, text: str, new: NewMemory) -> None:
        """Mem0 embeds the new text again and logs the old one in its history: that history goes."""
        from ..mem0_setup import forget_history

        meta, day = metadata_of(new, numeric=self.numeric_expiry), mem0_date(new.expires_at)
        with self._store("rewrite"):
            self.memory.update(memory_id, text=text, metadata=meta, expiration_date=day)
            forget_history(self.memory, [memory_id])

    def delete(self, memory_id: str) -> None:
        from ..mem0_setup import forget_history

        with self._store("delete"):
            self.memory.delete(memory_id)
            forget_history(self.memory, [memory_id])

    def _due_ids(self, now: datetime, limit: int) -> list[str]:
        store = self.memory.vector_store
        with self._store("list"):
            return [str(row.id) for row in mem0_compat.listed(store.list(filters=self._due(now), top_k=limit))]

    def sweep(self, now: datetime) -> list[str]:
        from ..mem0_setup import forget_history

        gone: list[str] = []
        with self._store("sweep"):
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

    def expired(self, user_id: str, now: datetime) -> tuple[int, list[StoredMemory]]:
        total = self._due_count(now)
        with self._store("list"):
            items = self.memory.get_all(
                filters={"user_id": user_id, **self._due(now)}, top_k=max(1, total), show_expired=True
            )["results"]
        return total, [stored(item) for item in items]

    def close(self) -> None:
        mem0_compat.close_pools(self.memory)


def open_mem0(settings: Settings, embedder: Embedder | None = None) -> Mem0Backend:
    """Mem0's Memory.from_config on the user's file (mem0_config.py completes it). Without an `embedder` the bundled
    one is used; without an `llm` a placeholder that is never called. History goes to the data dir."""
    from ..mem0_setup import prepare_environment, private_dir, quiet_mem0, share_history

    if settings.mem0_config is None:
        raise ValueError("the mem0 backend needs EXPIRING_MEMORY_MEM0_CONFIG, the path of a Mem0 config file")
    config = read_config(settings.mem0_config)
    data_dir = private_dir(settings.data_dir)
    prepare_environment(data_dir)
    bundled = complete(config, settings, data_dir)

    from mem0 import Memory

    quiet_mem0()
    mem0_compat.register_placeholder()
    memory = Memory.from_config(config)
    share_history(memory, Path(config["history_db_path"]))
    if bundled:
        from ..embedder import MiniLMEmbedder

        mem0_compat.set_embedder(memory, embedder or MiniLMEmbedder())
    return Mem0Backend(
        memory,
        store_label(config, settings.mem0_config),
        lock_file=data_dir / "writes.lock",
        location=f"{provider_of(config)} via {settings.mem0_config}",
        infer=settings.infer,
    )
