"""The `embedded` backend (default): Mem0 on our SQLite store and the bundled embedder, in the data dir."""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..retention import iso
from . import Filters, Item
from .mem0_oss import Mem0Backend

if TYPE_CHECKING:
    from mem0 import Memory

    from ..embedder import Embedder
    from ..store import SQLiteVectorStore
    from ..store.fusion import Ranking

logger = logging.getLogger(__name__)


class EmbeddedBackend(Mem0Backend):
    """Expiry is an indexed column of the store, so it needs no `expires_ts`; writes are SQLite transactions."""

    name = "embedded"

    def __init__(self, memory: Memory, store: SQLiteVectorStore, data_dir: Path) -> None:
        super().__init__(memory, lock_file=None, location=str(data_dir))  # SQLite transactions lock
        self.store = store

    def live(self, now: datetime) -> Filters:
        return {"NOT": [{"expires_at": {"lte": iso(now)}}]}

    def window(self, now: datetime, until: datetime) -> Filters:
        return {"expires_at": {"gt": iso(now), "lte": iso(until)}}

    def _due(self, now: datetime) -> Filters:
        return {"expires_at": {"lte": iso(now)}}

    def write_lock(self) -> AbstractContextManager[None]:
        return self.store.transaction()

    def list(self, filters: Filters, limit: int | None) -> list[Item]:
        """The store lists soonest expiry first itself, so a limit is applied in SQL."""
        top_k = limit if limit is not None else max(1, self.store.count(filters))
        return self.memory.get_all(filters=filters, top_k=top_k)["results"]

    def delete(self, memory_id: str) -> None:
        super().delete(memory_id)
        self.store.compact()  # its words leave the keyword index, its old pages the write-ahead log

    def purge_expired(self, now: datetime) -> list[str]:
        from ..mem0_setup import forget_history

        gone = self.store.purge_expired(now)  # one indexed range delete, then the file is compacted
        forget_history(self.memory, gone)
        return gone

    def _due_count(self, now: datetime) -> int:
        return self.store.count(self._due(now))  # one indexed count, not a listing

    def after_load(self) -> None:
        from ..mem0_setup import forget_orphaned_history

        if orphans := forget_orphaned_history(self.memory, self.store):
            logger.info("removed the history of %d memories left by an interrupted write", orphans)

    def purged_total(self) -> int | None:
        return self.store.purged_total()

    def size_bytes(self) -> int | None:
        return self.store.size_bytes()

    def close(self) -> None:
        for store in (self.store, getattr(self.memory, "_entity_store", None)):
            if hasattr(store, "close"):
                store.close()


def open_embedded(
    data_dir: Path, embedder: Embedder | str = "minilm", ranking: Ranking | None = None
) -> EmbeddedBackend:
    from ..mem0_setup import build_memory

    memory, store = build_memory(data_dir, embedder, ranking)
    return EmbeddedBackend(memory, store, data_dir)
