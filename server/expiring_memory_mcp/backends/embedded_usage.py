"""The embedded backend's usage log: recall counters batched by a background writer, and the ledger, in the memory
file's own tables (store/usage.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal, cast

from ..models import LedgerEntry, Usage
from ..retention import iso, parse_iso
from ..store.usage import Gone, LedgerRow, UsageWriter
from .base import StoredMemory

if TYPE_CHECKING:
    from ..store import SQLiteVectorStore


def _instant(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _parsed(text: str | None) -> datetime | None:
    try:
        return parse_iso(text) if text else None
    except (ValueError, OverflowError):  # a payload's created_at from an old or foreign writer: shown as unknown
        return None


def entry(row: LedgerRow) -> LedgerEntry:
    return LedgerEntry(
        id=row.id,
        memory_type=row.memory_type,
        reason=cast(Literal["expired", "forgotten"], row.reason),
        created_at=_parsed(row.created_at),
        expires_at=_instant(row.expires_at),
        purged_at=datetime.fromtimestamp(row.gone_at, UTC),
        recall_count=row.recall_count,
        last_recalled_at=_instant(row.last_recalled_at),
        renewed=row.renewed,
    )


class EmbeddedUsage:
    """`UsageLog` on the SQLite store. Every read writes the pending counts first, so this process reads its own."""

    def __init__(self, store: SQLiteVectorStore, guard: Callable[[str], AbstractContextManager[None]]) -> None:
        self.store = store
        self.writer = UsageWriter(str(store.path))
        self._guard = guard  # the backend's: a failing file becomes Unavailable, naming it

    def recalled(self, ids: Sequence[str], now: datetime) -> None:
        self.writer.recalled(ids, now)

    def renewed(self, memory_id: str) -> None:
        self.writer.renewed(memory_id)

    def forgotten(self, memory: StoredMemory, now: datetime) -> None:
        with self._guard("ledger"):
            self._forgotten(memory, now)

    def _forgotten(self, memory: StoredMemory, now: datetime) -> None:
        self.writer.flush()
        created = iso(memory.created_at) if memory.created_at else None
        expires = memory.expires_at.timestamp() if memory.expires_at else None
        gone = Gone(memory.id, memory.user_id, memory.memory_type, created, expires)
        self.store.record_forgotten(gone, now)

    def usage(self, ids: Sequence[str]) -> dict[str, Usage]:
        with self._guard("usage"):
            self.writer.flush()
            found = self.store.read_usage(ids)
        return {
            memory_id: Usage(
                recall_count=row.recall_count, last_recalled_at=_instant(row.last_recalled_at), renewed=row.renewed
            )
            for memory_id, row in found.items()
        }

    def ledger(self, user_id: str, since: datetime) -> list[LedgerEntry]:
        with self._guard("ledger"):
            self.writer.flush()
            rows = self.store.read_ledger(user_id, since)
        return [entry(row) for row in rows]

    def prune(self, ledger_before: datetime) -> int:
        with self._guard("ledger"):
            self.writer.flush()
            return self.store.prune_usage(ledger_before)

    def close(self) -> None:
        self.writer.close()
