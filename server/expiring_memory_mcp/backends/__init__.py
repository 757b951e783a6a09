"""Where memories are kept. One interface, three backends: embedded (default), mem0 (any Mem0 OSS config), platform.

Every backend takes filters in Mem0's OSS syntax over the keys `user_id`, `type` and `dedup_key`, plus its own
`live(now)` and `window(now, until)` fragments, and returns memories as Mem0 dicts (id, memory, user_id, metadata,
expiration_date, created_at, and score from search). Backends are blocking and not thread-safe: the service makes
one call at a time.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..embedder import Embedder
    from ..settings import Settings

# Permanent memories carry this `expires_ts` (9999-12-31T23:59:59Z), so "expires after now" is one range filter
# that every store with range filters can apply inside its query, and a missing key never hides a memory.
PERMANENT_TS = 253402300799.0

Item = dict[str, Any]
Filters = dict[str, Any]


def expires_ts(expiry: datetime | None) -> float:
    return PERMANENT_TS if expiry is None else expiry.timestamp()


class Backend(Protocol):
    name: str
    infers: bool  # adds may go through Mem0's LLM, which compares with stored memories (expired ones too)
    location: str  # where the memories live, for people: a folder, a database, a host

    def live(self, now: datetime) -> Filters:
        """The filter fragment that keeps only memories that have not expired at `now`."""

    def window(self, now: datetime, until: datetime) -> Filters:
        """The filter fragment for temporary memories expiring after `now` and at or before `until`."""

    def write_lock(self) -> AbstractContextManager[None]:
        """Held around a twin lookup and its write, across every process sharing the backend."""

    def get(self, memory_id: str) -> Item | None: ...

    def list(self, filters: Filters, limit: int | None) -> list[Item]:
        """Memories matching the filters; `limit=None` means all of them."""

    def search(self, query: str, filters: Filters, limit: int, threshold: float) -> list[Item]: ...

    def add(
        self, text: str, user_id: str, metadata: dict[str, Any], expiry: datetime | None, *, infer: bool = False
    ) -> str:
        """Store a memory with our metadata and its expiry (None: permanent); returns its id. With `infer`, a backend
        configured for inference lets Mem0's LLM extract and merge facts; others store the text as given."""

    def update(self, memory_id: str, metadata: dict[str, Any], expiry: datetime | None) -> None:
        """Merge metadata into a memory and set its expiry."""

    def delete(self, memory_id: str) -> None:
        """Delete a memory and every copy of its text the backend keeps."""

    def purge_expired(self, now: datetime) -> list[str]:
        """Delete every memory (of every user) expired at `now`; returns their ids."""

    def expired(self, user_id: str, now: datetime) -> tuple[int, list[Item]]:
        """What a purge would delete now: how many memories of every user, and this user's."""

    # Defaults for backends that subclass this Protocol: nothing to tidy, nothing counted, no size to report.

    def after_load(self) -> None:
        """Tidy up what an interrupted process may have left. Runs once, after the startup purge."""

    def purged_total(self) -> int | None:
        """Expired memories purged so far, if the backend counts them."""
        return None

    def size_bytes(self) -> int | None:
        """The size of the memories on disk, if the backend can tell."""
        return None

    def close(self) -> None:
        """Let go of connections and files."""


def open_backend(settings: Settings, embedder: Embedder | None = None) -> Backend:
    """The configured backend, opened. Imports Mem0 (seconds): call it off the event loop."""
    match settings.chosen_backend():
        case "mem0":
            from .mem0_oss import open_mem0

            return open_mem0(settings, embedder)
        case "platform":
            from .platform import open_platform

            return open_platform(settings)
        case _:
            from .embedded import open_embedded

            return open_embedded(settings.data_dir, embedder or settings.embedder, settings.ranking())
