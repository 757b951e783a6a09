"""The `embedded` backend (default): Mem0 on our SQLite store and the bundled embedder, in the data dir."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .. import mem0_compat
from ..retention import iso
from .base import NewMemory, Query, StoredMemory, UsageLog
from .embedded_usage import EmbeddedUsage
from .mem0_items import Filters, stored
from .mem0_oss import Mem0Backend
from .outages import StoreLabel

if TYPE_CHECKING:
    from mem0 import Memory

    from ..embedder import Embedder
    from ..store import SQLiteVectorStore
    from ..store.fusion import Ranking

logger = logging.getLogger(__name__)


class EmbeddedBackend(Mem0Backend):
    """Expiry is an indexed column of the store, so it needs no `expires_ts`; writes are SQLite transactions."""

    name = "embedded"
    numeric_expiry = False  # its indexed column is made from `expires_at` (see mem0_items.expiry_fields)

    def __init__(self, memory: Memory, store: SQLiteVectorStore, data_dir: Path) -> None:
        label = StoreLabel(
            "SQLite",
            {"path": str(data_dir)},
            "Check that the data dir (EXPIRING_MEMORY_DATA_DIR) is writable by this user and its disk has space.",
        )
        super().__init__(memory, label, lock_file=None, location=str(data_dir))  # SQLite transactions lock
        self.store = store
        self._usage = EmbeddedUsage(store, self._store)

    def _live(self, now: datetime) -> Filters:
        return {"NOT": [{"expires_at": {"lte": iso(now)}}]}

    def _window(self, now: datetime, until: datetime) -> Filters:
        return {"expires_at": {"gt": iso(now), "lte": iso(until)}}

    def _due(self, now: datetime) -> Filters:
        return {"expires_at": {"lte": iso(now)}}

    def write_lock(self) -> AbstractContextManager[None]:
        return self._transaction()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._store("lock"), self.store.transaction():  # BEGIN IMMEDIATE: a locked or broken file fails here
            yield

    def find(self, query: Query) -> list[StoredMemory]:
        """The store lists soonest expiry first itself, so a limit is applied in SQL."""
        filters = self._filters(query)
        with self._store("find"):
            top_k = query.limit if query.limit is not None else max(1, self.store.count(filters))
            items = self.memory.get_all(filters=filters, top_k=top_k)["results"]
        return [stored(item) for item in items]

    def expiries(self, query: Query) -> list[tuple[str, datetime | None]]:
        """Two indexed columns of one query, no payload read and no Mem0 in between."""
        with self._store("find"):
            rows = self.store.expiries(self._filters(query))
        return [(kind or "", None if at is None else datetime.fromtimestamp(at, UTC)) for kind, at in rows]

    def delete(self, memory_id: str) -> None:
        super().delete(memory_id)
        with self._store("compact"):
            self.store.compact()  # its words leave the keyword index, its old pages the write-ahead log

    def rewrite(self, memory_id: str, text: str, new: NewMemory) -> None:
        super().rewrite(memory_id, text, new)
        with self._store("compact"):
            self.store.compact()  # the old words leave the keyword index, the old pages the write-ahead log

    def sweep(self, now: datetime) -> list[str]:
        from ..mem0_setup import forget_history

        with self._store("sweep"):
            self._usage.writer.flush()  # the ledger entries carry every count made so far in this process
            gone = self.store.sweep(now)  # one indexed range delete, then the file is compacted
            forget_history(self.memory, gone)
        return gone

    def _due_count(self, now: datetime) -> int:
        with self._store("count"):
            return self.store.count(self._due(now))  # one indexed count, not a listing

    def after_load(self) -> None:
        from ..mem0_setup import forget_orphaned_history

        if orphans := forget_orphaned_history(self.memory, self.store):
            logger.info("removed the history of %d memories left by an interrupted write", orphans)

    def marked(self, name: str) -> bool:
        with self._store("mark"):
            return self.store.marked(name)

    def mark(self, name: str) -> None:
        with self._store("mark"):
            self.store.mark(name)

    def swept_total(self) -> int | None:
        with self._store("stats"):
            return self.store.swept_total()

    def size_bytes(self) -> int | None:
        with self._store("stats"):
            return self.store.size_bytes()

    def usage_log(self) -> UsageLog | None:
        return self._usage

    def close(self) -> None:
        self._usage.close()  # its last counts first, while the file is open
        for store in mem0_compat.stores(self.memory):
            if hasattr(store, "close"):
                store.close()


def open_embedded(
    data_dir: Path, embedder: Embedder | str = "minilm", ranking: Ranking | None = None
) -> EmbeddedBackend:
    from ..mem0_setup import build_memory

    memory, store = build_memory(data_dir, embedder, ranking)
    return EmbeddedBackend(memory, store, data_dir)
