"""The memory view in a real headless Chromium: every test here gets the browser and the view's sign-in link from
these fixtures (the browser itself comes from view_browser.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser

from expiring_memory_mcp.memories import MemoryService
from expiring_memory_mcp.web.launch import open_view
from view_browser import launched


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with launched() as started:
        yield started


@pytest.fixture
async def link(service: MemoryService) -> str:
    """The view of the test's service (its clock, its data), started as the open_memory_view tool starts it."""
    url, _ = open_view(service)
    return url
