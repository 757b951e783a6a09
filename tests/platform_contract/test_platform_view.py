"""The memory view on the platform backend, which keeps no usage counters and no ledger, with raw requests: the
memories are listed as ever, and where a recall count, the Forgotten page and the Tier advice would be, the view
says they are not kept on this backend instead of failing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from expiring_memory_mcp.memories import MemoryService
from support import signed_in_view

NOT_KEPT = "Not kept on this backend: the platform backend keeps no recall counts and no ledger of forgotten memories."


@pytest.fixture
def http(service: MemoryService) -> Iterator[TestClient]:
    with signed_in_view(service) as client:
        yield client
    service.close()


def test_the_list_shows_the_memories_and_says_counts_are_not_kept(http: TestClient, service: MemoryService) -> None:
    memory = service.remember("Likes sunflowers", "preference", None, permanent=True)
    page = http.get("/")
    assert page.status_code == 200
    assert f'data-id="{memory.id}"' in page.text and "Likes sunflowers" in page.text
    assert f'<p class="hint" id="counts-note">{NOT_KEPT}' in page.text
    assert '<span class="recalls">' not in page.text


@pytest.mark.parametrize("path", ["/forgotten", "/forgotten?since=7d", "/advice"])
def test_the_forgotten_and_advice_pages_say_they_are_not_kept(
    http: TestClient, service: MemoryService, path: str
) -> None:
    memory = service.remember("Likes sunflowers", "preference", None, permanent=True)
    service.forget(memory.id)
    page = http.get(path)
    assert page.status_code == 200
    assert f'<p class="hint" id="not-kept">{NOT_KEPT}' in page.text
    assert memory.id not in page.text
