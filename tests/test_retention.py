"""The retention policy on its own: pure functions and an injected instant, exact at the boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from expiring_memory_mcp.errors import InvalidRequest
from expiring_memory_mcp.retention import RetentionPolicy, expires_in, is_expired, iso, later, mem0_date
from expiring_memory_mcp.settings import Settings

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def policy() -> RetentionPolicy:
    return Settings(data_dir="unused").retention()


@pytest.mark.parametrize(
    ("memory_type", "days"), [("session", 7), ("chat", 30), ("reminder", 1), ("cache", 1), ("browsing", 7)]
)
def test_each_type_gets_its_tier_and_other_types_the_default(
    policy: RetentionPolicy, memory_type: str, days: int
) -> None:
    assert policy.expiry(NOW, memory_type) == NOW + timedelta(days=days)


def test_tiers_come_from_settings() -> None:
    policy = Settings(data_dir="unused", ttl_session_days=2, ttl_default_days=0.25).retention()
    assert policy.expiry(NOW, "session") == NOW + timedelta(days=2)
    assert policy.expiry(NOW, "other") == NOW + timedelta(hours=6)


def test_fractional_days_are_exact(policy: RetentionPolicy) -> None:
    assert policy.expiry(NOW, "session", expires_in_days=0.5) == NOW + timedelta(hours=12)


def test_explicit_offset_time_is_kept_as_the_same_instant(policy: RetentionPolicy) -> None:
    assert policy.expiry(NOW, "session", expires_at="2026-03-11T18:30:00+01:00") == datetime(
        2026, 3, 11, 17, 30, tzinfo=UTC
    )


def test_naive_time_is_read_in_the_configured_timezone() -> None:
    policy = Settings(data_dir="unused", timezone="America/New_York").retention()
    got = policy.expiry(NOW, "session", expires_at="2026-03-11T09:00:00")
    assert got == datetime(2026, 3, 11, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    assert got == datetime(2026, 3, 11, 13, 0, tzinfo=UTC)


def test_a_date_alone_lasts_through_the_end_of_that_day(policy: RetentionPolicy) -> None:
    got = policy.expiry(NOW, "reminder", expires_at="2026-03-12")
    assert got == datetime(2026, 3, 12, 23, 59, 59, 999999, tzinfo=UTC)
    assert mem0_date(got) == "2026-03-12"  # matches Mem0's inclusive date
    assert not is_expired(got, datetime(2026, 3, 12, 23, 59, 59, 999998, tzinfo=UTC))
    assert is_expired(got, datetime(2026, 3, 13, tzinfo=UTC))


def test_a_date_alone_ends_at_midnight_in_the_configured_timezone() -> None:
    policy = Settings(data_dir="unused", timezone="Asia/Tokyo").retention()
    got = policy.expiry(NOW, "reminder", expires_at="2026-03-12")
    assert got == datetime(2026, 3, 12, 14, 59, 59, 999999, tzinfo=UTC)


def test_a_memory_is_expired_exactly_at_its_instant_and_not_a_microsecond_before() -> None:
    expiry = NOW + timedelta(days=7)
    assert not is_expired(expiry, expiry - timedelta(microseconds=1))
    assert is_expired(expiry, expiry)
    assert not is_expired(None, NOW + timedelta(days=100_000))


def test_mem0_date_is_the_utc_date_so_mem0_never_hides_a_memory_before_we_do() -> None:
    late_evening_in_berlin = datetime(2026, 3, 10, 23, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    assert mem0_date(late_evening_in_berlin) == "2026-03-10"
    assert mem0_date(datetime(2026, 3, 10, 23, 30, tzinfo=UTC)) == "2026-03-10"
    assert mem0_date(None) is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"expires_in_days": 1, "expires_at": "2026-04-01"}, "not both"),
        ({"expires_in_days": 0}, "positive"),
        ({"expires_in_days": -1}, "positive"),
        ({"expires_in_days": float("nan")}, "positive"),
        ({"expires_in_days": float("inf")}, "positive"),
        ({"expires_in_days": 3651}, "at most 3650"),
        ({"expires_at": "2026-03-10T11:59:59Z"}, "not in the future"),
        ({"expires_at": "2026-03-10T12:00:00Z"}, "not in the future"),
        ({"expires_at": "2020-01-01"}, "not in the future"),
        ({"expires_at": "next tuesday"}, "not an ISO 8601"),
        ({"expires_at": "2026-13-40"}, "not an ISO 8601"),
        ({"expires_at": "9999-12-31T23:59:59-12:00"}, "not an ISO 8601"),
        ({"expires_at": "2046-03-10"}, "at most 3650 days"),
    ],
)
def test_bad_expiries_are_refused_with_a_clear_message(policy: RetentionPolicy, kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        policy.expiry(NOW, "session", **kwargs)


def test_later_expiry_wins_and_permanent_beats_any_expiry() -> None:
    a, b = NOW, NOW + timedelta(days=1)
    assert later(a, b) == b
    assert later(b, a) == b
    assert later(None, b) is None
    assert later(a, None) is None


def test_iso_is_fixed_width_utc_with_z() -> None:
    assert iso(datetime(2026, 3, 10, 13, 0, tzinfo=ZoneInfo("Europe/Berlin"))) == "2026-03-10T12:00:00.000000Z"


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(days=2), "in 2 days"),
        (timedelta(days=1, hours=5, minutes=3), "in 1 day 5 hours"),
        (timedelta(days=30), "in 30 days"),
        (timedelta(hours=1), "in 1 hour"),
        (timedelta(minutes=5, seconds=30), "in 5 minutes"),
        (timedelta(seconds=20), "in less than a minute"),
        (timedelta(0), "expired"),
    ],
)
def test_expires_in_reads_as_words(delta: timedelta, text: str) -> None:
    assert expires_in(NOW + delta, NOW) == text
    assert expires_in(None, NOW) is None
