"""The operations that look over one user's memories rather than change them one by one: the view's counts and
pages, stats, usage, the ledger and tier advice, and the secrets already stored. MemoryService (memories.py) is one
of these with the tools' operations added. Blocking: call them from a worker thread."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from . import advice, credentials, redaction, rules, usage
from .backends import Backend, Query, StoredMemory
from .engine import Engine
from .errors import InvalidRequest
from .models import Forgotten, Insights, MemoryRecord, MemoryStats, Usage
from .retention import expires_in, is_expired


def record(memory: StoredMemory, now: datetime) -> MemoryRecord:
    """A stored memory as the tools show it, with the time left in words. Times stay datetimes: the model turns them
    into ISO 8601 text only at the JSON edge."""
    return MemoryRecord(
        id=memory.id,
        content=memory.text,
        memory_type=memory.memory_type,
        created_at=memory.created_at,
        expires_at=memory.expires_at,
        expiration_date=memory.expiration_date,
        expires_in=expires_in(memory.expires_at, now),
        metadata=memory.metadata,
    )


class Overview:
    """One user's memories, looked over."""

    def __init__(self, engine: Engine, user_id: str) -> None:
        self._engine = engine
        self.settings = engine.settings
        self.user_id = user_id
        self.policy = engine.policy

    def _query(self, now: datetime, types: list[str] | None = None, **more: Any) -> Query:
        return Query(user_id=self.user_id, live_at=now, types=rules.memory_types(types), **more)

    def _live(self, backend: Backend, memory_id: str, now: datetime) -> StoredMemory:
        """The caller's own live memory with this id; anything else reads as unknown."""
        memory = backend.get(memory_id) if rules.is_memory_id(memory_id) else None
        if memory is None or memory.user_id != self.user_id or is_expired(memory.expires_at, now):
            raise InvalidRequest(
                f"No memory with id {credentials.redacted(memory_id, 80)!r}: it may have expired or been forgotten. "
                "Use recall or expiring_soon to find current memory ids."
            )
        return memory

    # -- looking over -------------------------------------------------------------------------------

    def expiries(self) -> list[tuple[str, datetime | None]]:
        """Every live memory's type and expiry (None: permanent), soonest first: what the memory view counts, with
        no memory text read."""
        with self._engine.session() as (backend, now):
            return backend.expiries(self._query(now))

    def listing(
        self,
        memory_types: list[str] | None,
        limit: int,
        *,
        after: timedelta | None = None,
        within: timedelta | None = None,
    ) -> list[MemoryRecord]:
        """A page of the memory view: live memories that last more than `after` from now (permanent ones included)
        and, with `within`, only temporary ones that expire within it; soonest expiry first, at most `limit`."""
        with self._engine.session() as (backend, now):
            expiring_by = None if within is None else now + within
            found = backend.find(
                self._query(now + (after or timedelta(0)), memory_types, expiring_by=expiring_by, limit=limit)
            )
            return [record(m, now) for m in found[:limit]]

    def _all(
        self, backend: Backend, now: datetime, memory_types: list[str] | None = None, limit: int | None = None
    ) -> list[StoredMemory]:
        found = backend.find(self._query(now, memory_types, limit=limit))
        return sorted(found, key=lambda m: (m.expires_at is None, m.expires_at or now))

    def expired(self) -> tuple[int, list[MemoryRecord]]:
        """What a sweep would delete now, deleting nothing: how many memories (every user's), and this user's.

        Only meaningful on an engine opened with sweep_on_load=False, before anything else has swept.
        """
        with self._engine.session(sweep=False) as (backend, now):
            total, found = backend.expired(self.user_id, now)
            return total, [record(m, now) for m in found]

    def stats(self) -> MemoryStats:
        """Live memories by type and lifetime, what expires within 24 hours, 7 and 30 days, swept so far, size."""
        with self._engine.session() as (backend, now):
            found = backend.expiries(self._query(now))  # two columns, not every memory's text
            expiries = [expiry for _, expiry in found if expiry]
            windows = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
            return MemoryStats(
                user_id=self.user_id,
                backend=backend.name,
                location=backend.location,
                live=len(found),
                permanent=len(found) - len(expiries),
                temporary=len(expiries),
                by_type=dict(sorted(Counter(kind for kind, _ in found).items())),
                expiring={name: sum(e - now <= span for e in expiries) for name, span in windows.items()},
                swept_total=backend.swept_total(),
                database_bytes=backend.size_bytes(),
            )

    # -- usage, the ledger, tier advice (embedded backend; others raise Unavailable) --------------

    def usage(self, memory_ids: Iterable[str]) -> dict[str, Usage]:
        """Each memory's recall count, last recall and renewals, by id; an id that is not one of this user's memories
        reads as never used, so one user never learns of another's."""
        ids = list(dict.fromkeys(memory_ids))
        with self._engine.session(sweep=False) as (backend, _now):
            log = usage.log_of(backend)  # first: a backend without one refuses before any lookup
            own = [i for i in ids if (m := backend.get(i)) is not None and m.user_id == self.user_id]
            found = log.usage(own)
            return {memory_id: found.get(memory_id, Usage()) for memory_id in ids}

    def forgotten(self, since: datetime | None = None) -> Forgotten:
        """This user's memories that were swept or forgotten since `since` (default: the whole ledger), oldest
        first; ids, types, times and counters, never text."""
        with self._engine.session() as (backend, now):
            start = since or now - timedelta(days=self.settings.forgotten_ledger_days)
            return Forgotten(since=start, entries=usage.log_of(backend).ledger(self.user_id, start))

    def insights(self) -> Insights:
        """Per memory type: what was created, expired, forgotten, renewed, made permanent and recalled (late or
        never), and advice on its lifetime, over the ledger window and the live memories."""
        window = self.settings.forgotten_ledger_days
        with self._engine.session() as (backend, now):
            lives = usage.lives(backend, usage.log_of(backend), self.user_id, now, window)
            return advice.insights(lives, self.policy, now, window)

    # -- secrets stored before the policy, or under allow (issue 20) ------------------------------

    def stored_secrets(self, *, redact: bool = False) -> list[tuple[MemoryRecord, list[str]]]:
        """Live memories of this user that hold secrets, with their kinds; with `redact`, each is rewritten with
        placeholders first (expired ones are swept away, not rewritten)."""
        with self._engine.session() as (backend, now):
            found = redaction.stored_secrets(backend, [self.user_id], now)
            for hit in found if redact else []:
                redaction.redact(backend, hit)
            return [(record(self._live(backend, hit.memory.id, now), now), hit.kinds) for hit in found]
