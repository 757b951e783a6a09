"""forget and renew_memory through a real MCP session, on both stores (tools/conftest.py): forget takes a memory and
its history away, renew extends it or makes it permanent, and neither reaches a memory that has expired."""

from __future__ import annotations

from datetime import timedelta

import pytest
from mcp import Client

from expiring_memory_mcp.retention import iso
from support import call, call_error, contents, sqlite

pytestmark = pytest.mark.anyio


async def test_forget_deletes_a_memory_and_its_history(client: Client, db) -> None:
    memory = await call(client, "remember_permanent", content="Old address is 12 Elm Street", memory_type="account")
    assert await call(client, "forget", memory_id=memory["id"]) == {"deleted": memory["id"]}
    assert (await call(client, "recall", query="address"))["memories"] == []
    assert db.count_rows() == 0
    with sqlite(db.path.parent / "history.db") as history:
        assert history.execute("SELECT count(*) FROM history").fetchone() == (0,)
    assert "No memory with id" in await call_error(client, "forget", memory_id=memory["id"])


async def test_renew_extends_a_memory_or_makes_it_permanent(client: Client, clock) -> None:
    memory = await call(client, "remember_temporary", content="Comparing phone plans", expires_in_days=1)
    longer = await call(client, "renew_memory", memory_id=memory["id"], expires_in_days=10)
    assert longer["expires_at"] == iso(clock.now() + timedelta(days=10))

    clock.advance(days=5)
    tier = await call(client, "renew_memory", memory_id=memory["id"])
    assert tier["expires_at"] == iso(clock.now() + timedelta(days=7))  # the session tier starts again

    permanent = await call(client, "renew_memory", memory_id=memory["id"], permanent=True)
    assert permanent["expires_at"] is None and permanent["expiration_date"] is None
    clock.advance(days=365)
    assert contents(await call(client, "recall", query="phone plans")) == ["Comparing phone plans"]
    assert (await call(client, "expiring_soon", within_days=3650))["memories"] == []


async def test_renewing_without_a_new_expiry_never_shortens_a_memory(client: Client, clock) -> None:
    memory = await call(client, "remember_temporary", content="Tracking a refund", expires_in_days=30)

    renewed = await call(client, "renew_memory", memory_id=memory["id"])

    assert renewed["expires_at"] == memory["expires_at"]  # the session tier (7 days from now) would be sooner


async def test_an_expired_memory_cannot_be_renewed_or_forgotten(client: Client, clock) -> None:
    memory = await call(client, "remember_temporary", content="Flash sale ends tonight", memory_type="cache")
    clock.advance(days=1, seconds=1)
    assert "may have expired" in await call_error(client, "renew_memory", memory_id=memory["id"], permanent=True)
    assert "may have expired" in await call_error(client, "forget", memory_id=memory["id"])
