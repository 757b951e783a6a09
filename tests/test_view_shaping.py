"""What the memory view counts and shows, shaped from the service's data: the buckets' edges, the filters' counts
against the listing the page asks for, the chart's days, pagination, times and use in words; and the embedded store's
two-column count path agreeing with whole memories read through Mem0."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from expiring_memory_mcp.backends.base import Backend
from expiring_memory_mcp.memories import MemoryService
from expiring_memory_mcp.models import Usage
from expiring_memory_mcp.web import learned, views
from support import FakeClock

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("left", "bucket"),
    [
        (timedelta(hours=24), "day"),
        (timedelta(hours=24, seconds=1), "week"),
        (timedelta(days=7), "week"),
        (timedelta(days=7, seconds=1), "month"),
        (timedelta(days=30), "month"),
        (timedelta(days=30, seconds=1), "later"),
        (None, "permanent"),
    ],
)
def test_each_expiry_falls_in_one_bucket_with_its_edge_in_the_nearer_one(left: timedelta | None, bucket: str) -> None:
    assert views.bucket_of(None if left is None else NOW + left, NOW) == bucket


def test_the_chart_has_a_bar_per_local_day_for_four_weeks() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")  # 12:00 UTC is 21:00 in Tokyo: four hours later is the next local day
    expiries = [("cache", NOW + timedelta(hours=4)), ("session", NOW + timedelta(days=7)), ("fact", None)]
    expiries += [("chat", NOW + timedelta(days=29))]  # beyond the chart
    chart = views.chart(expiries, NOW, tokyo)
    assert len(chart.bars) == 28 and [b.count for b in chart.bars if b.count] == [1, 1]
    assert [i for i, b in enumerate(chart.bars) if b.count] == [1, 7]
    assert chart.weeks[0][1] == 1 and chart.weeks[1][1] == 1 and sum(n for _, n in chart.weeks) == 2
    assert chart.bars[0].tick == "today" and chart.bars[7].tick is not None and chart.bars[1].tick is None


def test_pages_are_fifty_long_and_a_page_number_out_of_range_is_brought_back() -> None:
    assert (views.page(0, 1).count, views.page(0, 1).first_index) == (1, 0)
    assert views.page(101, 9).number == 3 and views.page(101, 3).offset == 100
    assert views.page(101, -4).number == 1


def test_times_read_as_people_say_them() -> None:
    assert views.ago(NOW - timedelta(seconds=20), NOW) == "just now"
    assert views.ago(NOW - timedelta(days=3, hours=5), NOW) == "3 days ago"
    assert views.ago(NOW - timedelta(days=400), NOW) == "1 year ago"
    assert views.local(NOW, ZoneInfo("Europe/Berlin")) == "2026-12-07 13:00 CET"


def test_each_filters_count_matches_the_listing_the_page_asks_for(service: MemoryService, clock: FakeClock) -> None:
    for text, kind, days in [
        ("Parking spot is B12", "cache", 0.5),
        ("Dentist on Thursday", "reminder", 1),
        ("Planning a trip to Lisbon", "session", 3),
        ("Reviewing the budget", "session", 7),
        ("Talked through the offer", "chat", 20),
        ("Renew the passport", "reminder", 60),
    ]:
        service.remember(text, kind, None, permanent=False, expires_in_days=days)
    service.remember("Prefers tea over coffee", "preference", None, permanent=True)
    service.remember("Allergic to peanuts", "fact", None, permanent=True)
    expiries = service.expiries()
    now = service.now()
    assert [kind for kind, _ in expiries] == [m.memory_type for m in service.memories()]
    for show, (after, within) in views.SPANS.items():
        for types in ([], ["session"], ["reminder", "fact"]):
            listed = service.listing(types or None, 100, after=after, within=within)
            assert views.count(expiries, now, show, types) == len(listed), (show, types)
            assert all(show in ("", "temporary") or views.bucket_of(m.expires_at, now) == show for m in listed)
    counts = {row.bucket.key: row.count for row in views.timeline(expiries, {}, now)}
    assert counts == {"day": 2, "week": 2, "month": 1, "later": 1, "permanent": 2}
    clock.advance(days=2)
    assert len(service.expiries()) == 6


def test_the_embedded_stores_two_column_path_agrees_with_reading_whole_memories(service: MemoryService) -> None:
    for i in range(5):
        service.remember(f"Note number {i}", "session", None, permanent=False, expires_in_days=i + 1)
    service.remember("Writes in British English", "preference", None, permanent=True)
    service.for_user("bob").remember("Bob's note", "session", None, permanent=False)
    with service._engine.session() as (backend, now):  # the backend itself, as the operations reach it
        query = service._query(now)
        assert backend.expiries(query) == Backend.expiries(backend, query)
        assert len(backend.expiries(query)) == 6


def luminance(colour: str) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(colour[i : i + 2], 16) / 255) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_text_colour_of_the_stylesheet_contrasts_at_least_4_5_to_1_in_light_and_dark() -> None:
    css = (Path(views.__file__).parent / "static" / "view.css").read_text()
    light, dark = (dict(re.findall(r"--([\w-]+): (#[0-9a-f]{6})", block)) for block in css.split("@media")[:2])
    dark = light | dark
    for palette in (light, dark):
        for text in ("text", "muted", "accent", "danger"):
            for ground in ("bg", "card"):
                assert contrast(palette[text], palette[ground]) >= 4.5, (text, ground, palette)
        assert contrast(palette["accent-text"], palette["accent"]) >= 4.5  # a button's label
        assert contrast(palette["ok"], palette["ok-bg"]) >= 4.5  # the notice after an action


def test_use_and_lifetimes_read_as_words() -> None:
    now = NOW
    assert learned.recalls(None, now) == "never recalled"
    assert learned.recalls(Usage(renewed=2), now) == "never recalled; renewed 2 times"
    once = Usage(recall_count=1, last_recalled_at=now - timedelta(hours=3), renewed=1)
    assert learned.recalls(once, now) == "recalled once, last 3 hours ago; renewed once"
    assert [learned.days(d) for d in (None, 1, 7, 0.5, 0.01)] == [
        "permanent",
        "1 day",
        "7 days",
        "0.5 days",
        "under 0.1 days",
    ]
    assert [learned.since_key(k) for k in ("7d", "30d", "all", "", None, "1y")] == [
        "7d",
        "30d",
        "all",
        "all",
        "all",
        "all",
    ]
    assert learned.since_of("7d", now) == now - timedelta(days=7) and learned.since_of("all", now) is None
