"""Retention policy: when a memory expires, whether it has, and how to say so. Pure; the clock is injected."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol

from . import credentials
from .errors import InvalidRequest


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class RetentionPolicy:
    """How long temporary memories live: a TTL per type, a default for other types, and an upper bound."""

    tiers: Mapping[str, timedelta]
    default_ttl: timedelta
    max_ttl: timedelta
    timezone: tzinfo = field(default=UTC)

    def ttl_for(self, memory_type: str) -> timedelta:
        return self.tiers.get(memory_type, self.default_ttl)

    def expiry(
        self,
        now: datetime,
        memory_type: str,
        expires_in_days: float | None = None,
        expires_at: str | None = None,
    ) -> datetime:
        """The UTC instant a new temporary memory expires: explicit days, an explicit time, or the type's tier."""
        if expires_in_days is not None and expires_at is not None:
            raise InvalidRequest("Give either expires_in_days or expires_at, not both.")
        if expires_at is not None:
            return self.check_window(now, self.parse_expires_at(expires_at))
        if expires_in_days is not None:
            return self.check_window(now, now + self.days(expires_in_days))
        return (now + self.ttl_for(memory_type)).astimezone(UTC)

    def days(self, expires_in_days: float) -> timedelta:
        if not math.isfinite(expires_in_days) or expires_in_days <= 0:
            raise InvalidRequest("expires_in_days must be a positive number of days, for example 0.5 for 12 hours.")
        if expires_in_days > self.max_ttl / timedelta(days=1):
            raise InvalidRequest(
                f"expires_in_days may be at most {self.max_ttl.days}; use remember_permanent for lasting memories."
            )
        return timedelta(days=expires_in_days)

    def parse_expires_at(self, text: str) -> datetime:
        """ISO 8601 to a UTC instant. A naive time is read in the policy's timezone; a date alone lasts through that day."""
        text = text.strip()
        try:
            if "T" not in text and " " not in text:
                day = date.fromisoformat(text)
                moment = datetime.combine(day, time.max, tzinfo=self.timezone)
            else:
                moment = datetime.fromisoformat(text)
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=self.timezone)
            return moment.astimezone(UTC)
        except (ValueError, OverflowError):
            raise InvalidRequest(
                f"expires_at {credentials.redacted(text, 40)!r} is not an ISO 8601 date or time; "
                "use for example '2026-12-24' or '2026-12-24T18:00:00+01:00'."
            ) from None

    def check_window(self, now: datetime, moment: datetime) -> datetime:
        if moment <= now:
            raise InvalidRequest(
                f"expires_at {iso(moment)} is not in the future (now is {iso(now)}); give a later time."
            )
        if moment - now > self.max_ttl:
            raise InvalidRequest(
                f"expires_at may be at most {self.max_ttl.days} days ahead; use remember_permanent for lasting memories."
            )
        return moment


def is_expired(expires_at: datetime | None, now: datetime) -> bool:
    """A memory is live until its expiry instant; a permanent one (None) never expires."""
    return expires_at is not None and expires_at <= now


def later(a: datetime | None, b: datetime | None) -> datetime | None:
    """The expiry that keeps a memory longer; None (permanent) beats any instant."""
    if a is None or b is None:
        return None
    return max(a, b)


def extended_on_recall(
    expires_at: datetime | None, created_at: datetime | None, now: datetime, days: float, max_ttl: timedelta
) -> datetime | None:
    """Recall-aware expiry: a temporary memory recalled at `now` lasts at least `days` from now, but never less than
    it already does, and never past `max_ttl` from its creation (or from now, if that is unknown). Permanent stays."""
    if expires_at is None:
        return None
    cap = (created_at or now) + max_ttl
    return max(expires_at, min(now + timedelta(days=days), cap))


def iso(moment: datetime) -> str:
    """A UTC instant as ISO 8601 with a Z, to the microsecond, fixed width so text order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def mem0_date(expires_at: datetime | None) -> str | None:
    """Mem0's inclusive expiration_date: the UTC date of the instant, so Mem0 never hides a memory before we do."""
    return None if expires_at is None else expires_at.astimezone(UTC).date().isoformat()


_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60))


def expires_in(expires_at: datetime | None, now: datetime) -> str | None:
    """Human text such as 'in 2 days' or 'in 5 hours'; None for a permanent memory."""
    if expires_at is None:
        return None
    seconds = (expires_at - now).total_seconds()
    if seconds <= 0:
        return "expired"
    for name, size in _UNITS:
        if seconds >= size:
            count = int(seconds // size)
            text = f"in {count} {name}{'s' if count != 1 else ''}"
            if name == "day" and count < 3 and (hours := int(seconds % size // 3600)):
                text += f" {hours} hour{'s' if hours != 1 else ''}"
            return text
    return "in less than a minute"
