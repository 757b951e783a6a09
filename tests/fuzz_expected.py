"""What the server must make of a fuzzed argument: the text, type and metadata it keeps or refuses, and the expiry
instant a temporary memory must get (drawn as an instant and written out, so the expected one is known)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from expiring_memory_mcp.rules import RESERVED_KEYS
from fuzz_inputs import ABSENT, DEFAULT_TTL, MAX_TTL, TIERS, TYPE_PATTERN, plain_text, text, wrong_type


def clean_text(value: Any, limit: int) -> str | None:
    """The text the server would keep, or None if it must refuse it."""
    if not isinstance(value, str):
        return None
    stripped = value.strip()
    return stripped if stripped and len(stripped) <= limit and plain_text(stripped) else None


def valid_type(value: Any) -> str | None:
    return value.strip().lower() if isinstance(value, str) and TYPE_PATTERN.match(value.strip().lower()) else None


def valid_metadata(value: Any) -> bool:
    if value is None:
        return True
    if not isinstance(value, dict) or len(value) > 32:
        return False
    for key, item in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 64 or not plain_text(key) or key in RESERVED_KEYS:
            return False
        if isinstance(item, float) and not math.isfinite(item):
            return False
        if isinstance(item, str) and (not plain_text(item) or len(item) > 2000):
            return False
        if item is not None and not isinstance(item, bool | int | float | str):
            return False
        if isinstance(item, int) and not isinstance(item, bool) and abs(item) > 2**63 - 1:
            return False
    return True


def plain_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# -- expiry: drawn as an instant and written out, so the expected instant is known without parsing -----------


@dataclass(frozen=True)
class Expiry:
    text: Any
    instant: datetime | None  # None: not a valid time (or not a string)


def written(moment: datetime, form: str, tz: timezone, spec: str, pad: str) -> Expiry:
    """A local wall-clock time written out in one ISO 8601 form, with the UTC instant it stands for."""
    keep = {"minutes": 60_000_000, "seconds": 1_000_000, "milliseconds": 1000, "microseconds": 1}[spec]
    cut = moment - timedelta(microseconds=(moment.second * 1_000_000 + moment.microsecond) % keep)
    if form == "date":  # through the end of that day, in the server's timezone (UTC here)
        return Expiry(pad + moment.date().isoformat() + pad, datetime.combine(moment.date(), time.max, UTC))
    if form == "Z":
        return Expiry(cut.isoformat(timespec=spec) + "Z", cut.replace(tzinfo=UTC))
    if form != "offset":  # naive: read in the server's timezone (UTC here)
        return Expiry(cut.isoformat(sep=form, timespec=spec), cut.replace(tzinfo=UTC))
    local = cut.replace(tzinfo=tz)
    try:
        instant: datetime | None = local.astimezone(UTC)
    except OverflowError:  # in UTC it would fall before year 1 or after 9999
        instant = None
    return Expiry(pad + local.isoformat(timespec=spec) + pad, instant)


def expiry_strategy(now: datetime, valid: bool = False) -> st.SearchStrategy[Expiry]:
    """An expiry time in every form; with valid=True only instants inside the allowed window."""
    near = st.floats(-3, MAX_TTL + 3).map(lambda days: (now + timedelta(days=days)).replace(tzinfo=None))
    far = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999))
    local = (
        st.floats(1.01, MAX_TTL - 2).map(lambda d: (now + timedelta(days=d)).replace(tzinfo=None))
        if valid
        else (st.one_of(near, far))
    )
    instants = st.builds(
        written,
        local,
        st.sampled_from(["offset", "T", " ", "Z", "date"]),
        st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m))),
        st.sampled_from(["minutes", "seconds", "milliseconds", "microseconds"]),
        st.sampled_from(["", " "]),
    )
    if valid:
        return instants
    garbage = st.one_of(
        text,
        st.sampled_from(
            ["tomorrow", "2026-13-01", "2026-02-30", "24:00", "2026-12-24T25:00", "+infinity", "0000-01-01", ""]
        ),
    )
    return st.one_of(instants, garbage.map(lambda t: Expiry(t, None)), wrong_type.map(lambda v: Expiry(v, None)))


def expected_expiry(now: datetime, kind: str, days: Any, at: Any) -> datetime | None | str:
    """The instant a temporary memory must get, or "fail" if the request must be refused, or "unknown"."""
    if days is not ABSENT and days is not None and at is not ABSENT and at.text is not None:
        return "fail"
    if at is not ABSENT and at.text is not None:
        if not isinstance(at.text, str):
            return "fail"
        moment = at.instant
        return moment if moment is not None and now < moment and moment - now <= timedelta(days=MAX_TTL) else "fail"
    if days is not ABSENT and days is not None:
        if not plain_number(days):
            return "unknown"
        if not math.isfinite(days) or days <= 0 or days > MAX_TTL:
            return "fail"
        moment = now + timedelta(days=days)
        return moment if moment > now else "fail"
    return now + timedelta(days=TIERS.get(kind, DEFAULT_TTL))
