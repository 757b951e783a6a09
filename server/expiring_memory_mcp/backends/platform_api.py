"""The Mem0 Platform's side of the `platform` backend: a `Query` as its v2 filters (plus the expiry predicate they
cannot express), its answers as memory dicts, and its failures as messages that say what to check."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from ..errors import Unavailable
from ..retention import parse_iso
from .base import PERMANENT_TS, Query

Item = dict[str, Any]  # a Platform memory, as `as_item` shapes it
Predicate = Callable[[Item], bool]


def v2_filters(query: Query) -> tuple[dict[str, Any], Predicate]:
    """The query as the Platform's v2 filters (user, types, twin key), plus the expiry range they cannot express, as
    a predicate to apply to what comes back."""
    conditions: list[dict[str, Any]] = [{"user_id": query.user_id}]
    if query.types:
        choices = [{"metadata": {"type": kind}} for kind in query.types]
        conditions.append(choices[0] if len(choices) == 1 else {"OR": choices})
    if query.dedup_key is not None:
        conditions.append({"metadata": {"dedup_key": query.dedup_key}})
    bounds = {"gt": query.live_at.timestamp()}
    if query.expiring_by is not None:
        bounds["lte"] = query.expiring_by.timestamp()
    return {"AND": conditions}, partial(expires_within, bounds)


def item_expires_ts(item: Item) -> float:
    """The memory's precise expiry in epoch seconds; permanent (or not ours: no expiry keys) is PERMANENT_TS."""
    meta = item.get("metadata") or {}
    try:
        if "expires_at" in meta:
            expires = meta["expires_at"]
            return PERMANENT_TS if expires is None else parse_iso(str(expires)).timestamp()
        return float(meta.get("expires_ts", PERMANENT_TS))
    except (TypeError, ValueError, OverflowError):  # unreadable: kept and shown, as Mem0 does with a bad date
        return PERMANENT_TS


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


def expires_within(bounds: dict[str, float], item: Item) -> bool:
    moment = item_expires_ts(item)
    return all(_COMPARE[op](moment, limit) for op, limit in bounds.items())


def memories_in(answer: Any) -> list[dict[str, Any]]:
    """The memories in an answer: a bare list, or {"results": [...]} (paginated or not)."""
    if isinstance(answer, list):
        return answer
    if isinstance(answer, Mapping):
        return list(answer.get("results") or [])
    return []


def as_item(raw: Mapping[str, Any]) -> Item:
    """A Platform memory as the service expects it: Mem0's dict with metadata always a dict and the date a day."""
    item = dict(raw)
    item["id"] = str(raw["id"])
    item["memory"] = raw.get("memory") or raw.get("text") or ""
    item["metadata"] = dict(raw.get("metadata") or {})
    item.setdefault("user_id", None)
    item.setdefault("created_at", None)
    day = raw.get("expiration_date")
    item["expiration_date"] = str(day)[:10] if day else None
    return item


def unavailable(host: str, exc: BaseException) -> Unavailable:
    """A Platform failure as a message for the caller: what went wrong and what to check."""
    import httpx
    from mem0.exceptions import AuthenticationError, MemoryError, NetworkError, RateLimitError

    detail = str(getattr(exc, "message", None) or exc)[:300]
    status = None
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
    if isinstance(exc, AuthenticationError) or status in (401, 403):
        return Unavailable(
            f"The Mem0 Platform at {host} refused the API key ({detail}). Check MEM0_API_KEY "
            "(or EXPIRING_MEMORY_MEM0_API_KEY)."
        )
    if isinstance(exc, RateLimitError) or status == 429:
        return Unavailable(f"The Mem0 Platform is limiting requests ({detail}). Try again in a minute.")
    if isinstance(exc, NetworkError | httpx.TransportError):
        return Unavailable(
            f"The Mem0 Platform could not be reached at {host}: {detail}. Check the network and "
            "EXPIRING_MEMORY_MEM0_HOST, then try again."
        )
    if isinstance(exc, MemoryError | httpx.HTTPStatusError):
        code = getattr(exc, "error_code", None) or f"HTTP {status}"
        return Unavailable(
            f"The Mem0 Platform at {host} answered with an error ({code}): {detail}. Nothing was changed here; "
            "try again later, and see the server log if it persists."
        )
    return Unavailable(f"The Mem0 Platform at {host} could not be used: {detail}. See the server log.")


def platform_errors() -> tuple[type[Exception], ...]:
    """What a request to the Platform raises when the Platform (not this code) is the problem. Imported late: mem0
    must not be imported before prepare_environment."""
    import httpx
    from mem0.exceptions import MemoryError

    return MemoryError, httpx.HTTPError
