"""Mem0's side of the boundary, shared by every backend: a `Query` as Mem0 OSS filters, Mem0's memory dicts as
`StoredMemory`, and the expiry keys every backend keeps in a memory's metadata."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from ..retention import iso, parse_iso
from ..rules import RESERVED_KEYS
from .base import NewMemory, Query, StoredMemory, expires_ts

Filters = dict[str, Any]
Fragment = Callable[[datetime], Filters]
Window = Callable[[datetime, datetime], Filters]


def expiry_fields(expiry: datetime | None, *, numeric: bool = True) -> dict[str, Any]:
    """The keys a memory's expiry is kept under in its metadata, and why each is there. This is the one place that says.

    - `expires_at`, ISO 8601 (null: permanent): the precise instant, which every backend reads back (`expiry_of`).
      The embedded store also derives its indexed `expires_at` column from it, which its filters and sweep use.
    - `expires_ts`, epoch seconds (permanent: PERMANENT_TS), only where `numeric`: Mem0's adapters for pgvector,
      Qdrant and the others compare numbers, not ISO text, so the mem0 backend filters on it inside the store query,
      and the Platform backend keeps it beside `expires_at`. The embedded store filters on its indexed column, so
      it does not keep this copy (rows written before it stopped still carry one, never read).
    - Mem0's own `expiration_date`, a UTC day, is not here: it is Mem0's API, passed as its own argument to add and
      update (`retention.mem0_date`), so Mem0 (and anyone reading the store through Mem0) hides the memory after it.
    """
    fields: dict[str, Any] = {"expires_at": iso(expiry) if expiry else None}
    if numeric:
        fields["expires_ts"] = expires_ts(expiry)
    return fields


def metadata_of(new: NewMemory, *, numeric: bool = True) -> dict[str, Any]:
    """A write as the metadata Mem0 stores in the memory's payload: the caller's keys, ours, and the expiry's."""
    ours = {"type": new.memory_type, "dedup_key": new.dedup_key, "created_at": new.created_at and iso(new.created_at)}
    return {
        **new.metadata,
        **{key: value for key, value in ours.items() if value is not None},
        **expiry_fields(new.expires_at, numeric=numeric),
    }


def oss_filters(query: Query, live: Fragment, window: Window) -> Filters:
    """The query in Mem0's OSS filter syntax; `live` and `window` say how the backend's store filters on expiry."""
    filters: Filters = {"user_id": query.user_id, **live(query.live_at)}
    if query.types:
        filters["type"] = query.types[0] if len(query.types) == 1 else {"in": list(query.types)}
    if query.dedup_key is not None:
        filters["dedup_key"] = query.dedup_key
    if query.expiring_by is not None:
        filters.update(window(query.live_at, query.expiring_by))
    return filters


def stored(item: Mapping[str, Any]) -> StoredMemory:
    """A memory dict from Mem0 (OSS or Platform) as the operations read it."""
    meta = dict(item.get("metadata") or {})
    score = item.get("score")
    return StoredMemory(
        id=str(item["id"]),
        text=str(item.get("memory") or item.get("text") or ""),
        user_id=item.get("user_id"),
        memory_type=str(meta.get("type") or ""),
        created_at=_moment(meta.get("created_at") or item.get("created_at")),
        expires_at=expiry_of(meta),
        expiration_date=_day(item.get("expiration_date")),
        metadata={k: v for k, v in meta.items() if k not in RESERVED_KEYS},
        score=None if score is None else float(score),
    )


def expiry_of(meta: Mapping[str, Any]) -> datetime | None:
    """The precise expiry kept in a memory's metadata; None if permanent, or unreadable (then the memory is kept and
    shown, as Mem0 does with a bad date)."""
    return _moment(meta.get("expires_at"))


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else None
    try:
        return parse_iso(str(value)) if value else None
    except (ValueError, OverflowError):
        return None


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value if not isinstance(value, datetime) else value.date()
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None
