"""Contract tests for the `platform` backend: every tool through a real MCP session, against a local fake of the
Mem0 Platform (tests/fake_platform.py) that records each request and answers as the Mem0 docs describe.

They check the requests we send (endpoints, v2 filters, expiration_date, infer, metadata, auth) and how we read the
answers. They do not prove the live Platform behaves like the fake: the fake is our reading of docs.mem0.ai.

The fixtures here start the fake for each test and point the server at it; they override tests/conftest.py's
`settings_overrides`, `embedder` and `client` for this directory only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from mcp import Client

from expiring_memory_mcp.app import build_server
from expiring_memory_mcp.backends import platform
from expiring_memory_mcp.memories import MemoryService
from fake_platform import FakePlatform, FakePlatformServer


@pytest.fixture
def server() -> Iterator[FakePlatformServer]:
    fake = FakePlatformServer().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake(server: FakePlatformServer) -> FakePlatform:
    return server.platform


@pytest.fixture
def settings_overrides(server: FakePlatformServer) -> dict[str, Any]:
    return {"mem0_api_key": "test-key", "mem0_host": server.url, "sweep_interval_seconds": 3600}


@pytest.fixture
def embedder() -> None:
    return None  # the platform embeds on its side: no need to load the bundled model


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform.PlatformBackend, "poll_delays", (0.0,))


@pytest.fixture
async def client(service: MemoryService, settings) -> AsyncIterator[Client]:
    async with Client(build_server(service, settings)) as connected:
        yield connected
    service.close()
