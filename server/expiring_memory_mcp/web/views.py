"""What the page shows, shaped from the memories and the time: the timeline's buckets, the chart over the coming
weeks, the filters, a page of the list, and times in words. Pure: no I/O, no Starlette."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from .. import credentials
from ..errors import InvalidRequest
from ..models import MemoryRecord

PAGE_SIZE = 50
CHART_DAYS = 28  # the chart's span: the coming four weeks, one bar a day
PREVIEW = 5  # memories shown in each timeline bucket; the rest are one link away


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    hint: str
    until: timedelta | None  # expires before now + until; None: after the last window, or never (permanent)


BUCKETS: tuple[Bucket, ...] = (
    Bucket("day", "Next 24 hours", "expire within a day", timedelta(hours=24)),
    Bucket("week", "Next 7 days", "expire in 1 to 7 days", timedelta(days=7)),
    Bucket("month", "Next 30 days", "expire in 7 to 30 days", timedelta(days=30)),
    Bucket("later", "Later", "expire after 30 days", None),
    Bucket("permanent", "Permanent", "never expire", None),
)
# The list's filter: everything, by lifetime, or one timeline bucket.
SHOW = {"": "All memories", "temporary": "Temporary only", "permanent": "Permanent only"} | {
    b.key: f"{b.label} ({b.hint})" for b in BUCKETS if b.key != "permanent"
}


Expiry = tuple[str, datetime | None]  # a memory's type and expiry (None: permanent), as the service counts them
# Longer than any temporary memory lasts (EXPIRING_MEMORY_MAX_TTL_DAYS is at most 36500): "after" it, only permanent.
FOREVER = timedelta(days=36501)
# What the list shows for each choice, as the service's listing asks it: (lasting more than, expiring within).
SPANS: dict[str, tuple[timedelta | None, timedelta | None]] = {
    "": (None, None),
    "temporary": (None, FOREVER),
    "permanent": (FOREVER, None),
    "day": (None, timedelta(hours=24)),
    "week": (timedelta(hours=24), timedelta(days=7)),
    "month": (timedelta(days=7), timedelta(days=30)),
    "later": (timedelta(days=30), FOREVER),
}


def bucket_of(expires_at: datetime | None, now: datetime) -> str:
    if expires_at is None:
        return "permanent"
    left = expires_at - now
    for bucket in BUCKETS:
        if bucket.until is not None and left <= bucket.until:
            return bucket.key
    return "later"


@dataclass(frozen=True)
class TimelineRow:
    bucket: Bucket
    count: int
    first: list[MemoryRecord]


def timeline(expiries: Sequence[Expiry], previews: dict[str, list[MemoryRecord]], now: datetime) -> list[TimelineRow]:
    """Every bucket with how many memories it holds and the first few of them."""
    counts = Counter(bucket_of(expiry, now) for _, expiry in expiries)
    return [TimelineRow(b, counts[b.key], previews.get(b.key, [])) for b in BUCKETS]


def count(expiries: Sequence[Expiry], now: datetime, show: str, types: Sequence[str]) -> int:
    """How many memories the list shows: of these types (all if none), and this lifetime or bucket ('' for all)."""
    wanted = {t.strip().lower() for t in types if t.strip()}
    chosen = [expiry for kind, expiry in expiries if not wanted or kind in wanted]
    if show == "temporary":
        return sum(expiry is not None for expiry in chosen)
    if show in {b.key for b in BUCKETS}:
        return sum(bucket_of(expiry, now) == show for expiry in chosen)
    return len(chosen)


def shown(memories: Sequence[MemoryRecord], now: datetime, show: str) -> list[MemoryRecord]:
    """The memories of this lifetime or bucket ('' for all): the search results under the list's filter."""
    if show == "temporary":
        return [m for m in memories if m.expires_at is not None]
    if show in {b.key for b in BUCKETS}:
        return [m for m in memories if bucket_of(m.expires_at, now) == show]
    return list(memories)


