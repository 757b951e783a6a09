"""What use taught, in the memory view, with raw requests (Starlette's TestClient on the real view of a real service):
each listed memory's recall count, the Forgotten page (the ledger: types, dates, reasons and counts, never text) with
its "since" filter, and the Tier advice page saying what insights() says, too little data included."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from expiring_memory_mcp.memories import MemoryService
from expiring_memory_mcp.models import LedgerEntry
from expiring_memory_mcp.settings import Settings
from expiring_memory_mcp.web import learned, views
from expiring_memory_mcp.web.launch import prepare
from support import FakeClock, make_service, signed_in_view

BASE = "http://127.0.0.1:8766"
ALICE, BOB = "alice-token-" + "a" * 32, "bob-token-" + "b" * 32


@pytest.fixture
def http(service: MemoryService) -> Iterator[TestClient]:
    with signed_in_view(service) as client:
        yield client


def items(page: str, list_id: str) -> dict[str, str]:
    """The list's entries by data-id: each one's markup."""
    found = re.search(rf'<ol class="[^"]*" id="{list_id}">(.*?)</ol>', page, re.DOTALL)
    assert found is not None, list_id
    return dict(re.findall(r'<li class="[^"]*"[^>]*? data-id="([^"]+)"[^>]*>(.*?)</li>', found.group(1), re.DOTALL))


def recalls_of(entry: str) -> str:
    found = re.search(r'<span class="recalls">([^<]*)</span>', entry)
    assert found is not None, entry
    return html.unescape(found.group(1))


def test_each_listed_memory_shows_how_often_the_assistant_recalled_it_and_a_search_in_the_view_is_not_counted(
    http: TestClient, service: MemoryService, clock: FakeClock
) -> None:
    sushi = service.remember("Booked the sushi place for Friday", "chat", None, permanent=False)
    printer = service.remember("The printer on floor three is out of toner", "chat", None, permanent=False)
    for _ in range(3):
        service.recall("sushi place Friday", None, 1)
    service.renew(sushi.id, None, None, False)
    clock.advance(days=2)
    listed = items(http.get("/").text, "memories")
    assert recalls_of(listed[sushi.id]) == "recalled 3 times, last 2 days ago; renewed once"
    assert recalls_of(listed[printer.id]) == "never recalled"
    csrf = re.findall(r'name="csrf" value="([^"]+)"', http.get("/").text)[0]
    found = items(http.post("/search", data={"csrf": csrf, "q": "sushi place"}).text, "results")
    assert recalls_of(found[sushi.id]) == "recalled 3 times, last 2 days ago; renewed once"  # a search is no use
    assert recalls_of(items(http.get("/").text, "memories")[sushi.id]).startswith("recalled 3 times")
    assert service.usage([sushi.id])[sushi.id].recall_count == 3


def test_with_tokens_a_user_sees_only_their_own_counts(settings: Settings, clock: FakeClock, embedder: Any) -> None:
    service = make_service(settings.model_copy(update={"http_tokens": {ALICE: "alice", BOB: "bob"}}), clock, embedder)
    try:
        mine = service.for_user("alice").remember("Prefers tea over coffee", "preference", None, permanent=True)
        bobs = service.for_user("bob").remember("Prefers tea with lemon", "preference", None, permanent=True)
        for _ in range(5):
            service.for_user("bob").recall("tea", None, 5)
        prepared = prepare(service, "0.0.0.0", 8766)
        with TestClient(prepared.app, base_url=BASE) as alice:
            alice.get(f"/?token={ALICE}")
            page = alice.get("/").text
        assert recalls_of(items(page, "memories")[mine.id]) == "never recalled"
        assert bobs.id not in page and "5 times" not in page
    finally:
        service.close()


@pytest.mark.parametrize("settings_overrides", [{"count_recalls": False}])
def test_with_counting_off_the_page_says_so_instead_of_never_recalled(http: TestClient, service: MemoryService) -> None:
    memory = service.remember("Booked the sushi place for Friday", "chat", None, permanent=False)
    service.recall("sushi", None, 1)
    page = http.get("/").text
    assert "Recall counting is off (EXPIRING_MEMORY_COUNT_RECALLS=false)" in page
    assert '<span class="recalls">' not in items(page, "memories")[memory.id]


def test_the_forgotten_page_lists_what_went_and_why_without_any_text(
    http: TestClient, service: MemoryService, clock: FakeClock
) -> None:
    asked = service.remember("Safe combination is 31-7-44 zebra", "account", None, permanent=True)
    cached = service.remember("Gate code quokka 9981", "cache", None, permanent=False)
    service.recall("gate code quokka", None, 1)
    csrf = re.findall(r'name="csrf" value="([^"]+)"', http.get("/").text)[0]
    done = http.post(f"/memories/{asked.id}/forget", data={"csrf": csrf, "confirmed": "yes"})
    assert done.status_code == 200
    clock.advance(days=2)  # the cache memory expires; the page's own read sweeps it
    page = http.get("/forgotten").text
    gone, zone = items(page, "gone"), ZoneInfo(service.settings.timezone)
    assert list(gone) == [cached.id, asked.id]  # newest first
    assert 'data-reason="expired"' in re.search(rf'data-id="{cached.id}"[^>]*>', page).group(0)  # type: ignore[union-attr]
    assert "forgotten by request" in gone[asked.id] and "account" in gone[asked.id]
    assert "was permanent" in gone[asked.id] and "expired</span>\n        <time" in gone[cached.id]
    assert f'title="{views.local(cached.expires_at, zone)}">1 day ago</time>' in gone[cached.id]  # when it expired
    assert f"deleted {views.local(clock.now(), zone)}" in gone[cached.id]  # when the sweep took it
    assert recalls_of(gone[cached.id]) == "recalled once, last 2 days ago"
    assert f">{asked.id[:8]}</code>" in gone[asked.id]
    assert "2 of\n    2 since" in page and "1 expired,\n    1 forgotten by request" in page
    for word in ("31-7-44", "zebra", "quokka", "9981"):
        assert word not in page


def test_the_since_filter_shows_only_what_went_within_it(
    http: TestClient, service: MemoryService, clock: FakeClock
) -> None:
    old = service.remember("Likes sunflowers", "preference", None, permanent=True)
    service.forget(old.id)
    clock.advance(days=10)
    recent = service.remember("Likes tulips", "preference", None, permanent=True)
    service.forget(recent.id)
    assert list(items(http.get("/forgotten?since=7d").text, "gone")) == [recent.id]
    assert list(items(http.get("/forgotten?since=30d").text, "gone")) == [recent.id, old.id]
    assert list(items(http.get("/forgotten").text, "gone")) == [recent.id, old.id]
    assert list(items(http.get("/forgotten?since=nonsense").text, "gone")) == [recent.id, old.id]  # read as all
    assert '<option value="7d" selected>' in http.get("/forgotten?since=7d").text


def test_the_ledger_is_shown_fifty_a_page_newest_first() -> None:
    start = FakeClock().now()
    entries = [
        LedgerEntry(
            id=f"{n:08d}-0000-4000-8000-000000000000",
            memory_type="cache",
            reason="expired" if n % 3 else "forgotten",
            created_at=start,
            expires_at=start,
            purged_at=start + timedelta(minutes=n),
            recall_count=0,
            last_recalled_at=None,
            renewed=0,
        )
        for n in range(120)
    ]
    first, last = learned.ledger_page(entries, 1), learned.ledger_page(entries, 99)
    assert (first.count, first.total, len(first.entries), first.entries[0].id[:8]) == (3, 120, 50, "00000119")
    assert (last.number, len(last.entries), last.first_index, last.entries[-1].id[:8]) == (3, 20, 101, "00000000")
    assert first.reasons == {"expired": 80, "forgotten": 40}
    assert learned.ledger_page([], 1).count == 1


def test_the_advice_page_says_what_insights_says_too_little_data_included(
    http: TestClient, service: MemoryService, clock: FakeClock
) -> None:
    for n in range(10):
        service.remember(f"Cached price list number {n}", "cache", None, permanent=False)
    clock.advance(days=2)
    service.sweep()
    page = http.get("/advice").text
    insights = service.insights()
    shown = dict(
        re.findall(r'<li class="insight" data-type="([^"]+)".*?<p class="advice">([^<]*)</p>', page, re.DOTALL)
    )
    shown = {kind: html.unescape(advice) for kind, advice in shown.items()}
    assert shown == {t.memory_type: t.advice for t in insights.types}
    assert shown["cache"] == "cache: 100% expired unused; 1 day is fine."
    too_little = [t.memory_type for t in insights.types if t.tier_days is not None and not t.enough_data]
    assert "session" in too_little
    for kind in too_little:
        card = re.search(rf'data-type="{kind}".*?</li>', page, re.DOTALL)
        assert card is not None and "Too little data" in card.group(0), kind
    cache = re.search(r'data-type="cache".*?</li>', page, re.DOTALL)
    assert cache is not None and "Too little data" not in cache.group(0)


def test_the_forgotten_and_advice_pages_need_a_sign_in(service: MemoryService) -> None:
    memory = service.remember("Likes sunflowers", "preference", None, permanent=True)
    service.forget(memory.id)
    prepared = prepare(service, "127.0.0.1", 8766)
    with TestClient(prepared.app, base_url=BASE) as stranger:
        for path in ("/forgotten", "/advice"):
            answer = stranger.get(path)
            assert answer.status_code == 401 and "Sign in" in answer.text, path
            assert memory.id not in answer.text and "preference" not in answer.text, path
