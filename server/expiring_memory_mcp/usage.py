"""What recall teaches, over a backend: recall-aware expiry for the memories a recall returned, the usage log a
backend may keep (or a clear refusal), and the advice's view of one user's memories. Blocking, inside a session."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from .advice import Life
from .backends import Backend, NewMemory, Query, StoredMemory, UsageLog
from .engine import note_written
from .errors import Unavailable
from .retention import extended_on_recall, is_expired
from .settings import Settings

logger = logging.getLogger(__name__)


def log_of(backend: Backend) -> UsageLog:
    """The backend's usage log, or a refusal that says which backend keeps one."""
    log = backend.usage_log()
    if log is None:
        raise Unavailable(
            f"The {backend.name} backend keeps no usage counters and no ledger of forgotten memories: recall counts, "
            "`forgotten` and `insights` need the embedded backend (the default). Recall-aware expiry "
            "(EXPIRING_MEMORY_EXTEND_ON_RECALL) works on every backend."
        )
    return log


def recalled(
    backend: Backend, found: list[StoredMemory], now: datetime, settings: Settings, max_ttl: timedelta
) -> list[StoredMemory]:
    """What recall returns: given recall-aware expiry when it is on, and counted when counting is on (counting only
    adds to a dict; the writes are batched off the recall path)."""
    if settings.extend_on_recall:
        found = extend_recalled(backend, found, now, settings.extend_on_recall, max_ttl)
    if settings.count_recalls and (log := backend.usage_log()) is not None:
        log.recalled([m.id for m in found], now)
    return found


def renewed(backend: Backend, memory_id: str) -> None:
    if (log := backend.usage_log()) is not None:
        log.renewed(memory_id)


def forgotten(backend: Backend, memory: StoredMemory, now: datetime) -> None:
    """A ledger entry for a memory just deleted by request, where the backend keeps a ledger. The memory is gone, as
    asked, even if the entry cannot be written: that is logged, not raised."""
    if (log := backend.usage_log()) is not None:
        try:
            log.forgotten(memory, now)
        except Unavailable:
            logger.warning("forgot %s but could not add it to the ledger", memory.id, exc_info=True)


def extend_recalled(
    backend: Backend, found: list[StoredMemory], now: datetime, days: Mapping[str, float], max_ttl: timedelta
) -> list[StoredMemory]:
    """The recalled memories, each of a type in `days` given its recall-aware expiry (never shorter, never past
    max_ttl from creation). Re-read under the write lock, so a renewal in another process is never undone."""
    result = []
    for memory in found:
        extra = days.get(memory.memory_type)
        if extra is not None and _extended(memory, now, extra, max_ttl) != memory.expires_at:
            with backend.write_lock():
                fresh = backend.get(memory.id)
                if fresh is not None and not is_expired(fresh.expires_at, now):
                    expiry = _extended(fresh, now, extra, max_ttl)
                    if expiry != fresh.expires_at:
                        backend.update(memory.id, NewMemory(expiry))
                        note_written(memory.id)  # clients watching it hear that its expiry moved
                    day = None if expiry is None else expiry.astimezone(UTC).date()
                    memory = replace(memory, expires_at=expiry, expiration_date=day)
        result.append(memory)
    return result


def _extended(memory: StoredMemory, now: datetime, days: float, max_ttl: timedelta) -> datetime | None:
    return extended_on_recall(memory.expires_at, memory.created_at, now, days, max_ttl)


def lives(backend: Backend, log: UsageLog, user_id: str, now: datetime, window_days: float) -> list[Life]:
    """One user's live memories with their counters, and what the ledger says went within the window."""
    live = backend.find(Query(user_id=user_id, live_at=now))
    counters = log.usage([m.id for m in live])
    found = []
    for memory in live:
        used = counters.get(memory.id)
        found.append(
            Life(
                memory.memory_type,
                "live",
                memory.created_at,
                memory.expires_at,
                used.recall_count if used else 0,
                used.last_recalled_at if used else None,
                used.renewed if used else 0,
            )
        )
    for entry in log.ledger(user_id, now - timedelta(days=window_days)):
        found.append(
            Life(
                entry.memory_type,
                entry.reason,
                entry.created_at,
                entry.expires_at,
                entry.recall_count,
                entry.last_recalled_at,
                entry.renewed,
            )
        )
    return found
