"""The service: what each tool means, expressed as calls to Mem0 (refresh instead of duplicate, sweep, scope)."""

from __future__ import annotations

import hashlib
import logging
import math
import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .errors import InvalidRequest, Unavailable
from .models import MemoryRecord, MemoryStats, RecalledMemory
from .retention import Clock, expires_in, is_expired, iso, later, parse_iso
from .settings import Settings

if TYPE_CHECKING:
    from .backends import Backend

logger = logging.getLogger(__name__)

# Payload keys that Mem0 or this service own; callers' metadata may not use them.
RESERVED_KEYS = frozenset(
    {
        "type",
        "expires_at",
        "dedup_key",
        "data",
        "hash",
        "created_at",
        "updated_at",
        "user_id",
        "agent_id",
        "run_id",
        "actor_id",
        "role",
        "text_lemmatized",
        "expiration_date",
        "attributed_to",
        "id",
        "memory",
        "score",
        "metadata",
        "expires_ts",
    }
)
TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
MAX_METADATA_KEYS = 32
MAX_METADATA_TEXT = 2000
RECALL_THRESHOLD = 0.1  # minimum semantic similarity, Mem0's default


def dedup_key(content: str) -> str:
    """Same text up to whitespace and case gives the same key."""
    return hashlib.sha256(" ".join(content.split()).casefold().encode()).hexdigest()[:32]


