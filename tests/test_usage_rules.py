"""The pure rules of retention that learns from use: recall-aware expiry and tier advice, on an injected instant,
exact at each boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from expiring_memory_mcp.advice import MIN_EXPIRED, Life, advise, insights, nice_days
from expiring_memory_mcp.retention import RetentionPolicy, extended_on_recall
from expiring_memory_mcp.settings import Settings

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
MAX_TTL = timedelta(days=3650)


@pytest.fixture
def policy() -> RetentionPolicy:
    return Settings(data_dir="unused").retention()


# -- recall-aware expiry -------------------------------------------------------------------------------------------


def test_a_recalled_memory_due_sooner_than_the_window_lasts_the_window_from_now() -> None:
    assert extended_on_recall(NOW + 2 * DAY, NOW - 28 * DAY, NOW, 14, MAX_TTL) == NOW + 14 * DAY


def test_a_recalled_memory_that_already_lasts_longer_is_never_shortened() -> None:
    """The 'extend on access' bug another server shipped: a 7-day memory cut to 1 day by one recall."""
    assert extended_on_recall(NOW + 7 * DAY, NOW, NOW, 1, MAX_TTL) == NOW + 7 * DAY


def test_an_expiry_exactly_at_the_window_stays_as_it_is() -> None:
    assert extended_on_recall(NOW + 14 * DAY, NOW - DAY, NOW, 14, MAX_TTL) == NOW + 14 * DAY


def test_one_microsecond_short_of_the_window_is_extended_to_it() -> None:
    short = NOW + 14 * DAY - timedelta(microseconds=1)
    assert extended_on_recall(short, NOW - DAY, NOW, 14, MAX_TTL) == NOW + 14 * DAY


def test_the_extension_never_goes_past_the_longest_lifetime_from_creation() -> None:
    created = NOW - 25 * DAY
    cap = timedelta(days=30)
    assert extended_on_recall(NOW + DAY, created, NOW, 14, cap) == created + cap  # 5 days, not 14


def test_at_the_cap_exactly_the_extension_reaches_the_cap_and_no_further() -> None:
    created = NOW - 16 * DAY
    cap = timedelta(days=30)
    assert extended_on_recall(NOW + DAY, created, NOW, 14, cap) == NOW + 14 * DAY == created + cap


def test_a_memory_already_past_the_cap_keeps_its_expiry() -> None:
    """A renewal may have given it more than the cap allows recall to: recall never takes that back."""
    created = NOW - 40 * DAY
    assert extended_on_recall(NOW + DAY, created, NOW, 14, timedelta(days=30)) == NOW + DAY


def test_a_permanent_memory_stays_permanent() -> None:
    assert extended_on_recall(None, NOW - DAY, NOW, 14, MAX_TTL) is None


def test_without_a_creation_time_the_cap_counts_from_now() -> None:
    assert extended_on_recall(NOW + DAY, None, NOW, 14, timedelta(days=10)) == NOW + 10 * DAY


# -- tier advice ---------------------------------------------------------------------------------------------------


def expired(
    kind: str, days: float, *, recalls: int = 0, last_at_day: float | None = None, renewed: int = 0, ago: float = 10
) -> Life:
    """A memory of `kind` that lived `days` and went `ago` days before NOW, last recalled on day `last_at_day`."""
    created = NOW - (ago + days) * DAY
    last = None if last_at_day is None else created + last_at_day * DAY
    return Life(kind, "expired", created, created + days * DAY, recalls, last, renewed)


def test_with_fewer_than_the_minimum_expired_it_says_too_little_data_and_advises_nothing(policy) -> None:
    lives = [expired("chat", 30, recalls=1, last_at_day=29) for _ in range(MIN_EXPIRED - 1)]
    found = advise("chat", lives, policy, NOW - 180 * DAY)
    assert not found.enough_data and found.suggested_days is None
    assert found.advice.startswith("chat: too little data to advise: 9 chat memories expired")
    assert "30 days stays as it is" in found.advice


def test_at_the_minimum_expired_it_advises(policy) -> None:
    lives = [expired("chat", 30) for _ in range(MIN_EXPIRED)]
    assert advise("chat", lives, policy, NOW - 180 * DAY).enough_data


def test_many_late_recalls_and_renewals_say_lengthen_with_the_numbers_and_the_setting(policy) -> None:
    lives = [expired("chat", 30, recalls=2, last_at_day=27) for _ in range(4)]  # late: in the final 6 days
    lives += [expired("chat", 30, recalls=1, last_at_day=5) for _ in range(9)]
    lives += [expired("chat", 30) for _ in range(3)]
    lives += [Life("chat", "live", NOW - DAY, NOW + 29 * DAY, 0, None, 1) for _ in range(2)]  # renewed
    found = advise("chat", lives, policy, NOW - 180 * DAY)
    assert found.recalled_expired == 13 and found.recalled_late == 4 and found.renewed == 2
    assert found.suggested_days == 45
    assert found.advice == (
        "chat: 31% of recalled chat memories were last recalled in their final 6 days, and 2 were renewed; "
        "consider 45 days (EXPIRING_MEMORY_TTL_CHAT_DAYS=45)."
    )


def test_a_late_share_just_under_a_quarter_keeps_the_tier(policy) -> None:
    lives = [expired("chat", 30, recalls=1, last_at_day=25) for _ in range(1)]  # 25 >= 24: late
    lives += [expired("chat", 30, recalls=1, last_at_day=10) for _ in range(4)]
    lives += [expired("chat", 30) for _ in range(5)]
    found = advise("chat", lives, policy, NOW - 180 * DAY)  # 1 of 5 late: 20% < 25%
    assert found.suggested_days is None and found.advice.endswith("30 days fits.")
    lives.append(expired("chat", 30, recalls=1, last_at_day=24))  # exactly at 80% of its life: late; 2 of 6
    assert advise("chat", lives, policy, NOW - 180 * DAY).suggested_days == 45


def test_a_fifth_renewed_is_enough_to_lengthen(policy) -> None:
    lives = [expired("session", 7, renewed=1) for _ in range(2)] + [expired("session", 7) for _ in range(8)]
    assert advise("session", lives, policy, NOW - 180 * DAY).suggested_days == 11  # 7 * 1.5, rounded up


def test_a_short_tier_mostly_unused_is_fine(policy) -> None:
    lives = [expired("cache", 1) for _ in range(15)] + [expired("cache", 1, recalls=1, last_at_day=0.2)]
    found = advise("cache", lives, policy, NOW - 180 * DAY)
    assert found.suggested_days is None
    assert found.advice == "cache: 94% expired unused; 1 day is fine."


def test_a_long_tier_mostly_unused_and_recalled_early_says_shorten_to_what_recalls_need(policy) -> None:
    lives = [expired("session", 7) for _ in range(8)]
    lives += [expired("session", 7, recalls=1, last_at_day=1), expired("session", 7, recalls=3, last_at_day=2)]
    found = advise("session", lives, policy, NOW - 180 * DAY)
    assert found.suggested_days == 3  # nine in ten by day 1.9; 1.5 times that, rounded up
    assert found.advice == (
        "session: 80% expired unused, and nine in ten recalled ones had their last recall by day 1.9; "
        "consider 3 days (EXPIRING_MEMORY_TTL_SESSION_DAYS=3)."
    )


def test_a_long_tier_never_recalled_says_halve_it(policy) -> None:
    found = advise("chat", [expired("chat", 30) for _ in range(12)], policy, NOW - 180 * DAY)
    assert found.suggested_days == 15
    assert "100% expired unused and none was ever recalled; consider 15 days" in found.advice


def test_just_under_four_in_five_unused_keeps_the_tier(policy) -> None:
    lives = [expired("session", 7) for _ in range(7)] + [expired("session", 7, recalls=1, last_at_day=1)] * 3
    assert advise("session", lives, policy, NOW - 180 * DAY).suggested_days is None  # 70%


def test_a_type_without_a_tier_of_its_own_names_the_default_setting(policy) -> None:
    found = advise("notes", [expired("notes", 7) for _ in range(10)], policy, NOW - 180 * DAY)
    assert "EXPIRING_MEMORY_TTL_DEFAULT_DAYS=4" in found.advice and "every type without a tier" in found.advice


def test_lengthening_never_suggests_more_than_the_longest_lifetime() -> None:
    policy = Settings(data_dir="unused", ttl_chat_days=30, max_ttl_days=40).retention()
    lives = [expired("chat", 30, recalls=1, last_at_day=29) for _ in range(10)]
    assert advise("chat", lives, policy, NOW - 180 * DAY).suggested_days == 40


def test_permanent_types_have_nothing_to_tune(policy) -> None:
    found = advise("preference", [Life("preference", "forgotten", NOW - DAY, None)], policy, NOW - 180 * DAY)
    assert found.tier_days is None and found.forgotten == 1 and "nothing to tune" in found.advice


def test_the_figures_count_each_outcome_and_the_median_age_at_last_recall(policy) -> None:
    lives = [
        Life("chat", "live", NOW - 2 * DAY, None, 1, NOW - DAY, 1),  # made permanent, renewed
        Life("chat", "live", NOW - 300 * DAY, NOW + DAY, 0, None, 0),  # created before the window
        Life("chat", "forgotten", NOW - 3 * DAY, NOW + 27 * DAY, 2, NOW - 2 * DAY, 0),
        Life("chat", "forgotten", NOW - 400 * DAY, None, 0, None, 1),  # made permanent, renewed, then forgotten
        expired("chat", 30, recalls=1, last_at_day=4),
    ]
    found = advise("chat", lives, policy, NOW - 180 * DAY)
    assert (found.live, found.created, found.forgotten, found.expired) == (2, 3, 2, 1)
    assert (found.made_permanent, found.renewed, found.expired_unused, found.recalled_expired) == (2, 2, 0, 1)
    assert found.median_age_at_last_recall_days == 1  # ages 1, 1 and 4 days


def test_insights_list_every_known_type_then_others_seen() -> None:
    found = insights([expired("notes", 7)], Settings(data_dir="unused").retention(), NOW, 180)
    names = [t.memory_type for t in found.types]
    assert names[:4] == ["preference", "account", "fact", "milestone"] and names[-1] == "notes"
    assert found.since == NOW - 180 * DAY


@pytest.mark.parametrize(("days", "nice"), [(0.2, 1), (1, 1), (1.01, 2), (10.5, 11), (45, 45)])
def test_suggested_lifetimes_are_whole_days_of_at_least_one(days: float, nice: float) -> None:
    assert nice_days(days) == nice
