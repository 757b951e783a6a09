"""Each tool's annotations, as a client lists them, are exactly true (Claude Code's plan mode runs a read-only tool
without asking), and the behaviours each hint rests on hold (app.py says why each is what it is)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from expiring_memory_mcp.app import build_server
from expiring_memory_mcp.settings import Settings
from support import Database, FakeClock, call, call_error, contents

pytestmark = pytest.mark.anyio

HINTS = ("read_only_hint", "destructive_hint", "idempotent_hint", "open_world_hint")
EXPECTED = {  # read-only, destructive, idempotent, open world
    "remember_temporary": (False, False, False, False),
    "remember_permanent": (False, False, True, False),
    "recall": (True, False, True, False),
    "expiring_soon": (True, False, True, False),
    "forget": (False, True, True, False),
    "renew_memory": (False, True, False, False),
}


async def listed_hints(settings: Settings) -> dict[str, tuple[Any, ...]]:
    async with Client(build_server(None, settings)) as client:  # type: ignore[arg-type]
        tools = (await client.list_tools()).tools
    return {t.name: tuple(getattr(t.annotations, hint) for hint in HINTS) for t in tools if t.name in EXPECTED}


async def test_every_tool_states_each_hint_and_only_recall_and_expiring_soon_are_read_only(settings: Settings) -> None:
    assert await listed_hints(settings) == EXPECTED


async def test_with_mem0_inference_remembering_permanently_is_not_idempotent(tmp_path: Path) -> None:
    hints = await listed_hints(Settings(data_dir=tmp_path, infer=True))
    assert hints["remember_permanent"] == (False, False, False, False)
    assert {name: h for name, h in hints.items() if name != "remember_permanent"} == {
        name: h for name, h in EXPECTED.items() if name != "remember_permanent"
    }


async def test_recall_may_sweep_expired_memories_yet_changes_nothing_a_caller_sees(
    client: Client, clock: FakeClock, db: Database
) -> None:
    await call(client, "remember_temporary", content="Table booked at the Italian place", memory_type="reminder")
    await call(client, "remember_permanent", content="Likes the Italian place by the river")
    clock.advance(days=2)  # the reminder has expired; its row is still there until a sweep
    assert db.count_rows() == 2

    first = await call(client, "recall", query="Italian place", limit=10)
    assert db.count_rows() == 1  # the sweep ran during this read-only call
    second = await call(client, "recall", query="Italian place", limit=10)
    assert contents(first) == contents(second) == ["Likes the Italian place by the river"]


async def test_remembering_the_same_permanent_memory_twice_changes_nothing_more(client: Client, db: Database) -> None:
    first = await call(client, "remember_permanent", content="Prefers window seats", metadata={"source": "chat"})
    second = await call(client, "remember_permanent", content="Prefers window seats", metadata={"source": "chat"})
    assert second["id"] == first["id"] and second["expires_at"] is None and second["metadata"] == first["metadata"]
    assert db.count_rows() == 1


async def test_forgetting_twice_changes_nothing_the_second_time(client: Client, db: Database) -> None:
    kept = await call(client, "remember_permanent", content="Has a dog called Pixel")
    gone = await call(client, "remember_permanent", content="Lives in Lisbon")
    await call(client, "forget", memory_id=gone["id"])
    assert "No memory with id" in await call_error(client, "forget", memory_id=gone["id"])
    assert db.count_rows() == 1
    assert contents(await call(client, "recall", query="dog Pixel")) == [kept["content"]]


async def test_renewing_can_end_a_permanent_memory_so_it_is_destructive(client: Client, clock: FakeClock) -> None:
    lasting = await call(client, "remember_permanent", content="Allergic to peanuts")
    renewed = await call(client, "renew_memory", memory_id=lasting["id"], expires_in_days=1)
    assert renewed["expires_at"] is not None
    clock.advance(days=2)
    assert contents(await call(client, "recall", query="peanut allergy")) == []


async def test_remembering_temporarily_again_never_shortens_the_memory(client: Client, clock: FakeClock) -> None:
    first = await call(client, "remember_temporary", content="Planning a trip to Kyoto", expires_in_days=10)
    clock.advance(days=1)
    again = await call(client, "remember_temporary", content="Planning a trip to Kyoto", memory_type="session")
    assert again["id"] == first["id"] and again["expires_at"] == first["expires_at"]  # 10 days beats the tier's 7
