"""What use taught, in the memory view, in a real headless browser: a memory recalled through MCP shows its recall
count, one forgotten through the page is listed under Forgotten without its text, one that expires and is swept
joins it there (with the "since" filter, and JavaScript off), and Tier advice says what memory://insights says."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client
from playwright.async_api import Browser, Page, expect

from expiring_memory_mcp.memories import MemoryService
from expiring_memory_mcp.web.launch import open_view
from support import FakeClock, call
from view_browser import opened

pytestmark = [pytest.mark.anyio, pytest.mark.slow]  # each test starts Chromium


async def resource(client: Client, uri: str) -> Any:
    (content,) = (await client.read_resource(uri)).contents
    return json.loads(content.text)  # type: ignore[union-attr]


async def tab(page: Page, name: str) -> None:
    await page.get_by_role("navigation", name="Sections").get_by_role("link", name=name).click()
    await expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()


async def test_a_memory_recalled_through_mcp_shows_its_recall_count(
    client: Client, browser: Browser, link: str, clock: FakeClock
) -> None:
    sushi = await call(client, "remember_temporary", content="Booked the sushi place for Friday", memory_type="chat")
    printer = await call(client, "remember_temporary", content="The printer is out of toner", memory_type="chat")
    for _ in range(3):
        (found,) = (await call(client, "recall", query="sushi place Friday", limit=1))["memories"]
        assert found["id"] == sushi["id"]
    clock.advance(hours=5)
    # Recalls are counted in memory and written in batches; the view's read writes this process's pending counts first.
    page = await opened(browser, link)
    await expect(page.locator(f"#memories li[data-id='{sushi['id']}'] .recalls")).to_have_text(
        "recalled 3 times, last 5 hours ago"
    )
    await expect(page.locator(f"#memories li[data-id='{printer['id']}'] .recalls")).to_have_text("never recalled")
    await call(client, "recall", query="sushi place Friday", limit=1)
    await page.reload()
    await expect(page.locator(f"#memories li[data-id='{sushi['id']}'] .recalls")).to_have_text(
        "recalled 4 times, last just now"
    )


async def test_a_memory_forgotten_through_the_page_is_listed_under_forgotten_without_its_text(
    client: Client, browser: Browser, link: str
) -> None:
    gone = await call(client, "remember_permanent", content="Safe combination is 31-7-44 zebra", memory_type="account")
    await call(client, "remember_permanent", content="Likes sunflowers")
    page = await opened(browser, link)
    await page.locator(f"#memories li[data-id='{gone['id']}']").get_by_role("button", name="Forget").click()
    await expect(page.get_by_role("status")).to_contain_text("Forgotten for good")
    await tab(page, "Forgotten")
    entry = page.locator(f"#gone li[data-id='{gone['id']}']")
    await expect(entry.locator(".reason")).to_have_text("forgotten by request")
    await expect(entry.locator(".type")).to_have_text("account")
    await expect(entry).to_contain_text("was permanent")
    await expect(entry.locator("code")).to_have_text(gone["id"][:8])
    await expect(page.locator("#gone > li")).to_have_count(1)
    for word in ("31-7-44", "zebra", "Safe combination"):
        assert word not in await page.content(), word
    ledger = await resource(client, "memory://forgotten")
    assert [(e["id"], e["reason"]) for e in ledger["entries"]] == [(gone["id"], "forgotten")]


async def test_a_memory_that_expires_and_is_swept_joins_the_ledger_without_javascript(
    client: Client, browser: Browser, link: str, clock: FakeClock
) -> None:
    reminder = await call(client, "remember_temporary", content="Parking spot is B12", memory_type="reminder")
    await call(client, "recall", query="parking spot", limit=1)
    page = await opened(browser, link, javascript=False)
    await tab(page, "Forgotten")
    await expect(page.locator("#ledger .summary")).to_contain_text("Nothing was forgotten")
    clock.advance(days=2)  # expired a day ago; the page's own read sweeps it
    await page.reload()
    entry = page.locator(f"#gone li[data-id='{reminder['id']}']")
    await expect(entry.locator(".reason")).to_have_text("expired")
    await expect(entry.locator("time")).to_have_text("1 day ago")
    await expect(entry.locator(".recalls")).to_have_text("recalled once, last 2 days ago")
    assert "B12" not in await page.content()
    clock.advance(days=10)
    await page.get_by_label("Since").select_option("7d")
    await page.get_by_role("button", name="Apply").click()
    await expect(page.locator("#gone > li")).to_have_count(0)
    await page.get_by_label("Since").select_option("all")
    await page.get_by_role("button", name="Apply").click()
    await expect(page.locator(f"#gone li[data-id='{reminder['id']}']")).to_have_count(1)


async def test_tier_advice_says_what_insights_says_and_fits_a_phone(
    client: Client, browser: Browser, link: str, clock: FakeClock, service: MemoryService
) -> None:
    for n in range(10):
        await call(client, "remember_temporary", content=f"Cached price list number {n}", memory_type="cache")
    await call(client, "remember_temporary", content="Comparing flights to Lisbon", memory_type="session")
    clock.advance(days=2)
    await call(client, "expiring_soon")  # a sweep: ten cache memories expired unused
    insights = await resource(client, "memory://insights")
    page = await opened(browser, link)
    await tab(page, "Tier advice")
    for kind in insights["types"]:
        card = page.locator(f"li.insight[data-type='{kind['memory_type']}']")
        await expect(card.locator(".advice")).to_have_text(kind["advice"])
        too_little = kind["tier_days"] is not None and not kind["enough_data"]
        await expect(card.locator(".badge")).to_have_count(1 if too_little else 0)
    await expect(page.locator("li.insight[data-type='cache'] .advice")).to_have_text(
        "cache: 100% expired unused; 1 day is fine."
    )
    await expect(page.locator("li.insight[data-type='session'] .badge")).to_have_text("Too little data")

    phone = await (await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)).new_page()
    await phone.goto(open_view(service)[0])  # a link signs in once: the phone asks for its own
    for name in ("Tier advice", "Forgotten"):
        await tab(phone, name)
        assert await phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
