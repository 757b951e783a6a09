"""The typed boundary between the operations and a store: what a backend is asked, and what it answers.

Times are datetimes on this side; each backend turns a `Query` into its store's filters and its store's rows into
`StoredMemory`. Backends are blocking and not thread-safe: the engine makes one call at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple, Protocol

from ..models import LedgerEntry, Scalar, Usage

# Permanent memories carry this `expires_ts` (9999-12-31T23:59:59Z), so "expires after now" is one range filter
# that every store with range filters can apply inside its query, and a missing key never hides a memory.
PERMANENT_TS = 253402300799.0


def expires_ts(expiry: datetime | None) -> float:
    return PERMANENT_TS if expiry is None else expiry.timestamp()


@dataclass(frozen=True)
class Query:
    """Which memories: one user's that are live at `live_at`; optionally only some types, only the twins of one
    text (its dedup key), only temporary ones expiring by `expiring_by`; at most `limit` (None: all)."""

    user_id: str
    live_at: datetime
    types: tuple[str, ...] = ()
    dedup_key: str | None = None
    expiring_by: datetime | None = None
    limit: int | None = None


@dataclass(frozen=True)
class StoredMemory:
    """One memory as a backend holds it; `metadata` is the caller's own, `score` is set by search alone."""

    id: str
    text: str
    user_id: str | None
    memory_type: str
    created_at: datetime | None
    expires_at: datetime | None  # None: permanent
    expiration_date: date | None  # Mem0's own day
    metadata: dict[str, Scalar] = field(default_factory=dict)
    score: float | None = None


@dataclass(frozen=True)
class NewMemory:
    """What a write sets on a memory: its expiry (None: permanent) and the caller's metadata, merged into what the
    memory has; on add also its type, its twin key (`rules.dedup_key`) and when it was first remembered. On update a
    field left None keeps the memory's own."""

    expires_at: datetime | None
    metadata: dict[str, Scalar] = field(default_factory=dict)
    memory_type: str | None = None
    dedup_key: str | None = None
    created_at: datetime | None = None


class Fact(NamedTuple):
    """A memory Mem0's LLM created or rewrote while inferring."""

    id: str
    text: str


class UsageLog(Protocol):
    """An optional capability (`Backend.usage_log`): recall counters and the ledger of what was forgotten, kept off
    the memories themselves. Counting only adds to memory; the writes are batched."""

    def recalled(self, ids: Sequence[str], now: datetime) -> None:
        """Recall returned these memories at `now`."""

    def renewed(self, memory_id: str) -> None:
        """The memory was renewed."""

    def forgotten(self, memory: StoredMemory, now: datetime) -> None:
        """The memory was just deleted by request: a ledger entry, with no text, and its counters go."""

    def usage(self, ids: Sequence[str]) -> dict[str, Usage]:
        """The counters of these memories (those never recalled nor renewed are left out)."""

    def ledger(self, user_id: str, since: datetime) -> list[LedgerEntry]:
        """This user's memories that went (swept or forgotten) since `since`, oldest first."""

    def prune(self, ledger_before: datetime) -> int:
        """Drop ledger entries older than `ledger_before` (and counters of memories gone); how many entries went."""


class Backend(Protocol):
    name: str
    infers: bool  # adds may go through Mem0's LLM, which compares with stored memories (expired ones too)
    location: str  # where the memories live, for people: a folder, a database, a host

    def write_lock(self) -> AbstractContextManager[None]:
        """Held around a twin lookup and its write, across every process sharing the backend."""

    def get(self, memory_id: str) -> StoredMemory | None:
        """The memory with this id, live or not, of any user; None if there is none."""

    def find(self, query: Query) -> list[StoredMemory]:
        """The memories the query selects, soonest expiry first, permanent ones last."""

    def search(self, query: Query, text: str, threshold: float) -> list[StoredMemory]:
        """The memories the query selects that best match `text`, best first, each with its score in [0, 1]."""

    def add(self, text: str, user_id: str, new: NewMemory) -> str:
        """Store the text as given, with what `new` says; returns its id."""

    def add_inferred(self, text: str, user_id: str, new: NewMemory) -> list[Fact]:
        """Let Mem0's LLM extract facts and merge them with what it knows (only where `infers`); the memories it
        created or rewrote, which the caller then updates each with its own twin key. Empty when it changed nothing."""
        return []

    def update(self, memory_id: str, new: NewMemory) -> None:
        """Set a memory's expiry, merge in the metadata, and set whichever of its type, twin key and first-remembered
        time `new` gives."""

    def rewrite(self, memory_id: str, text: str, new: NewMemory) -> None:
        """Replace a memory's text (embedded again, its keyword entry rebuilt) and set what `new` gives, as update
        does; no copy of the old text is kept where the backend can reach it (history, keyword index, free pages)."""

    def delete(self, memory_id: str) -> None:
        """Delete a memory and every copy of its text the backend keeps."""

    def sweep(self, now: datetime) -> list[str]:
        """Delete every memory (of every user) expired at `now`; returns their ids."""

    def expired(self, user_id: str, now: datetime) -> tuple[int, list[StoredMemory]]:
        """What a sweep would delete now: how many memories of every user, and this user's."""

    # Defaults for backends that subclass this Protocol: nothing to tidy, nothing counted, no size to report.

    def after_load(self) -> None:
        """Tidy up what an interrupted process may have left. Runs once, after the startup sweep."""
        return

    def marked(self, name: str) -> bool:
        """Whether a one-time task (such as the secrets check) has run on this store; without a place to keep the
        mark, never (the task runs at every start)."""
        return False

    def mark(self, name: str) -> None:
        """Record that the one-time task `name` has run on this store."""
        return

    def expiries(self, query: Query) -> list[tuple[str, datetime | None]]:
        """Each selected memory's type and expiry (None: permanent), soonest first: what a summary counts. This
        default reads whole memories; a backend that can read just these two does better."""
        return [(m.memory_type, m.expires_at) for m in self.find(query)]

    def swept_total(self) -> int | None:
        """Expired memories swept so far, if the backend counts them."""
        return None

    def size_bytes(self) -> int | None:
        """The size of the memories on disk, if the backend can tell."""
        return None

    def usage_log(self) -> UsageLog | None:
        """Its usage counters and ledger, if the backend keeps them (the embedded one does)."""
        return None

    def close(self) -> None:
        """Let go of connections and files."""
