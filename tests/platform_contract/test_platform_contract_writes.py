"""Contract tests for the `platform` backend's writes (see conftest.py here): remember, renew, forget and the refresh
of a twin send what the Mem0 docs describe, and a queued add is found through its event."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from mcp import Client

from expiring_memory_mcp.backends import PERMANENT_TS
from expiring_memory_mcp.retention import iso
from fake_platform import FakePlatform
from platform_records import day
from support import call, call_error

pytestmark = pytest.mark.anyio


async def test_contract_remember_temporary_adds_with_the_utc_day_our_instant_and_no_inference(
    client: Client, fake: FakePlatform, clock
) -> None:
    memory = await call(
        client,
        "remember_temporary",
        content="Cart has 3 items",
        memory_type="cache",
        expires_in_days=0.5,
        metadata={"source": "shop"},
    )

    expiry = clock.now() + timedelta(hours=12)
    (add,) = fake.calls("POST", "/v3/memories/add/")
    assert add.body["messages"] == [{"role": "user", "content": "Cart has 3 items"}]
    assert add.body["user_id"] == "alice"
    assert add.body["infer"] is False
    assert add.body["expiration_date"] == day(expiry)
    meta = add.body["metadata"]
    assert meta["type"] == "cache" and meta["source"] == "shop"
    assert meta["expires_at"] == iso(expiry) and meta["expires_ts"] == expiry.timestamp()
    assert meta["created_at"] == iso(clock.now()) and meta["dedup_key"]
    assert fake.calls("GET", "/v1/event/", prefix=True), "the queued add is awaited through its event"
    assert memory["id"] in fake.memories
    assert memory["expires_at"] == iso(expiry)
    assert memory["expiration_date"] == day(expiry)
    assert memory["metadata"] == {"source": "shop"}


async def test_contract_remember_permanent_sends_no_expiration_date(client: Client, fake: FakePlatform) -> None:
    memory = await call(client, "remember_permanent", content="User prefers dark mode")

    (add,) = fake.calls("POST", "/v3/memories/add/")
    assert add.body.get("expiration_date") is None
    assert add.body["metadata"]["expires_at"] is None
    assert add.body["metadata"]["expires_ts"] == PERMANENT_TS
    assert memory["expires_at"] is None and memory["expiration_date"] is None
    assert fake.memories[memory["id"]]["expiration_date"] is None


async def test_contract_renew_puts_the_new_day_and_permanent_puts_null(
    client: Client, fake: FakePlatform, clock
) -> None:
    memory = await call(
        client, "remember_temporary", content="Trial ends soon", memory_type="session", metadata={"plan": "pro"}
    )
    key = fake.calls("POST", "/v3/memories/add/")[0].body["metadata"]["dedup_key"]
    fake.clear()

    renewed = await call(client, "renew_memory", memory_id=memory["id"], expires_in_days=10)
    (put,) = fake.calls("PUT", f"/v1/memories/{memory['id']}/")
    expiry = clock.now() + timedelta(days=10)
    assert put.body["expiration_date"] == day(expiry)
    assert put.body["metadata"]["expires_at"] == iso(expiry)
    assert put.body["metadata"]["plan"] == "pro" and put.body["metadata"]["type"] == "session"  # merged, not lost
    assert renewed["expires_at"] == iso(expiry) and renewed["metadata"] == {"plan": "pro"}

    fake.clear()
    permanent = await call(client, "renew_memory", memory_id=memory["id"], permanent=True)
    (put,) = fake.calls("PUT", f"/v1/memories/{memory['id']}/")
    assert "expiration_date" in put.body and put.body["expiration_date"] is None
    assert put.body["metadata"]["expires_at"] is None
    assert put.body["metadata"]["expires_ts"] == PERMANENT_TS
    assert permanent["expires_at"] is None and permanent["expiration_date"] is None
    assert fake.memories[memory["id"]]["metadata"]["dedup_key"] == key


async def test_contract_forget_deletes_on_the_platform(client: Client, fake: FakePlatform) -> None:
    memory = await call(client, "remember_permanent", content="Old address")

    assert (await call(client, "forget", memory_id=memory["id"]))["deleted"] == memory["id"]

    assert [r.path for r in fake.calls("DELETE")] == [f"/v1/memories/{memory['id']}/"]
    assert memory["id"] not in fake.memories


async def test_contract_an_unknown_id_is_a_404_and_reads_as_unknown(client: Client, fake: FakePlatform) -> None:
    missing = str(uuid.uuid4())
    assert "No memory with id" in await call_error(client, "forget", memory_id=missing)
    assert fake.calls("GET", f"/v1/memories/{missing}/")
    assert not fake.calls("DELETE")


async def test_contract_remembering_the_same_text_twice_refreshes_one_memory(
    client: Client, fake: FakePlatform, clock
) -> None:
    first = await call(client, "remember_temporary", content="Browsing  running shoes", memory_type="session")
    clock.advance(hours=1)
    second = await call(
        client, "remember_temporary", content="browsing running shoes", memory_type="session", metadata={"size": 43}
    )

    assert second["id"] == first["id"]
    assert len(fake.memories) == 1 and len(fake.calls("POST", "/v3/memories/add/")) == 1
    (put,) = fake.calls("PUT")
    assert put.body["expiration_date"] == day(clock.now() + timedelta(days=7))
    assert second["expires_at"] == iso(clock.now() + timedelta(days=7))
    assert second["metadata"] == {"size": 43}
    twin_lookup = fake.calls("POST", "/v3/memories/")[-1]
    assert twin_lookup.body["filters"]["AND"][0] == {"user_id": "alice"}
    assert {"metadata": {"type": "session"}} in twin_lookup.body["filters"]["AND"]
    assert {"metadata": {"dedup_key": put.body["metadata"]["dedup_key"]}} in twin_lookup.body["filters"]["AND"]


async def test_contract_an_event_without_ids_finds_the_memory_by_its_metadata(
    client: Client, fake: FakePlatform
) -> None:
    fake.event_ids_in_results = False
    fake.pending_polls = 3
    memory = await call(client, "remember_permanent", content="User is vegetarian")

    assert list(fake.memories) == [memory["id"]]
    assert len(fake.calls("GET", "/v1/event/", prefix=True)) == 4
    lookup = fake.calls("POST", "/v3/memories/")[-1]
    assert {"metadata": {"dedup_key": fake.memories[memory["id"]]["metadata"]["dedup_key"]}} in lookup.body["filters"][
        "AND"
    ]