def _check_text(text: str, what: str) -> None:
    if "\x00" in text:
        raise InvalidRequest(f"{what} contains a NUL character; remove it.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequest(f"{what} contains invalid Unicode (a lone surrogate); send valid text.") from None


class _Engine:
    """The one backend every user's service shares: opened once in the background, one call at a time, swept."""

    def __init__(self, settings: Settings, clock: Clock, build: Callable[[], Backend], sweep_on_load: bool) -> None:
        self.settings = settings
        self.clock = clock
        self._build = build
        self._sweep_on_load = sweep_on_load
        self.lock = threading.Lock()  # Mem0's Memory is not thread-safe: one call at a time
        self._load_lock = threading.Lock()
        self._backend: Backend | None = None
        self._load_error: BaseException | None = None
        self._last_sweep: datetime | None = None
        self.services: dict[str, MemoryService] = {}  # one view per user, all on this backend

    def loaded(self) -> Backend:
        with self._load_lock:
            if self._backend is None and self._load_error is None:
                try:
                    self._backend = self._build()
                except Exception as exc:  # reported to every caller below
                    logger.exception("could not open the memory store")
                    self._load_error = exc
                else:
                    logger.info("memory store ready: %s backend, %s", self._backend.name, self._backend.location)
                    if self._sweep_on_load:
                        self._startup_sweep(self._backend)
            if self._backend is None:
                raise Unavailable(f"The memory store could not be opened: {self._load_error}. See the server log.")
            return self._backend

    def _startup_sweep(self, backend: Backend) -> None:
        try:
            with self.lock:
                self.sweep(backend, self.clock.now(), force=True)
                backend.after_load()
        except Exception:  # the next tool call tries again
            logger.exception("the startup sweep failed")

    def close(self) -> None:
        with self._load_lock, self.lock:
            if self._backend is not None:
                self._backend.close()
                self._backend, self._load_error = None, Unavailable("the memory store was closed")

    def sweep(self, backend: Backend, now: datetime, *, force: bool) -> int:
        """Purge expired memories if forced or the interval has passed. Call holding the lock."""
        interval = timedelta(seconds=self.settings.sweep_interval_seconds)
        if not force and self._last_sweep is not None and now - self._last_sweep < interval:
            return 0
        gone = backend.purge_expired(now)
        self._last_sweep = now
        if gone:
            logger.info("deleted %d expired memories", len(gone))
        return len(gone)


class MemoryService:
    """Tool semantics over one backend, scoped to one user. Blocking: call it from a worker thread."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        build: Callable[[], Backend],
        *,
        sweep_on_load: bool = True,
        user_id: str | None = None,
        engine: _Engine | None = None,
    ) -> None:
        self.settings = settings
        self.user_id = user_id or settings.user_id
        self.policy = settings.retention()
        self._clock = clock
        # sweep_on_load is off for the CLI, so `purge --dry-run` can see what a sweep would delete
        self._engine = engine or _Engine(settings, clock, build, sweep_on_load)
        self._engine.services.setdefault(self.user_id, self)

    def for_user(self, user_id: str) -> MemoryService:
        """The same memory store, scoped to another user (each HTTP token maps to one)."""
        services = self._engine.services
        if user_id not in services:
            services[user_id] = MemoryService(
                self.settings, self._clock, self._engine._build, user_id=user_id, engine=self._engine
            )
        return services[user_id]

    # -- lifecycle -------------------------------------------------------------------------------

    def start_loading(self) -> threading.Thread:
        """Import and open Mem0 in the background, so the server answers initialize and tools/list at once."""
        # Not a daemon: an exit while onnxruntime is still loading would otherwise abort the interpreter.
        thread = threading.Thread(target=self._load_in_background, name="mem0-loader")
        thread.start()
        return thread

    def _load_in_background(self) -> None:
        with suppress(Unavailable):  # already logged; each tool call reports it
            self._engine.loaded()

    def _loaded(self) -> Backend:
        return self._engine.loaded()

    def close(self) -> None:
        """Close the backend (for every user's service); later calls report it unavailable."""
        self._engine.close()

    @contextmanager
    def _session(self) -> Iterator[tuple[Backend, datetime]]:
        backend = self._engine.loaded()
        with self._engine.lock:
            now = self._clock.now()
            self._engine.sweep(backend, now, force=False)
            yield backend, now

    def sweep(self) -> int:
        """Delete every expired memory now; returns how many went."""
        backend = self._engine.loaded()
        with self._engine.lock:
            return self._engine.sweep(backend, self._clock.now(), force=True)

    # -- validation ------------------------------------------------------------------------------

    def _content(self, content: str, what: str = "content") -> str:
        text = content.strip()
        if not text:
            raise InvalidRequest(f"{what} is empty; give the text to remember or search for.")
        if len(text) > self.settings.max_content_chars:
            raise InvalidRequest(
                f"{what} has {len(text)} characters; the limit is {self.settings.max_content_chars}. "
                "Send a shorter summary."
            )
        _check_text(text, what)
        return text

    @staticmethod
    def memory_type(value: str) -> str:
        kind = value.strip().lower()
        if not TYPE_PATTERN.match(kind):
            raise InvalidRequest(
                f"memory_type {value[:50]!r} is not valid: use a short lowercase word such as "
                "'session', 'chat', 'reminder', 'cache', 'preference', 'account', 'fact' or 'milestone'."
            )
        return kind

    @staticmethod
    def metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
        clean: dict[str, Any] = {}
        for key, value in (metadata or {}).items():
            if not isinstance(key, str) or not key or len(key) > 64:
                raise InvalidRequest("metadata keys must be non-empty strings of at most 64 characters.")
            _check_text(key, "a metadata key")
            if key in RESERVED_KEYS:
                raise InvalidRequest(f"metadata key {key!r} is reserved; rename it (for example 'my_{key}').")
            if isinstance(value, float) and not math.isfinite(value):
                raise InvalidRequest(f"metadata value for {key!r} must be a finite number.")
            if isinstance(value, str):
                _check_text(value, f"metadata value for {key!r}")
                if len(value) > MAX_METADATA_TEXT:
                    raise InvalidRequest(f"metadata value for {key!r} is longer than {MAX_METADATA_TEXT} characters.")
            elif value is not None and not isinstance(value, bool | int | float):
                raise InvalidRequest(
                    f"metadata value for {key!r} must be a string, number, boolean or null; "
                    "nested objects and lists are not supported."
                )
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**63 - 1:
                raise InvalidRequest(f"metadata value for {key!r} is too large an integer.")
            clean[key] = value
        if len(clean) > MAX_METADATA_KEYS:
            raise InvalidRequest(f"metadata may have at most {MAX_METADATA_KEYS} keys.")
        return clean

    # -- helpers ---------------------------------------------------------------------------------

    def _scope(self, backend: Backend, now: datetime, memory_types: list[str] | None = None) -> dict[str, Any]:
        """Filters: this user, live memories only (inside the store query), optionally some types."""
        filters: dict[str, Any] = {"user_id": self.user_id, **backend.live(now)}
        if memory_types:
            filters["type"] = {"in": sorted({self.memory_type(t) for t in memory_types})}
        return filters

    def _record(self, item: Mapping[str, Any], now: datetime) -> MemoryRecord:
        meta = dict(item.get("metadata") or {})
        expires = meta.get("expires_at")
        expiry = parse_iso(expires) if expires else None
        return MemoryRecord(
            id=str(item["id"]),
            content=str(item.get("memory", "")),
            memory_type=str(meta.get("type") or ""),
            created_at=meta.get("created_at") or item.get("created_at"),
            expires_at=iso(expiry) if expiry else None,
            expiration_date=item.get("expiration_date"),
            expires_in=expires_in(expiry, now),
            metadata={k: v for k, v in meta.items() if k not in RESERVED_KEYS},
        )

    def _live(self, backend: Backend, memory_id: str, now: datetime) -> MemoryRecord:
        """The caller's own live memory with this id; anything else reads as unknown."""
        item = backend.get(memory_id) if _is_uuid(memory_id) else None
        record = self._record(item, now) if item else None
        expiry = parse_iso(record.expires_at) if record and record.expires_at else None
        if item is None or item.get("user_id") != self.user_id or is_expired(expiry, now):
            raise InvalidRequest(
                f"No memory with id {memory_id[:80]!r}: it may have expired or been forgotten. "
                "Use recall or expiring_soon to find current memory ids."
            )
        return record  # type: ignore[return-value]

    # -- operations ------------------------------------------------------------------------------

    def remember(
        self,
        content: str,
        memory_type: str,
        metadata: Mapping[str, Any] | None,
        *,
        permanent: bool,
        expires_in_days: float | None = None,
        expires_at: str | None = None,
    ) -> MemoryRecord:
        """Store a memory, or refresh its live twin (same text, type and user): the later expiry wins."""
        text = self._content(content)
        kind = self.memory_type(memory_type)
        meta = self.metadata(metadata)
        with self._session() as (backend, now):
            expiry = None if permanent else self.policy.expiry(now, kind, expires_in_days, expires_at)
            if backend.infers:  # Mem0's LLM compares with what is stored: an expired fact must not count as known
                self._engine.sweep(backend, now, force=True)
            _outcome, memory_id = self._add_or_refresh(backend, now, text, kind, meta, expiry, iso(now), infer=True)
            return self._live(backend, memory_id, now)

    def _add_or_refresh(
        self,
        backend: Backend,
        now: datetime,
        text: str,
        kind: str,
        meta: dict[str, Any],
        expiry: datetime | None,
        created_at: str,
        *,
        touch: bool = True,
        infer: bool = False,
    ) -> tuple[str, str]:
        """Add a memory, or refresh its live twin (same text, type and user): the later expiry wins, metadata merges.

        Returns ("added" | "refreshed" | "unchanged", its id); "unchanged" (no write) only when touch is off and the
        refresh would change nothing. The twin lookup and the write hold the backend's write lock, so processes
        sharing it never race into a duplicate.
        """
        key = dedup_key(text)
        with backend.write_lock():
            twins = backend.list({**self._scope(backend, now), "type": kind, "dedup_key": key}, 1)
            if twins:
                twin = self._record(twins[0], now)
                current = parse_iso(twin.expires_at) if twin.expires_at else None
                expiry = later(current, expiry)
                if not touch and expiry == current and meta.items() <= twin.metadata.items():
                    return "unchanged", twin.id
                backend.update(twin.id, meta, expiry)
                return "refreshed", twin.id
            payload = {**meta, "type": kind, "dedup_key": key, "created_at": created_at}
            return "added", backend.add(text, self.user_id, payload, expiry, infer=infer)

    def recall(self, query: str, memory_types: list[str] | None, limit: int) -> list[RecalledMemory]:
        """Best matches first; expired memories are excluded inside the store query, so they never crowd it."""
        text = self._content(query, "query")
        with self._session() as (backend, now):
            found = backend.search(text, self._scope(backend, now, memory_types), limit, RECALL_THRESHOLD)
            results = []
            for item in found:
                record = self._record(item, now)
                if record.expires_in != "expired":
                    results.append(RecalledMemory(**record.model_dump(), score=round(float(item["score"]), 4)))
            return results[:limit]

    def expiring(self, within_days: float, memory_types: list[str] | None, limit: int) -> list[MemoryRecord]:
        """Live temporary memories that expire within the window, soonest first."""
        with self._session() as (backend, now):
            filters = {
                **self._scope(backend, now, memory_types),
                **backend.window(now, now + timedelta(days=within_days)),
            }
            records = [self._record(item, now) for item in backend.list(filters, limit)]
            return sorted(records, key=lambda r: r.expires_at or "")[:limit]

    def forget(self, memory_id: str) -> str:
        with self._session() as (backend, now):
            record = self._live(backend, memory_id, now)
            backend.delete(record.id)
            return record.id

    def renew(
        self, memory_id: str, expires_in_days: float | None, expires_at: str | None, permanent: bool
    ) -> MemoryRecord:
        """Set a new expiry, or make the memory permanent. With no expiry given, its type's tier from now, unless
        the memory already lasts longer (a renewal never shortens it)."""
        if permanent and (expires_in_days is not None or expires_at is not None):
            raise InvalidRequest("Give permanent=true or a new expiry (expires_in_days or expires_at), not both.")
        with self._session() as (backend, now):
            record = self._live(backend, memory_id, now)
            if permanent:
                expiry = None
            elif expires_in_days is None and expires_at is None:
                current = parse_iso(record.expires_at) if record.expires_at else None
                expiry = later(current, self.policy.expiry(now, record.memory_type))
            else:
                expiry = self.policy.expiry(now, record.memory_type, expires_in_days, expires_at)
            backend.update(record.id, {}, expiry)
            return self._live(backend, record.id, now)

    # -- for people: the command line ------------------------------------------------------------

    def memories(self, memory_types: list[str] | None = None, limit: int | None = None) -> list[MemoryRecord]:
        """Every live memory (or the first `limit`), soonest expiry first and permanent ones last."""
        with self._session() as (backend, now):
            return self._all(backend, now, memory_types, limit)

    def _all(
        self, backend: Backend, now: datetime, memory_types: list[str] | None = None, limit: int | None = None
    ) -> list[MemoryRecord]:
        items = backend.list(self._scope(backend, now, memory_types), limit)
        records = [self._record(item, now) for item in items]
        return sorted(records, key=lambda r: (r.expires_at is None, r.expires_at or ""))

    def expired(self) -> tuple[int, list[MemoryRecord]]:
        """What a sweep would delete now, deleting nothing: how many memories (every user's), and this user's.

        Only meaningful on a service made with sweep_on_load=False, before anything else has swept.
        """
        backend = self._loaded()
        with self._engine.lock:
            now = self._clock.now()
            total, items = backend.expired(self.user_id, now)
            return total, [self._record(item, now) for item in items]

    def stats(self) -> MemoryStats:
        """Live memories by type and lifetime, what expires within 24 hours, 7 and 30 days, purged so far, size."""
        with self._session() as (backend, now):
            records = self._all(backend, now)
            expiries = [parse_iso(r.expires_at) for r in records if r.expires_at]
            windows = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
            return MemoryStats(
                user_id=self.user_id,
                backend=backend.name,
                data_dir=backend.location,
                live=len(records),
                permanent=len(records) - len(expiries),
                temporary=len(expiries),
                by_type=dict(sorted(Counter(r.memory_type for r in records).items())),
                expiring={name: sum(e - now <= span for e in expiries) for name, span in windows.items()},
                purged_total=backend.purged_total(),
                database_bytes=backend.size_bytes(),
            )

    def restore(
        self,
        content: str,
        memory_type: str,
        metadata: Mapping[str, Any] | None,
        *,
        created_at: str | None,
        expires_at: str | None,
    ) -> tuple[str, MemoryRecord | None]:
        """Import one exported memory, keeping its exact expiry (None: permanent) and its created_at.

        A live twin (same text and type) is refreshed as remember does: the later expiry wins, metadata is merged.
        Returns ("added" | "refreshed" | "unchanged", the memory), or ("expired", None) if it has already expired.
        """
        text = self._content(content)
        kind = self.memory_type(memory_type)
        meta = self.metadata(metadata)
        try:
            created = iso(parse_iso(created_at)) if created_at else None
        except (ValueError, OverflowError):
            raise InvalidRequest(f"created_at {created_at[:40]!r} is not an ISO 8601 time.") from None
        expiry = None if expires_at is None else self.policy.parse_expires_at(expires_at)
        with self._session() as (backend, now):
            if is_expired(expiry, now):
                return "expired", None
            if expiry is not None:
                self.policy.check_window(now, expiry)
            outcome, memory_id = self._add_or_refresh(
                backend, now, text, kind, meta, expiry, created or iso(now), touch=False
            )
            return outcome, self._live(backend, memory_id, now)


def _is_uuid(value: str) -> bool:
    """Every backend's ids are UUIDs; anything else is unknown without asking (Postgres would raise on it)."""
    try:
        uuid.UUID(value.strip())
    except ValueError:
        return False
    return True
