"""Contract tests for the `platform` backend's connection (see conftest.py here): every request carries the token to
the configured host, and a refused key, an outage or a Platform down at startup is a clear tool error the session
recovers from."""

from __future__ import annotations

import pytest
from mcp import Client

from fake_platform import FakePlatform, FakePlatformServer
from support import call, call_error, contents

pytestmark = pytest.mark.anyio


async def test_contract_an_outage_is_a_clear_tool_error_and_the_session_recovers(
    client: Client, fake: FakePlatform, server: FakePlatformServer
) -> None:
    await call(client, "remember_permanent", content="User prefers window seats")

    fake.fail_status = 500
    message = await call_error(client, "recall", query="seats")
    assert "Mem0 Platform" in message and "HTTP_500" in message and "try again later" in message
    fake.fail_status = None
    assert contents(await call(client, "recall", query="seats")) == ["User prefers window seats"]

    server.stop()
    message = await call_error(client, "remember_permanent", content="User likes aisle seats too")
    assert "The Mem0 Platform could not be reached" in message and server.url in message
    server.start()  # the same port
    assert contents(await call(client, "recall", query="window seats")) == ["User prefers window seats"]


async def test_contract_a_refused_key_is_a_clear_tool_error(client: Client, fake: FakePlatform) -> None:
    await call(client, "remember_permanent", content="User prefers tea")
    fake.api_key = "rotated-key"
    assert "refused the API key" in await call_error(client, "recall", query="tea")


async def test_contract_every_request_carries_the_token_and_goes_to_the_host(
    client: Client, fake: FakePlatform, server: FakePlatformServer
) -> None:
    from mem0.memory import telemetry

    memory = await call(client, "remember_temporary", content="Looking at flights to Lisbon")
    await call(client, "recall", query="flights")
    await call(client, "renew_memory", memory_id=memory["id"], permanent=True)
    await call(client, "forget", memory_id=memory["id"])

    assert fake.requests[0].method == "GET" and fake.requests[0].path == "/v1/ping/"
    assert {r.headers["authorization"] for r in fake.requests} == {"Token test-key"}
    assert {r.headers["host"] for r in fake.requests} == {f"127.0.0.1:{server.port}"}
    assert telemetry.MEM0_TELEMETRY is False


async def test_contract_a_platform_down_at_startup_recovers_without_a_restart(
    client: Client, fake: FakePlatform, server: FakePlatformServer
) -> None:
    server.stop()  # the backend opens on the first tool call: its key check cannot reach the Platform
    message = await call_error(client, "recall", query="anything")
    assert "The Mem0 Platform could not be reached" in message
    assert not fake.requests

    server.start()
    await call(client, "remember_permanent", content="User prefers trains")
    assert [r.path for r in fake.requests[:2]] == ["/v1/ping/", "/v3/memories/"]  # key check, then the sweep
    assert contents(await call(client, "recall", query="trains")) == ["User prefers trains"]
