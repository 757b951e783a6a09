"""The memory view in a real headless browser (Debian's `chromium`, driven by Playwright), used as a person would:
memories remembered through MCP show in their timeline buckets, search shows what recall finds, renew moves an
expiry, forget removes a memory from the page and from recall, time passing takes an expired memory off the page,
reading and acting work without JavaScript, and the doors hold against a missing or wrong token, a rebound host name
and a cross-origin form."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from mcp import Client
from playwright.async_api import Browser, Page, expect

from support import FakeClock, call
from view_browser import opened

pytestmark = [pytest.mark.anyio, pytest.mark.slow]  # each test starts Chromium


def item(page: Page, memory_id: str, within: str = "#memories") -> object:
    return page.locator(f"{within} li[data-id='{memory_id}']")


async def test_memories_remembered_through_mcp_show_in_their_timeline_buckets(
    client: Client, browser: Browser, link: str
) -> None:
    wanted = {
        "day": await call(client, "remember_temporary", content="Call the dentist back", memory_type="reminder"),
        "week": await call(client, "remember_temporary", content="Comparing flights to Lisbon"),
        "month": await call(client, "remember_temporary", content="Talked through the offer", memory_type="chat"),
        "later": await call(client, "remember_temporary", content="Renew the passport", expires_in_days=90),
        "permanent": await call(client, "remember_permanent", content="Prefers tea over coffee"),
    }
    page = await opened(browser, link)
    for bucket, memory in wanted.items():
        box = page.locator(f"#bucket-{bucket}")
        await expect(box.locator(".count")).to_have_text("1")
        await expect(box.locator(f"li[data-id='{memory['id']}']")).to_contain_text(memory["content"])
    week = page.locator(f"#memories li[data-id='{wanted['week']['id']}']")
    await expect(week.locator(".type")).to_have_text("session")
    await expect(week.locator(".expiry")).to_have_text("expires in 7 days")
    await expect(week).to_contain_text("remembered just now")
    await expect(page.locator("#memories > li")).to_have_count(5)
    await expect(page.locator(".chart rect.bar")).to_have_count(2)  # tomorrow and in 7 days; 30 and 90 are beyond


async def test_search_shows_what_recall_finds_with_its_scores(client: Client, browser: Browser, link: str) -> None:
    for text in ("Prefers tea over coffee", "Drinks green tea in the afternoon", "Planning a trip to Lisbon"):
        await call(client, "remember_permanent", content=text)
    recalled = (await call(client, "recall", query="tea", limit=20))["memories"]
    page = await opened(browser, link)
    await page.get_by_label("Search").fill("tea")
    await page.get_by_role("button", name="Search", exact=True).click()
    results = page.locator("#results > li")
    await expect(results).to_have_count(len(recalled))
    assert [await r.get_attribute("data-id") for r in await results.all()] == [m["id"] for m in recalled]
    assert [await r.locator(".score").inner_text() for r in await results.all()] == [
        f"match {m['score']:.2f}" for m in recalled
    ]
    assert "tea" not in page.url


async def test_renewing_moves_the_expiry_on_the_page_and_in_mcp(client: Client, browser: Browser, link: str) -> None:
    short = await call(client, "remember_temporary", content="Reviewing the Q3 budget", expires_in_days=2)
    chat = await call(client, "remember_temporary", content="Asked for a recipe", memory_type="chat", expires_in_days=1)
    page = await opened(browser, link)
    row = page.locator(f"#memories li[data-id='{short['id']}']")
    await expect(row.locator(".expiry")).to_have_text("expires in 2 days")
    await row.get_by_label("Days to keep it").fill("30")
    await row.get_by_role("button", name="Renew").click()
    await expect(page.get_by_role("status")).to_contain_text("it now expires in 30 days")
    await expect(page.locator(f"#memories li[data-id='{short['id']}'] .expiry")).to_have_text("expires in 30 days")
    chat_row = page.locator(f"#memories li[data-id='{chat['id']}']")
    await chat_row.get_by_role("button", name="Renew").click()  # no days: the chat tier, 30 days
    await expect(page.locator(f"#memories li[data-id='{chat['id']}'] .expiry")).to_have_text("expires in 30 days")
    soon = await call(client, "expiring_soon", within_days=29)
    assert soon["memories"] == []
    await page.locator(f"#memories li[data-id='{short['id']}']").get_by_role("button", name="Make permanent").click()
    await expect(page.get_by_role("status")).to_contain_text("is now permanent")
    await expect(page.locator("#bucket-permanent .count")).to_have_text("1")


async def test_forgetting_removes_it_from_the_page_and_from_recall(client: Client, browser: Browser, link: str) -> None:
    kept = await call(client, "remember_permanent", content="Allergic to peanuts", memory_type="fact")
    gone = await call(client, "remember_permanent", content="Allergic to shellfish", memory_type="fact")
    page = await opened(browser, link)
    await expect(page.locator("#memories > li")).to_have_count(2)
    row = page.locator(f"#memories li[data-id='{gone['id']}']")
    await row.get_by_role("button", name="Forget").click()
    await expect(page.get_by_role("status")).to_contain_text("Forgotten for good")
    await expect(page.locator(f"li[data-id='{gone['id']}']")).to_have_count(0)
    await expect(page.locator(f"#memories li[data-id='{kept['id']}']")).to_have_count(1)
    recalled = (await call(client, "recall", query="allergic", limit=10))["memories"]
    assert [m["id"] for m in recalled] == [kept["id"]]


async def test_dismissing_the_confirmation_changes_nothing(client: Client, browser: Browser, link: str) -> None:
    memory = await call(client, "remember_permanent", content="Writes in British English")
    page = await (await browser.new_context()).new_page()
    page.on("dialog", lambda dialog: dialog.dismiss())
    await page.goto(link)
    await page.locator(f"#memories li[data-id='{memory['id']}']").get_by_role("button", name="Forget").click()
    await expect(page.locator(f"#memories li[data-id='{memory['id']}']")).to_have_count(1)
    assert len((await call(client, "recall", query="British English"))["memories"]) == 1


async def test_an_expired_memory_leaves_the_page_when_the_clock_moves(
    client: Client, browser: Browser, link: str, clock: FakeClock
) -> None:
    reminder = await call(client, "remember_temporary", content="Parking spot is B12", memory_type="reminder")
    lasting = await call(client, "remember_temporary", content="Planning the garden", memory_type="chat")
    page = await opened(browser, link)
    await expect(page.locator(f"#memories li[data-id='{reminder['id']}']")).to_have_count(1)
    clock.advance(days=2)
    await page.reload()
    await expect(page.locator(f"li[data-id='{reminder['id']}']")).to_have_count(0)
    await expect(page.locator(f"#memories li[data-id='{lasting['id']}'] .expiry")).to_have_text("expires in 28 days")
    await expect(page.locator("#bucket-day .count")).to_have_text("0")


async def test_without_javascript_reading_works_and_an_action_asks_on_a_page_of_its_own(
    client: Client, browser: Browser, link: str
) -> None:
    memory = await call(client, "remember_temporary", content="Reading up on heat pumps", memory_type="session")
    page = await opened(browser, link, javascript=False)
    await page.get_by_label("Show").select_option("week")
    await page.get_by_role("button", name="Apply").click()
    await expect(page.locator("#memories > li")).to_have_count(1)
    await page.locator(f"#memories li[data-id='{memory['id']}']").get_by_role("button", name="Forget").click()
    await expect(page.get_by_role("heading", name="Forget this memory?")).to_be_visible()
    await page.get_by_role("button", name="Yes, forget").click()
    await expect(page.get_by_role("status")).to_contain_text("Forgotten for good")
    assert (await call(client, "recall", query="heat pumps"))["memories"] == []


async def test_no_token_a_wrong_token_a_used_link_a_rebound_host_and_a_cross_origin_form_are_refused(
    client: Client, browser: Browser, link: str
) -> None:
    memory = await call(client, "remember_permanent", content="Locker code is 4417", memory_type="account")
    parts = urlsplit(link)
    bare = f"{parts.scheme}://{parts.netloc}/"
    page = await (await browser.new_context()).new_page()
    answer = await page.goto(bare)
    assert answer is not None and answer.status == 401
    await expect(page.get_by_role("heading", name="Sign in to see your memory")).to_be_visible()
    assert "4417" not in await page.content()
    answer = await page.goto(link + "x")
    assert answer is not None and answer.status == 401
    await expect(page.get_by_role("alert")).to_contain_text("not valid")

    signed = await opened(browser, link)
    rebound = await signed.goto(f"http://attacker.example:{parts.port}/?{parts.query}")
    assert rebound is not None and rebound.status == 421
    assert "4417" not in await signed.content()

    # The link signed `signed` in: in another browser it is used up, and the page says how to get a new one.
    answer = await page.goto(link)
    assert answer is not None and answer.status == 401
    await expect(page.get_by_role("alert")).to_contain_text("already been used")
    await expect(page.get_by_role("alert")).to_contain_text("Ask your assistant to open the memory view again")
    assert "4417" not in await page.content()

    # A page on another site posts a form to the view in the signed-in browser.
    forget = f"{bare}memories/{memory['id']}/forget"
    attack = f'<form method="post" action="{forget}"><input name="confirmed" value="yes"></form>'
    await signed.route("http://attacker.example/", lambda route: route.fulfill(body=attack, content_type="text/html"))
    await signed.goto("http://attacker.example/")
    async with signed.expect_navigation():
        await signed.evaluate("document.forms[0].submit()")
    assert "Cross-origin request refused" in await signed.content()
    assert len((await call(client, "recall", query="locker code"))["memories"]) == 1


async def test_on_a_phone_the_page_fits_its_width_and_every_control_is_labelled(
    client: Client, browser: Browser, link: str
) -> None:
    long = "A memory with a rather long unbroken word: " + "x" * 120
    await call(client, "remember_temporary", content=long)
    await call(client, "remember_permanent", content="Prefers tea over coffee")
    context = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = await context.new_page()
    await page.goto(link)
    await expect(page.get_by_role("heading", name="What expires when")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    unlabelled = await page.evaluate(
        """[...document.querySelectorAll('input:not([type=hidden]), select')]
             .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).length"""
    )
    assert unlabelled == 0


async def test_everything_can_be_done_from_the_keyboard(client: Client, browser: Browser, link: str) -> None:
    memory = await call(client, "remember_temporary", content="Reading up on heat pumps")
    page = await opened(browser, link)
    seen = []
    for _ in range(60):  # tab through the page until the memory's Forget button has the focus
        await page.keyboard.press("Tab")
        seen.append(await page.evaluate("document.activeElement.textContent.trim()"))
        inside = await page.evaluate(f"document.activeElement.closest(\"li[data-id='{memory['id']}']\") !== null")
        if inside and seen[-1].startswith("Forget"):
            break
    else:
        pytest.fail(f"the Forget button was never reached: {seen}")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_contain_text("Forgotten for good")
    assert seen[0] == "Skip to content"
