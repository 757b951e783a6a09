"""What the memory view's browser tests share: headless Chromium (Debian's `chromium`, driven by Playwright) and a
page opened on the view's sign-in link."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.fail("Chromium is needed: apt-get install -y chromium (.ci/run does)")
    return found


@asynccontextmanager
async def launched() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        # attacker.example resolves to this computer, as a DNS-rebinding attacker would make it
        rules = "--host-resolver-rules=MAP attacker.example 127.0.0.1"
        browser = await playwright.chromium.launch(executable_path=chromium(), args=[rules])
        yield browser
        await browser.close()


async def opened(browser: Browser, link: str, *, javascript: bool = True) -> Page:
    """A new browser context signed in with the link; every confirmation dialog is accepted."""
    page = await (await browser.new_context(java_script_enabled=javascript)).new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    await page.goto(link)
    await expect(page.get_by_role("heading", name="What expires when")).to_be_visible()
    assert "token=" not in page.url
    return page
