"""On the mem0 backend (Mem0's pgvector store in a real Postgres): recall-aware expiry works, and the ledger and
insights say they need the embedded backend instead of failing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from expiring_memory_mcp.retention import iso
from expiring_memory_mcp.settings import Settings
from support import call

pytestmark = [pytest.mark.anyio, pytest.mark.slow]  # starts Postgres


@pytest.fixture
def settings(data_dir: Path, pg_config: Path) -> Settings:
    return Settings(
        data_dir=data_dir, user_id="alice", backend="mem0", mem0_config=pg_config, extend_on_recall={"chat": 14}
    )


async def test_a_recalled_chat_memory_outlives_its_unrecalled_twin_on_pgvector(client: Client, clock) -> None:
    sushi = await call(client, "remember_temporary", content="Booked a table at the sushi place", memory_type="chat")
    await call(client, "remember_temporary", content="The printer on floor three is out of toner", memory_type="chat")
    clock.advance(days=25)
    (recalled,) = (await call(client, "recall", query="sushi table", limit=1))["memories"]
    assert recalled["id"] == sushi["id"] and recalled["expires_at"] == iso(clock.now() + timedelta(days=14))
    clock.advance(days=6)
    found = (await call(client, "recall", query="sushi table printer toner", limit=5))["memories"]
    assert [m["id"] for m in found] == [sushi["id"]]
    with pytest.raises(MCPError, match="The mem0 backend keeps no usage counters and no ledger"):
        await client.read_resource("memory://forgotten")
