"""The `platform` backend: the hosted Mem0 Platform, through `mem0.MemoryClient`.

The Platform keeps Mem0's own `expiration_date`, a UTC day, and hides a memory from search and listings from the
day after it. Our expiry is an instant, kept in the metadata as `expires_at` (and `expires_ts`). The Platform's v2
filters match metadata by equality only, so the instant is applied here, after fetching, and reads over-fetch until
they fill their limit. A sweep lists every memory, date-expired ones included (`show_expired`), and deletes those
whose instant has passed.

Every failure to talk to the Platform becomes `Unavailable`, with a message saying what to check.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from filelock import FileLock

from .. import credentials, mem0_compat
from ..errors import InvalidRequest, Unavailable
from ..retention import mem0_date
from .base import Backend, NewMemory, Query, StoredMemory
from .mem0_items import metadata_of, stored
from .platform_adds import added_id, added_now, await_event, event_of, get_event
from .platform_api import (
    Item,
    Predicate,
    as_item,
    expires_within,
    memories_in,
    platform_errors,
    unavailable,
    v2_filters,
)

if TYPE_CHECKING:
    from mem0 import MemoryClient

    from ..settings import Settings

logger = logging.getLogger(__name__)

T = TypeVar("T")

PAGE_SIZE = 100  # memories per get_all page
FIRST_TOP_K = 20  # at least this many search candidates, so a few expired ones never starve a small limit
MAX_TOP_K = 500  # the widest search we ask for while looking for `limit` live memories
EVERYONE = {"user_id": "*"}  # every user's memories (the wildcard matches any non-null user_id)


class PlatformBackend(Backend):
    name = "platform"
    infers = False  # the text is stored as given
    poll_delays: tuple[float, ...] = (0.1, 0.2, 0.5, 1.0)  # between polls of a queued add; the last one repeats

    def __init__(self, connect: Callable[[], MemoryClient], *, host: str, lock_file: Path) -> None:
        self.location = host
        self._connect = connect
        self._client: MemoryClient | None = None
        self._file_lock = FileLock(lock_file)

    # -- connection ------------------------------------------------------------------------------

    def connect(self) -> MemoryClient:
        """The client, made on first use: MemoryClient checks the key with GET /v1/ping/, and if the Platform is
        down then, the next call tries again instead of the server staying broken until restarted."""
        if self._client is None:
            try:
                self._client = self._connect()
            except ValueError as exc:  # MemoryClient reports a refused ping as ValueError("Error: ...")
                raise Unavailable(
                    f"The Mem0 Platform at {self.location} did not accept the API key check ({exc}). Check "
                    "MEM0_API_KEY (or EXPIRING_MEMORY_MEM0_API_KEY) and EXPIRING_MEMORY_MEM0_HOST."
                ) from exc
            except platform_errors() as exc:
                raise self._failure("connect", exc) from exc
        return self._client

    def _call(self, what: str, request: Callable[[MemoryClient], T], *, missing: T | None = None) -> T:
        """One request; a Platform failure becomes Unavailable. With `missing` given, a 404 answers it instead."""
        from mem0.exceptions import MemoryNotFoundError

        client = self.connect()
        try:
            return request(client)
        except MemoryNotFoundError as exc:
            if missing is None:
                raise self._failure(what, exc) from exc
            return missing
        except platform_errors() as exc:
            raise self._failure(what, exc) from exc

    def _failure(self, what: str, exc: Exception) -> Unavailable:
        logger.warning("Mem0 Platform %s failed: %r", what, exc)
        return unavailable(self.location, exc)

    @staticmethod
    def _due(now: datetime) -> Predicate:
        return partial(expires_within, {"lte": now.timestamp()})

    # -- locking ---------------------------------------------------------------------------------

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """A file lock in the data dir: every process on this machine. Other machines sharing the Platform
        account are not covered; at worst they store a duplicate, which recall shows twice."""
        with self._file_lock:
            yield

    # -- one-time tasks: a file in the data dir beside the write lock ----------------------------

    def _marker(self, name: str) -> Path:
        return Path(self._file_lock.lock_file).with_name(f"{name}.done")

    def marked(self, name: str) -> bool:
        return self._marker(name).exists()

    def mark(self, name: str) -> None:
        self._marker(name).touch(mode=0o600)

    # -- reads -----------------------------------------------------------------------------------

    def _get(self, memory_id: str) -> Item | None:
        raw: dict[str, Any] = self._call("get", lambda c: c.get(memory_id), missing={})
        return as_item(raw) if raw else None

    def get(self, memory_id: str) -> StoredMemory | None:
        item = self._get(memory_id)
        return stored(item) if item else None

    def find(self, query: Query) -> list[StoredMemory]:
        where, keep = v2_filters(query)
        return [stored(item) for item in self._scan(where, keep, query.limit)]

    def _scan(self, where: dict[str, Any], keep: Predicate, limit: int | None, *, expired: bool = False) -> list[Item]:
        """Page through get_all until `limit` memories pass `keep` (None: to the end). `expired` asks the Platform
        to include date-expired memories, which it otherwise hides."""
        found: list[Item] = []
        seen: set[str] = set()
        page = 1
        while True:
            options = {"show_expired": True} if expired else {}
            answer = self._call("get_all", partial(_get_all, filters=where, page=page, **options))
            batch = [as_item(raw) for raw in memories_in(answer)]
            fresh = [item for item in batch if item["id"] not in seen]
            seen.update(item["id"] for item in fresh)
            found += [item for item in fresh if keep(item)]
            if limit is not None and len(found) >= limit:
                return found[:limit]
            if isinstance(answer, Mapping) and "next" in answer:
                more = answer["next"] is not None
            else:
                more = len(batch) >= PAGE_SIZE
            if not more or not fresh:  # the last page, or a server that ignores pagination
                return found
            page += 1

    def search(self, query: Query, text: str, threshold: float) -> list[StoredMemory]:
        """Best matches first. Asks for more candidates than the limit (and more again while too few are live),
        since the Platform cannot leave out memories whose instant has passed earlier today."""
        where, keep = v2_filters(query)
        limit = query.limit if query.limit is not None else MAX_TOP_K
        top_k = max(FIRST_TOP_K, 2 * limit)
        while True:
            answer = self._call("search", partial(_search, text, filters=where, top_k=top_k, threshold=threshold))
            batch = [as_item(raw) for raw in memories_in(answer)]
            live = [item for item in batch if keep(item)]
            if len(live) >= limit or len(batch) < top_k or top_k >= MAX_TOP_K:
                return [stored(item) for item in live[:limit]]
            top_k = min(4 * top_k, MAX_TOP_K)

    # -- writes ----------------------------------------------------------------------------------

    def add(self, text: str, user_id: str, new: NewMemory) -> str:
        """Store the text as given (infer=False) with Mem0's day and our instant. The v3 add is queued: we wait for
        its event (GET /v1/event/{event_id}/) so the memory exists, and can be found, when this returns."""
        meta, day = metadata_of(new), mem0_date(new.expires_at)
        answer = self._call(
            "add", lambda c: c.add(text, user_id=user_id, metadata=meta, infer=False, expiration_date=day)
        )
        memory_id = added_now(answer)
        if memory_id is None:  # queued: its event says when it is stored, and usually its id
            event_id = event_of(answer)
            results = await_event(
                partial(self._call, "event", partial(get_event, event_id=event_id)), event_id, self.poll_delays
            )
            memory_id = added_id(results) or self._found(user_id, meta)
        return memory_id

    def _found(self, user_id: str, meta: dict[str, Any]) -> str:
        """The memory carrying our metadata, where the add's event did not name it."""
        ours = [{"metadata": {key: meta[key]}} for key in ("dedup_key", "created_at") if key in meta]
        found = self._scan({"AND": [{"user_id": user_id}, *ours]}, lambda item: True, 1)
        if not found:
            raise Unavailable("The Mem0 Platform reported the memory stored, but it cannot be found. Try again later.")
        return str(found[0]["id"])

    def update(self, memory_id: str, new: NewMemory) -> None:
        """Merge here and send the whole metadata: the Platform documents no merge on PUT, and a replace would drop
        our keys. `expiration_date=None` clears the Platform's date (permanent)."""
        current = self._get(memory_id)
        if current is None:
            raise InvalidRequest(
                f"No memory with id {credentials.redacted(memory_id, 80)!r}: it may have expired or been forgotten. "
                "Use recall or expiring_soon to find current memory ids."
            )
        merged, day = {**current["metadata"], **metadata_of(new)}, mem0_date(new.expires_at)
        self._call("update", lambda c: c.update(memory_id, metadata=merged, expiration_date=day))

    def rewrite(self, memory_id: str, text: str, new: NewMemory) -> None:
        """The Platform embeds the new text again; what it keeps of the old one is the Platform's (its own history)."""
        current = self._get(memory_id)
        if current is None:
            raise InvalidRequest(
                f"No memory with id {credentials.redacted(memory_id, 80)!r}: it may have expired or been forgotten."
            )
        merged, day = {**current["metadata"], **metadata_of(new)}, mem0_date(new.expires_at)
        self._call("rewrite", lambda c: c.update(memory_id, text=text, metadata=merged, expiration_date=day))

    def delete(self, memory_id: str) -> None:
        self._call("delete", lambda c: c.delete(memory_id), missing={})  # already gone is fine: deleted elsewhere

    def _due_items(self, now: datetime) -> list[Item]:
        """Every user's memories whose instant has passed, date-expired ones included."""
        return self._scan({"AND": [EVERYONE]}, self._due(now), None, expired=True)

    def sweep(self, now: datetime) -> list[str]:
        gone = [item["id"] for item in self._due_items(now)]
        for memory_id in gone:
            self.delete(memory_id)
        return gone

    def expired(self, user_id: str, now: datetime) -> tuple[int, list[StoredMemory]]:
        due = self._due_items(now)
        return len(due), [stored(item) for item in due if item.get("user_id") == user_id]

    def close(self) -> None:
        if self._client is not None:
            mem0_compat.http_client(self._client).close()
            self._client = None


