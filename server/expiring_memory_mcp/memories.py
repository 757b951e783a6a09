"""The operations: what each tool and command means, for one user, over the engine's backend. Blocking: call them
from a worker thread. Refresh instead of duplicate; expired memories are never read back."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Literal

from . import credentials, redaction, rules, usage
from .backends import Backend, NewMemory, Query
from .engine import Changes, Engine, note_written, recording
from .errors import InvalidRequest
from .models import MemoryRecord, RecalledMemory, RememberedMemory, Scalar
from .overview import Overview, record
from .retention import Clock, is_expired, iso, later, parse_iso
from .settings import Settings

RECALL_THRESHOLD = 0.1  # minimum semantic similarity, Mem0's default
Outcome = Literal["added", "refreshed", "unchanged"]


class MemoryService(Overview):
    """One user's memories: what each tool and command does with them (the overview's operations included)."""

    @classmethod
    def open(
        cls, settings: Settings, clock: Clock, build: Callable[[], Backend], *, sweep_on_load: bool = True
    ) -> MemoryService:
        """The configured user's memories on a new engine (`build` opens the backend, in the background). A server's
        engine checks once what an older store holds for secrets (`redaction.check_once`)."""
        check = partial(redaction.check_once, policy=settings.secrets, user_ids=known_users(settings))
        engine = Engine(settings, clock, build, sweep_on_load=sweep_on_load, on_open=check if sweep_on_load else None)
        return cls(engine, settings.user_id)

    def for_user(self, user_id: str) -> MemoryService:
        """The same engine, another user's memories (each HTTP token maps to one)."""
        return MemoryService(self._engine, user_id)

    def now(self) -> datetime:
        """The engine's clock: the instant every operation reads expiry against."""
        return self._engine.clock.now()

    def start_loading(self) -> threading.Thread:
        return self._engine.start_loading()

    def close(self) -> None:
        """Close the engine's backend (for every user); later calls report it unavailable."""
        self._engine.close()

    @staticmethod
    def recording() -> AbstractContextManager[Changes]:
        """Collects the ids of the memories the calls made inside it write or delete, and of those their sweeps
        delete (every user's), for telling clients what changed."""
        return recording()

    def sweep(self) -> int:
        """Delete every expired memory (every user's) now; returns how many went."""
        with self._engine.session(sweep=False) as (backend, now):
            return self._engine.sweep_now(backend, now)

    # -- reading ---------------------------------------------------------------------------------

    def get(self, memory_id: str) -> MemoryRecord:
        """The caller's own live memory with this id; an unknown, expired or forgotten one is refused."""
        with self._engine.session() as (backend, now):
            return record(self._live(backend, memory_id, now), now)

    def recall(
        self, query: str, memory_types: list[str] | None, limit: int, *, used: bool = True
    ) -> list[RecalledMemory]:
        """Best matches first; expired memories are excluded inside the store query, so they never crowd it. A recall
        that is `used` (the assistant's) is counted and may extend what it returns; a person's search in the memory
        view is not, so what it learns from use stays what the assistant used."""
        text = rules.content(query, self.settings.max_content_chars, "query")
        with self._engine.session() as (backend, now):
            found = backend.search(self._query(now, memory_types, limit=limit), text, RECALL_THRESHOLD)
            live = [m for m in found if not is_expired(m.expires_at, now)][:limit]
            if used:
                live = usage.recalled(backend, live, now, self.settings, self.policy.max_ttl)  # extended, counted
            return [RecalledMemory(**record(m, now).model_dump(), score=round(m.score or 0.0, 4)) for m in live]

    def expiring(self, within_days: float, memory_types: list[str] | None, limit: int) -> list[MemoryRecord]:
        """Live temporary memories that expire within the window, soonest first."""
        with self._engine.session() as (backend, now):
            query = self._query(now, memory_types, expiring_by=now + timedelta(days=within_days), limit=limit)
            found = sorted(backend.find(query), key=lambda m: m.expires_at or now)
            return [record(m, now) for m in found[:limit]]

    def memories(self, memory_types: list[str] | None = None, limit: int | None = None) -> list[MemoryRecord]:
        """Every live memory (or the first `limit`), soonest expiry first and permanent ones last."""
        with self._engine.session() as (backend, now):
            return [record(m, now) for m in self._all(backend, now, memory_types, limit)]

    # -- writing ---------------------------------------------------------------------------------

    def remember(
        self,
        content: str,
        memory_type: str,
        metadata: Mapping[str, Any] | None,
        *,
        permanent: bool,
        expires_in_days: float | None = None,
        expires_at: str | None = None,
    ) -> RememberedMemory:
        """Store a memory, or refresh its live twin (same text, type and user): the later expiry wins. Secrets in it
        are redacted or refused first, as EXPIRING_MEMORY_SECRETS says (`redaction.screen`)."""
        kind = rules.memory_type(memory_type)
        safe = self._screen(content, metadata)
        text, meta = safe.text, safe.metadata
        with self._engine.session() as (backend, now):
            expiry = None if permanent else self.policy.expiry(now, kind, expires_in_days, expires_at)
            if backend.infers:  # Mem0's LLM compares with what is stored: an expired fact must not count as known
                self._engine.sweep_now(backend, now)
            _outcome, memory_id = self._add_or_refresh(backend, now, text, kind, meta, expiry, now, infer=True)
            return RememberedMemory(
                **record(self._live(backend, memory_id, now), now).model_dump(), redacted=safe.redacted
            )

    def _screen(self, content: str, metadata: Mapping[str, Any] | None) -> redaction.Screened:
        text = rules.content(content, self.settings.max_content_chars)
        return redaction.screen(text, rules.metadata(metadata), self.settings.secrets)

    def _add_or_refresh(
        self,
        backend: Backend,
        now: datetime,
        text: str,
        kind: str,
        meta: dict[str, Scalar],
        expiry: datetime | None,
        created_at: datetime,
        *,
        touch: bool = True,
        infer: bool = False,
    ) -> tuple[Outcome, str]:
        """Add a memory, or refresh its live twin (same text, type and user): the later expiry wins, metadata merges.

        Returns the outcome and the memory's id; "unchanged" (no write) only when touch is off and the refresh would
        change nothing. The twin lookup and the write hold the backend's write lock, so processes sharing it never
        race into a duplicate.
        """
        key = rules.dedup_key(text)
        with backend.write_lock():
            twins = backend.find(Query(user_id=self.user_id, live_at=now, types=(kind,), dedup_key=key, limit=1))
            if twins:
                twin = twins[0]
                expiry = later(twin.expires_at, expiry)
                if not touch and expiry == twin.expires_at and meta.items() <= twin.metadata.items():
                    return "unchanged", twin.id
                backend.update(twin.id, NewMemory(expiry, dict(meta)))
                note_written(twin.id)
                return "refreshed", twin.id
            new = NewMemory(expiry, dict(meta), memory_type=kind, dedup_key=key, created_at=created_at)
            if infer and backend.infers and (facts := backend.add_inferred(text, self.user_id, new)):
                for fact in facts:  # each fact is its own twin key: remembering it verbatim later refreshes it
                    backend.update(fact.id, replace(new, dedup_key=rules.dedup_key(fact.text)))
                    note_written(fact.id)
                return "added", facts[0].id
            memory_id = backend.add(text, self.user_id, new)
            note_written(memory_id)
            return "added", memory_id

    def forget(self, memory_id: str) -> str:
        with self._engine.session() as (backend, now):
            memory = self._live(backend, memory_id, now)
            backend.delete(memory.id)
            note_written(memory.id)
            usage.forgotten(backend, memory, now)  # the ledger: that it went, and when; never its text
            return memory.id

    def renew(
        self, memory_id: str, expires_in_days: float | None, expires_at: str | None, permanent: bool
    ) -> MemoryRecord:
        """Set a new expiry, or make the memory permanent. With no expiry given, its type's tier from now, unless
        the memory already lasts longer (a renewal never shortens it)."""
        if permanent and (expires_in_days is not None or expires_at is not None):
            raise InvalidRequest("Give permanent=true or a new expiry (expires_in_days or expires_at), not both.")
        with self._engine.session() as (backend, now):
            memory = self._live(backend, memory_id, now)
            expiry: datetime | None
            if permanent:
                expiry = None
            elif expires_in_days is None and expires_at is None:
                expiry = later(memory.expires_at, self.policy.expiry(now, memory.memory_type))
            else:
                expiry = self.policy.expiry(now, memory.memory_type, expires_in_days, expires_at)
            backend.update(memory.id, NewMemory(expiry))
            note_written(memory.id)
            usage.renewed(backend, memory.id)
            return record(self._live(backend, memory.id, now), now)

    def restore(
        self,
        content: str,
        memory_type: str,
        metadata: Mapping[str, Any] | None,
        *,
        created_at: str | None,
        expires_at: str | None,
    ) -> tuple[str, RememberedMemory | None]:
        """Import one exported memory, keeping its exact expiry (None: permanent) and its created_at.

        A live twin (same text and type) is refreshed as remember does: the later expiry wins, metadata is merged.
        Returns ("added" | "refreshed" | "unchanged", the memory), or ("expired", None) if it has already expired.
        """
        kind = rules.memory_type(memory_type)
        safe = self._screen(content, metadata)
        text, meta = safe.text, safe.metadata
        try:
            created = parse_iso(iso(parse_iso(created_at))) if created_at else None
        except (ValueError, OverflowError):
            raise InvalidRequest(
                f"created_at {credentials.redacted(str(created_at), 40)!r} is not an ISO 8601 time."
            ) from None
        expiry = None if expires_at is None else self.policy.parse_expires_at(expires_at)
        with self._engine.session() as (backend, now):
            if is_expired(expiry, now):
                return "expired", None
            if expiry is not None:
                self.policy.check_window(now, expiry)
            outcome, memory_id = self._add_or_refresh(
                backend, now, text, kind, meta, expiry, created or now, touch=False
            )
            stored = record(self._live(backend, memory_id, now), now)
            return outcome, RememberedMemory(**stored.model_dump(), redacted=safe.redacted)


def known_users(settings: Settings) -> list[str]:
    """Every user this configuration writes for: the configured one and each HTTP token's."""
    return list(dict.fromkeys([settings.user_id, *settings.http_tokens.values()]))