@dataclass(frozen=True)
class Page:
    number: int
    count: int  # pages in all, at least 1
    total: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * PAGE_SIZE

    @property
    def first_index(self) -> int:
        return self.offset + 1 if self.total else 0


def page(total: int, number: int) -> Page:
    pages = max(1, math.ceil(total / PAGE_SIZE))
    return Page(min(max(1, number), pages), pages, total)


# -- what the request asks ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    show: str
    types: list[str]
    page: int

    @classmethod
    def read(cls, params: Any) -> Filters:
        show = str(params.get("show", ""))
        types = [str(t) for t in params.getlist("type") if str(t).strip()]
        try:
            number = int(str(params.get("page", "1")))
        except ValueError:
            number = 1
        return cls(show if show in SHOW else "", types, number)

    def query(self, **change: Any) -> dict[str, Any]:
        """These filters as query parameters (never memory text), with some changed: for links and redirects."""
        values = {"show": self.show, "type": self.types[0] if self.types else "", "page": self.page} | change
        return {k: v for k, v in values.items() if v not in ("", None, 1)}


def parse_days(text: str) -> float | None:
    """The chosen number of days, or None for the type's own lifetime."""
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidRequest(
            f"{credentials.redacted(text, 20)!r} is not a number of days; give for example 7 or 0.5."
        ) from None


# -- the chart -------------------------------------------------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT, CHART_TOP, CHART_BOTTOM = 700, 180, 14, 28


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    label: str  # the day, as people write it
    tick: str | None  # the label under the bar, on the first day of each week


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    peak: int
    weeks: list[tuple[str, int]]  # (first day of the week, memories expiring that week): the text alternative
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    baseline: int = CHART_HEIGHT - CHART_BOTTOM


def chart(expiries: Sequence[Expiry], now: datetime, zone: tzinfo) -> Chart:
    """One bar per day for the coming four weeks: how many temporary memories expire that (local) day."""
    today = now.astimezone(zone).date()
    counts = [0] * CHART_DAYS
    for _, expiry in expiries:
        if expiry is not None:
            offset = (expiry.astimezone(zone).date() - today).days
            if 0 <= offset < CHART_DAYS:
                counts[offset] += 1
    peak = max(counts, default=0)
    slot = CHART_WIDTH / CHART_DAYS
    room = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    bars = []
    for offset, count in enumerate(counts):
        day = today + timedelta(days=offset)
        height = room * count / peak if peak else 0
        height = max(height, 2.0) if count else 0.0
        bars.append(
            Bar(
                x=round(offset * slot + 2, 1),
                y=round(CHART_HEIGHT - CHART_BOTTOM - height, 1),
                width=round(slot - 4, 1),
                height=round(height, 1),
                count=count,
                label=day.strftime("%a %d %b"),
                tick=("today" if offset == 0 else day.strftime("%d %b")) if offset % 7 == 0 else None,
            )
        )
    weeks = [
        ((today + timedelta(days=w * 7)).strftime("%d %b"), sum(counts[w * 7 : w * 7 + 7]))
        for w in range(CHART_DAYS // 7)
    ]
    return Chart(bars, peak, weeks)


# -- times and text in words -----------------------------------------------------------------------------------------


def ago(moment: datetime | None, now: datetime) -> str:
    """How long ago, in the largest whole unit: 'just now', '5 minutes ago', '3 days ago', '2 years ago'."""
    if moment is None:
        return "at an unknown time"
    seconds = (now - moment).total_seconds()
    for name, size in (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {name}{'s' if count != 1 else ''} ago"
    return "just now"


def local(moment: datetime | None, zone: tzinfo) -> str:
    """An instant in the configured timezone, to the minute: '2026-12-09 14:05 CET'."""
    return "" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def snippet(text: str, size: int = 60) -> str:
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"
