"""Contract tests for the `platform` backend's reads and sweep (see conftest.py here): recall and expiring_soon send
v2 filters scoped to the user and hide what has expired before the Platform's day, and the sweep pages through every
user's memories and deletes the expired ones."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from mcp import Client

from expiring_memory_mcp.backends import platform
from expiring_memory_mcp.memories import MemoryService
from fake_platform import FakePlatform
from platform_records import our_memory
from support import call, call_error, contents, serving

pytestmark = pytest.mark.anyio


async def test_contract_recall_sends_v2_filters_and_hides_the_instant_before_the_platform_day(
    client: Client, fake: FakePlatform, clock
) -> None:
    short = await call(
        client, "remember_temporary", content="Parking spot is B12", memory_type="cache", expires_in_days=0.001
    )  # 86 seconds
    await call(client, "remember_permanent", content="User always wants a parking spot near the exit")
    fake.clear()

    both = await call(client, "recall", query="parking spot", memory_types=["cache", "preference"])
    assert len(both["memories"]) == 2
    (search,) = fake.calls("POST", "/v3/memories/search/")
    assert search.body["filters"] == {
        "AND": [
            {"user_id": "alice"},
            {"OR": [{"metadata": {"type": "cache"}}, {"metadata": {"type": "preference"}}]},
        ]
    }
    assert search.body["top_k"] >= 5 and search.body["threshold"] == pytest.approx(0.1)

    await call(client, "recall", query="parking spot", memory_types=["cache"])
    assert fake.calls("POST", "/v3/memories/search/")[-1].body["filters"] == {
        "AND": [{"user_id": "alice"}, {"metadata": {"type": "cache"}}]
    }

    clock.advance(minutes=2)
    recalled = await call(client, "recall", query="parking spot")
    assert contents(recalled) == ["User always wants a parking spot near the exit"]
    answered = fake.calls("POST", "/v3/memories/search/")[-1]
    assert answered.body["filters"] == {"AND": [{"user_id": "alice"}]}
    assert not fake._date_expired(fake.memories[short["id"]]), "the Platform's day has not passed: we filtered"


async def test_contract_recall_over_fetches_until_enough_live_memories(
    client: Client, fake: FakePlatform, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(platform, "FIRST_TOP_K", 1)
    for n in range(3):
        our_memory(fake, "alice", f"parking spot level {n} parking spot", clock.now() + timedelta(seconds=30))
    await call(client, "remember_permanent", content="parking near the exit")
    clock.advance(minutes=1)
    fake.clear()

    recalled = await call(client, "recall", query="parking spot", limit=1)

    assert contents(recalled) == ["parking near the exit"]
    assert [r.body["top_k"] for r in fake.calls("POST", "/v3/memories/search/")] == [2, 8]


async def test_contract_expiring_soon_filters_the_window_here(client: Client, fake: FakePlatform) -> None:
    await call(client, "remember_temporary", content="Dentist tomorrow", memory_type="reminder")
    await call(client, "remember_temporary", content="Trip next month", memory_type="chat")
    fake.clear()

    soon = await call(client, "expiring_soon", within_days=2)

    assert contents(soon) == ["Dentist tomorrow"]
    (listing,) = fake.calls("POST", "/v3/memories/")
    assert listing.body["filters"] == {"AND": [{"user_id": "alice"}]}
    assert "show_expired" not in listing.body
    assert listing.query["page"] == ["1"] and listing.query["page_size"] == [str(platform.PAGE_SIZE)]


async def test_contract_the_sweep_deletes_every_users_expired_memories_paging_with_show_expired(
    client: Client, fake: FakePlatform, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(platform, "PAGE_SIZE", 2)
    fake.today = lambda: clock.now().date()  # the fake's day follows the test clock, so the memories date-expire
    mine = await call(client, "remember_temporary", content="Cart has 3 items", memory_type="cache")
    kept = await call(client, "remember_permanent", content="User prefers dark mode")
    bobs = our_memory(fake, "bob", "Bob's cart", clock.now() + timedelta(days=1))
    foreign = str(uuid.uuid4())  # not written by this server: no expiry keys, never swept
    fake.memories[foreign] = {
        "id": foreign,
        "memory": "Imported elsewhere",
        "user_id": "carol",
        "metadata": {},
        "expiration_date": None,
        "created_at": datetime.now(UTC).isoformat(),
    }
    clock.advance(days=3)
    fake.clear()

    assert (await call(client, "recall", query="cart"))["memories"] == []

    scans = fake.calls("POST", "/v3/memories/")
    assert scans[0].body == {"filters": {"AND": [{"user_id": "*"}]}, "show_expired": True}
    assert [r.query["page"] for r in scans] == [["1"], ["2"]]
    assert sorted(r.path for r in fake.calls("DELETE")) == sorted(
        f"/v1/memories/{memory_id}/" for memory_id in (mine["id"], bobs)
    )
    assert set(fake.memories) == {kept["id"], foreign}


async def test_contract_service_sweep_reports_what_it_deleted(
    service: MemoryService, client: Client, fake: FakePlatform, clock
) -> None:
    await call(client, "remember_temporary", content="Reminder: call mum", memory_type="reminder")
    clock.advance(days=2)
    assert service.sweep() == 1
    assert fake.memories == {}


async def test_contract_memories_are_scoped_to_the_user(
    client: Client, settings, clock, embedder, fake: FakePlatform
) -> None:
    mine = await call(client, "remember_permanent", content="Alice likes green tea")
    bob_settings = settings.model_copy(update={"user_id": "bob"})
    async with serving(bob_settings, clock, embedder) as bob:
        assert (await call(bob, "recall", query="green tea"))["memories"] == []
        assert fake.calls("POST", "/v3/memories/search/")[-1].body["filters"] == {"AND": [{"user_id": "bob"}]}
        assert "No memory with id" in await call_error(bob, "forget", memory_id=mine["id"])
        await call(bob, "remember_permanent", content="Alice likes green tea")
    assert len(fake.memories) == 2
    assert contents(await call(client, "recall", query="green tea")) == ["Alice likes green tea"]
