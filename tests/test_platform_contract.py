"""Contract tests for the `platform` backend: every tool through a real MCP session, against a local fake of the
Mem0 Platform (tests/fake_platform.py) that records each request and answers as the Mem0 docs describe.

They check the requests we send (endpoints, v2 filters, expiration_date, infer, metadata, auth) and how we read the
answers. They do not prove the live Platform behaves like the fake: the fake is our reading of docs.mem0.ai.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from mcp import Client

from expiring_memory_mcp.app import build_server
from expiring_memory_mcp.backends import PERMANENT_TS, platform
from expiring_memory_mcp.memories import MemoryService
from expiring_memory_mcp.retention import iso
from fake_platform import FakePlatform, FakePlatformServer
from support import call, call_error, contents, serving

pytestmark = pytest.mark.anyio


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


def day(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


def our_memory(fake: FakePlatform, user_id: str, text: str, expires: datetime | None) -> str:
    """A memory put straight into the fake, shaped as this server stores them."""
    memory_id = str(uuid.uuid4())
    fake.memories[memory_id] = {
        "id": memory_id,
        "memory": text,
        "user_id": user_id,
        "agent_id": None,
        "app_id": None,
        "run_id": None,
        "metadata": {
            "type": "cache",
            "dedup_key": memory_id[:8],
            "created_at": iso(datetime.now(UTC)),
            "expires_at": iso(expires) if expires else None,
            "expires_ts": expires.timestamp() if expires else PERMANENT_TS,
        },
        "expiration_date": day(expires) if expires else None,
        "created_at": datetime.now(UTC).isoformat(),
    }
    return memory_id


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
