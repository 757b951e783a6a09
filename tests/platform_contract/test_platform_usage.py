"""On the platform backend, which keeps no usage counters: recall-aware expiry still works (it is an ordinary
update), and the ledger and insights say they need the embedded backend instead of failing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from expiring_memory_mcp.retention import iso
from support import call

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings_overrides(server) -> dict:
    return {"mem0_api_key": "test-key", "mem0_host": server.url, "extend_on_recall": {"chat": 14}}


async def test_recall_aware_expiry_works_on_the_platform(client: Client, clock) -> None:
    memory = await call(client, "remember_temporary", content="Booked the sushi place for Friday", memory_type="chat")
    clock.advance(days=25)
    (recalled,) = (await call(client, "recall", query="sushi", limit=1))["memories"]
    assert recalled["id"] == memory["id"]
    assert recalled["expires_at"] == iso(clock.now() + timedelta(days=14))
    (listed,) = (await call(client, "expiring_soon", within_days=30))["memories"]
    assert listed["expires_at"] == recalled["expires_at"]


@pytest.mark.parametrize("uri", ["memory://forgotten", "memory://insights"])
async def test_the_ledger_and_insights_say_they_need_the_embedded_backend(client: Client, uri: str) -> None:
    await call(client, "remember_permanent", content="Likes sunflowers")
    with pytest.raises(MCPError, match="The platform backend keeps no usage counters and no ledger"):
        await client.read_resource(uri)


@pytest.mark.parametrize("command", ["forgotten", "insights"])
def test_the_commands_say_they_need_the_embedded_backend(settings, clock, command: str, capsys) -> None:
    from expiring_memory_mcp import cli

    assert cli.run([command], settings, clock=clock) == 1
    err = capsys.readouterr().err
    assert err.startswith("expiring-memory-mcp: error: The platform backend keeps no usage counters"), err
    assert len(err.splitlines()) == 1
