"""Retention that learns from use, through a real MCP session with the clock moving: recall counts, recall-aware
expiry, the ledger of what was forgotten (and that it holds no text), and the tier advice on a scripted month."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from expiring_memory_mcp.memories import MemoryService
from expiring_memory_mcp.retention import iso
from support import call, sqlite

pytestmark = pytest.mark.anyio

SUSHI = "Booked a table at the sushi place for Friday"
PRINTER = "The printer on floor three is out of toner"
EXTEND = {"extend_on_recall": {"chat": 14}}


async def resource(client: Client, uri: str) -> dict[str, Any]:
    result = await client.read_resource(uri)
    (content,) = result.contents
    assert content.mime_type == "application/json"
    return json.loads(content.text)  # type: ignore[union-attr]


async def recall_one(client: Client, query: str) -> list[dict[str, Any]]:
    return (await call(client, "recall", query=query, limit=1))["memories"]


# -- recall-aware expiry -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("settings_overrides", [EXTEND])
async def test_a_recalled_chat_memory_outlives_its_unrecalled_twin_when_extension_is_on(
    client: Client, clock, db
) -> None:
    sushi = await call(client, "remember_temporary", content=SUSHI, memory_type="chat")
    await call(client, "remember_temporary", content=PRINTER, memory_type="chat")
    clock.advance(days=25)
    (recalled,) = await recall_one(client, "sushi table Friday")
    assert recalled["id"] == sushi["id"]
    assert recalled["expires_at"] == iso(clock.now() + timedelta(days=14))  # day 39, not day 30
    assert recalled["expires_in"] == "in 14 days"
    soon = await call(client, "expiring_soon", within_days=30)
    assert {m["content"]: m["expires_at"] for m in soon["memories"]}[SUSHI] == recalled["expires_at"]

    clock.advance(days=6)  # day 31: the twin's 30 days are over
    assert [m["content"] for m in await recall_one(client, "sushi table Friday")] == [SUSHI]
    recalled = await call(client, "recall", query="printer toner", limit=5)
    assert PRINTER not in [m["content"] for m in recalled["memories"]]
    assert db.count_rows() == 1


async def test_without_extension_a_recalled_chat_memory_expires_with_its_twin(client: Client, clock, db) -> None:
    sushi = await call(client, "remember_temporary", content=SUSHI, memory_type="chat")
    await call(client, "remember_temporary", content=PRINTER, memory_type="chat")
    clock.advance(days=25)
    (recalled,) = await recall_one(client, "sushi table Friday")
    assert recalled["expires_at"] == sushi["expires_at"]
    clock.advance(days=6)
    assert (await call(client, "recall", query="sushi table Friday printer toner"))["memories"] == []
    assert db.count_rows() == 0


@pytest.mark.parametrize("settings_overrides", [EXTEND])
async def test_recall_never_shortens_a_memory_and_renew_works_as_before(client: Client, clock) -> None:
    sushi = await call(client, "remember_temporary", content=SUSHI, memory_type="chat")
    (recalled,) = await recall_one(client, "sushi table Friday")
    assert recalled["expires_at"] == sushi["expires_at"]  # 30 days left beats 14
    renewed = await call(client, "renew_memory", memory_id=sushi["id"], expires_in_days=2)
    assert renewed["expires_at"] == iso(clock.now() + timedelta(days=2))  # an explicit renewal is obeyed
    (recalled,) = await recall_one(client, "sushi table Friday")
    assert recalled["expires_at"] == iso(clock.now() + timedelta(days=14))
    permanent = await call(client, "renew_memory", memory_id=sushi["id"], permanent=True)
    (recalled,) = await recall_one(client, "sushi table Friday")
    assert permanent["expires_at"] is None and recalled["expires_at"] is None


@pytest.mark.parametrize("settings_overrides", [{"extend_on_recall": {"chat": 14}, "max_ttl_days": 20}])
async def test_recall_never_extends_past_the_longest_lifetime_from_creation(client: Client, clock) -> None:
    sushi = await call(client, "remember_temporary", content=SUSHI, memory_type="chat", expires_in_days=10)
    clock.advance(days=9)
    (recalled,) = await recall_one(client, "sushi table Friday")
    assert recalled["expires_at"] == iso(clock.now() - timedelta(days=9) + timedelta(days=20))
    assert recalled["created_at"] == sushi["created_at"]


@pytest.mark.parametrize("settings_overrides", [EXTEND])
async def test_with_extension_on_recall_is_not_announced_read_only_and_the_model_is_told(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert tools["recall"].annotations is not None and tools["recall"].annotations.read_only_hint is False
    assert tools["expiring_soon"].annotations.read_only_hint is True  # type: ignore[union-attr]
    instructions = client.instructions
    assert instructions is not None and instructions.endswith(
        "A temporary memory that recall returns lasts at least this long from then (chat 14 days); recall never "
        "shortens a memory."
    )


async def test_with_extension_off_recall_stays_read_only(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert tools["recall"].annotations.read_only_hint is True  # type: ignore[union-attr]
    assert "recall never shortens" not in (client.instructions or "")


# -- counts --------------------------------------------------------------------------------------------------------


async def test_recalls_and_renewals_are_counted_off_the_memory(client: Client, clock, service: MemoryService) -> None:
    sushi = await call(client, "remember_temporary", content=SUSHI, memory_type="chat")
    printer = await call(client, "remember_temporary", content=PRINTER, memory_type="chat")
    for _ in range(3):
        await recall_one(client, "sushi table Friday")
    clock.advance(hours=5)
    await recall_one(client, "sushi table Friday")
    await call(client, "renew_memory", memory_id=sushi["id"])
    used = service.usage([sushi["id"], printer["id"]])
    assert used[sushi["id"]].recall_count == 4 and used[sushi["id"]].renewed == 1
    assert used[sushi["id"]].last_recalled_at == clock.now()
    assert used[printer["id"]].recall_count == 0 and used[printer["id"]].last_recalled_at is None
    (shown,) = await recall_one(client, "sushi table Friday")
    assert "recall_count" not in json.dumps(shown)  # nothing of it in the memory the model sees


async def test_one_user_never_learns_how_another_users_memory_was_used(client: Client, service: MemoryService) -> None:
    sushi = await call(client, "remember_temporary", content=SUSHI, memory_type="chat")
    await recall_one(client, "sushi table Friday")
    assert service.usage([sushi["id"]])[sushi["id"]].recall_count == 1
    assert service.for_user("bob").usage([sushi["id"]])[sushi["id"]].recall_count == 0


# -- the ledger ----------------------------------------------------------------------------------------------------


async def test_the_ledger_records_purges_and_forgets_without_any_text(client: Client, clock, data_dir: Path) -> None:
    forgotten = await call(client, "remember_permanent", content="Safe combination is 31-7-44 zebra")
    expiring = await call(client, "remember_temporary", content="Gate code quokka 9981", memory_type="cache")
    await call(client, "remember_permanent", content="Likes sunflowers")
    await recall_one(client, "gate code quokka")
    await recall_one(client, "gate code quokka")
    await call(client, "forget", memory_id=forgotten["id"])
    clock.advance(days=2)
    await call(client, "recall", query="sunflowers")  # the sweep runs here

    ledger = await resource(client, "memory://forgotten")
    by_id = {e["id"]: e for e in ledger["entries"]}
    assert set(by_id) == {forgotten["id"], expiring["id"]}
    assert by_id[forgotten["id"]] | {"purged_at": None} == {
        "id": forgotten["id"],
        "memory_type": "preference",
        "reason": "forgotten",
        "created_at": forgotten["created_at"],
        "expires_at": None,
        "purged_at": None,
        "recall_count": 0,
        "last_recalled_at": None,
        "renewed": 0,
    }
    gone = by_id[expiring["id"]]
    assert (gone["reason"], gone["memory_type"], gone["recall_count"]) == ("expired", "cache", 2)
    assert (gone["created_at"], gone["expires_at"], gone["purged_at"]) == (
        expiring["created_at"],
        expiring["expires_at"],
        iso(clock.now()),
    )
    everything = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())  # -wal files included
    for word in (b"31-7-44", b"zebra", b"quokka", b"9981"):
        assert word not in everything, word
    assert b"sunflowers" in everything
    with sqlite(data_dir / "memories.db") as db:
        assert db.execute("SELECT count(*) FROM ledger").fetchone() == (2,)


@pytest.mark.parametrize("settings_overrides", [{"forgotten_ledger_days": 10}])
async def test_the_sweep_drops_ledger_entries_older_than_the_window(client: Client, clock, data_dir: Path) -> None:
    first = await call(client, "remember_permanent", content=SUSHI, memory_type="fact")
    await call(client, "forget", memory_id=first["id"])
    clock.advance(days=9)
    second = await call(client, "remember_permanent", content=PRINTER, memory_type="fact")
    await call(client, "forget", memory_id=second["id"])
    assert [e["id"] for e in (await resource(client, "memory://forgotten"))["entries"]] == [first["id"], second["id"]]
    clock.advance(days=2)  # the first entry is 11 days old
    await call(client, "expiring_soon")  # a sweep
    assert [e["id"] for e in (await resource(client, "memory://forgotten"))["entries"]] == [second["id"]]
    with sqlite(data_dir / "memories.db") as db:
        assert db.execute("SELECT id FROM ledger").fetchall() == [(second["id"],)]


async def test_each_user_sees_only_their_own_ledger(client: Client, service: MemoryService) -> None:
    mine = await call(client, "remember_permanent", content=SUSHI, memory_type="fact")
    await call(client, "forget", memory_id=mine["id"])
    assert [e.id for e in service.forgotten().entries] == [mine["id"]]
    assert service.for_user("bob").forgotten().entries == []


# -- tier advice ---------------------------------------------------------------------------------------------------

TOPICS = [
    "astronomy", "baking", "canoeing", "dentistry", "embroidery", "falconry", "geology", "harmonica", "ikebana",
    "juggling", "kayaking", "linguistics", "macrame", "numismatics", "origami", "pottery", "quilting", "rowing",
    "sculpture", "taxidermy", "ukulele", "volcanoes", "woodturning", "xylophone", "yodeling", "zoology", "archery",
    "beekeeping", "calligraphy", "dominoes",
]  # fmt: skip


@pytest.mark.parametrize("settings_overrides", [{"ttl_chat_days": 10, "sweep_interval_seconds": 0}])
async def test_insights_on_a_scripted_month_say_lengthen_chat_and_leave_cache_and_session(
    client: Client, clock, service: MemoryService
) -> None:
    """Every chat memory is still wanted on day 9 of its 10; no cached data is ever read again."""
    chats: dict[int, str] = {}
    for day in range(30):
        chat = await call(client, "remember_temporary", content=f"We talked about {TOPICS[day]}", memory_type="chat")
        chats[day] = chat["id"]
        await call(client, "remember_temporary", content=f"Cached price list number {day}", memory_type="cache")
        if day >= 9:
            (found,) = (await call(client, "recall", query=TOPICS[day - 9], memory_types=["chat"], limit=1))["memories"]
            assert found["id"] == chats[day - 9]
        clock.advance(days=1)
    clock.advance(days=1)

    found = await resource(client, "memory://insights")
    assert found == json.loads(service.insights().model_dump_json())
    kinds = {t["memory_type"]: t for t in found["types"]}
    chat, cache, session = kinds["chat"], kinds["cache"], kinds["session"]
    assert (chat["created"], chat["expired"], chat["recalled_expired"], chat["recalled_late"]) == (30, 22, 21, 21)
    assert chat["median_age_at_last_recall_days"] == 9
    assert chat["suggested_days"] == 15
    assert chat["advice"] == (
        "chat: 100% of recalled chat memories were last recalled in their final 2 days, and 0 were renewed; "
        "consider 15 days (EXPIRING_MEMORY_TTL_CHAT_DAYS=15)."
    )
    assert (cache["expired"], cache["expired_unused"], cache["suggested_days"]) == (30, 30, None)
    assert cache["advice"] == "cache: 100% expired unused; 1 day is fine."
    assert not session["enough_data"] and session["advice"].startswith("session: too little data")
