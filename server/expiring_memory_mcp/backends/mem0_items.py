"""Mem0's side of the boundary, shared by every backend: a `Query` as Mem0 OSS filters, Mem0's memory dicts as
`StoredMemory`, and the expiry keys every backend keeps in a memory's metadata."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from ..retention import iso, parse_iso
from ..rules import RESERVED_KEYS
from .base import Query, StoredMemory, expires_ts

Filters = dict[str, Any]
Fragment = Callable[[datetime], Filters]
Window = Callable[[datetime, datetime], Filters]


def expiry_fields(expiry: datetime | None) -> dict[str, Any]:
    """Our precise expiry, and its epoch seconds for range filters: both in the metadata of every backend."""
    return {"expires_at": iso(expiry) if expiry else None, "expires_ts": expires_ts(expiry)}


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