def _get_all(client: MemoryClient, **options: Any) -> Any:
    return client.get_all(page_size=PAGE_SIZE, **options)


def _search(query: str, client: MemoryClient, **options: Any) -> Any:
    return client.search(query, **options)


def open_platform(settings: Settings) -> PlatformBackend:
    """The Mem0 Platform for MEM0_API_KEY at EXPIRING_MEMORY_MEM0_HOST. Imports Mem0: call it off the event loop."""
    from ..mem0_setup import prepare_environment, private_dir, quiet_mem0

    if settings.mem0_api_key is None:
        raise ValueError("the platform backend needs MEM0_API_KEY (or EXPIRING_MEMORY_MEM0_API_KEY)")
    data_dir = private_dir(settings.data_dir)
    prepare_environment(data_dir)  # before importing mem0: telemetry off, its files in our data dir

    from mem0 import MemoryClient

    quiet_mem0()
    mem0_compat.telemetry_off()
    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        logging.getLogger("mem0.client.utils").setLevel(logging.CRITICAL)  # we log each failure ourselves, once
    host = settings.mem0_host.rstrip("/")
    backend = PlatformBackend(
        partial(MemoryClient, api_key=settings.mem0_api_key.get_secret_value(), host=host),
        host=host,
        lock_file=data_dir / "writes.lock",
    )
    try:
        backend.connect()
    except Unavailable as exc:
        logger.warning("%s The next tool call tries again.", exc)
    return backend
