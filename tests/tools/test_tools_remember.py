"""remember_temporary and remember_permanent through a real MCP session, on both stores (tools/conftest.py): the
expiry and fields a new memory gets, and the refresh rule when the same text is remembered again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from mcp import Client

from expiring_memory_mcp.retention import iso
from support import call, call_error, contents

pytestmark = pytest.mark.anyio

MEMORY_FIELDS = {
    "id",
    "content",
    "memory_type",
    "created_at",
    "expires_at",
    "expiration_date",
    "expires_in",
    "metadata",
}


async def test_a_temporary_memory_gets_its_tier_expiry_and_every_field(client: Client, clock) -> None:
    memory = await call(client, "remember_temporary", content="Browsing electronics deals")
    assert set(memory) == MEMORY_FIELDS | {"redacted"}  # a remember result also says which secrets it replaced
    assert memory["redacted"] == []
    assert memory["memory_type"] == "session"
    assert memory["expires_at"] == iso(clock.now() + timedelta(days=7))
    assert memory["expiration_date"] == (clock.now() + timedelta(days=7)).date().isoformat()
    assert memory["expires_in"] == "in 7 days"
    assert memory["created_at"] == iso(clock.now())
    assert memory["metadata"] == {}


async def test_a_chat_memory_lasts_thirty_days_and_half_a_day_means_twelve_hours(client: Client, clock) -> None:
    chat = await call(client, "remember_temporary", content="We talked about Lisbon", memory_type="chat")
    assert chat["expires_at"] == iso(clock.now() + timedelta(days=30))
    short = await call(
        client, "remember_temporary", content="Cart has 3 items", memory_type="cache", expires_in_days=0.5
    )
    assert short["expires_at"] == iso(clock.now() + timedelta(hours=12))
    assert short["expires_in"] == "in 12 hours"


async def test_an_explicit_expiry_time_is_kept_exactly(client: Client, clock) -> None:
    moment = (clock.now() + timedelta(days=3)).replace(microsecond=0)
    memory = await call(
        client,
        "remember_temporary",
        content="Dentist on Thursday",
        memory_type="reminder",
        expires_at=moment.isoformat(),
    )
    assert memory["expires_at"] == iso(moment)


async def test_a_permanent_memory_has_no_expiry_and_keeps_its_metadata(client: Client) -> None:
    memory = await call(
        client, "remember_permanent", content="User prefers dark mode", metadata={"source": "settings", "weight": 2}
    )
    assert memory["expires_at"] is None
    assert memory["expiration_date"] is None
    assert memory["expires_in"] is None
    assert memory["memory_type"] == "preference"
    assert memory["metadata"] == {"source": "settings", "weight": 2}


async def test_remembering_the_same_text_refreshes_instead_of_duplicating(client: Client, clock, db) -> None:
    first = await call(client, "remember_temporary", content="Reading about  sourdough starters", expires_in_days=2)
    again = await call(client, "remember_temporary", content="reading ABOUT sourdough starters ", expires_in_days=5)
    shorter = await call(client, "remember_temporary", content="Reading about sourdough starters", expires_in_days=1)

    assert first["id"] == again["id"] == shorter["id"]
    assert shorter["expires_at"] == iso(clock.now() + timedelta(days=5))  # the later expiry wins
    assert db.count_rows() == 1


async def test_a_refresh_keeps_the_first_created_at_and_merges_metadata(client: Client, clock) -> None:
    first = await call(client, "remember_temporary", content="Watching a cooking series", metadata={"a": 1})
    clock.advance(hours=1)
    again = await call(client, "remember_temporary", content="Watching a cooking series", metadata={"b": "x"})
    assert again["created_at"] == first["created_at"]
    assert again["metadata"] == {"a": 1, "b": "x"}


async def test_permanent_beats_temporary_in_a_refresh(client: Client, db) -> None:
    permanent = await call(client, "remember_permanent", content="Works from home on Fridays", memory_type="fact")
    temporary = await call(
        client, "remember_temporary", content="Works from home on Fridays", memory_type="fact", expires_in_days=3
    )
    assert temporary["id"] == permanent["id"]
    assert temporary["expires_at"] is None
    upgraded = await call(client, "remember_temporary", content="Gym at 7", memory_type="routine")
    made_permanent = await call(client, "remember_permanent", content="gym at 7", memory_type="routine")
    assert made_permanent["id"] == upgraded["id"] and made_permanent["expires_at"] is None
    assert db.count_rows() == 2


async def test_the_same_text_with_another_type_is_a_separate_memory(client: Client, db) -> None:
    await call(client, "remember_temporary", content="Likes Italian food", memory_type="chat")
    await call(client, "remember_permanent", content="Likes Italian food", memory_type="preference")
    assert db.count_rows() == 2


@pytest.mark.parametrize("settings_overrides", [{"sweep_interval_seconds": 10**9}])
async def test_an_expired_twin_does_not_swallow_a_new_memory(client: Client, clock, db) -> None:
    old = await call(client, "remember_temporary", content="Trip to Oslo next week", expires_in_days=1)
    clock.advance(days=2)
    new = await call(client, "remember_temporary", content="Trip to Oslo next week")
    assert new["id"] != old["id"]
    assert db.count_rows() == 2  # a row of its own, beside the expired one no sweep has deleted yet
    assert new["expires_at"] == iso(clock.now() + timedelta(days=7))
    assert contents(await call(client, "recall", query="Oslo trip")) == ["Trip to Oslo next week"]


@pytest.mark.parametrize("kind", ["preference", "account", "fact", "milestone", " Preference "])
async def test_a_permanent_type_on_remember_temporary_without_an_expiry_is_refused_naming_remember_permanent(
    client: Client, db, kind: str
) -> None:
    await call(client, "remember_permanent", content="Prefers aisle seats")
    refused = await call_error(client, "remember_temporary", content="Prefers window seats", memory_type=kind)
    assert refused.startswith(
        f"Error executing tool remember_temporary: memory_type '{kind.strip().lower()}' is permanent: use remember_permanent to keep it."
    )
    assert "expires_in_days or expires_at" in refused and refused.endswith("Nothing was stored.")
    assert db.count_rows() == 1


async def test_a_permanent_type_on_remember_temporary_with_an_explicit_expiry_is_kept_that_long(
    client: Client, clock
) -> None:
    trip = await call(
        client,
        "remember_temporary",
        content="Prefers the window seat on this trip",
        memory_type="preference",
        expires_in_days=5,
    )
    assert trip["memory_type"] == "preference" and trip["expires_at"] == iso(clock.now() + timedelta(days=5))
    dated = await call(
        client,
        "remember_temporary",
        content="Has a guest pass",
        memory_type="account",
        expires_at=(clock.now() + timedelta(days=30)).date().isoformat(),
    )
    assert dated["expires_at"] is not None


@pytest.mark.parametrize("kind", ["session", "chat", "reminder", "cache", "SESSION"])
async def test_a_temporary_type_on_remember_permanent_is_refused_naming_remember_temporary(
    client: Client, db, kind: str
) -> None:
    await call(client, "remember_permanent", content="Prefers aisle seats")
    refused = await call_error(client, "remember_permanent", content="Browsing teapots", memory_type=kind)
    assert refused.startswith(
        f"Error executing tool remember_permanent: memory_type '{kind.lower()}' is temporary: use remember_temporary for it"
    )
    assert "renew_memory" in refused and refused.endswith("Nothing was stored.")
    assert db.count_rows() == 1


async def test_the_instructions_and_descriptions_say_which_tool_takes_which_types(client: Client) -> None:
    text = client.instructions
    assert text is not None
    assert "remember_temporary takes a permanent type only with expires_in_days or expires_at" in text
    assert "remember_permanent never takes a temporary one" in text
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    temporary_type = tools["remember_temporary"].input_schema["properties"]["memory_type"]["description"]
    assert "needs expires_in_days or expires_at here" in temporary_type
    permanent_type = tools["remember_permanent"].input_schema["properties"]["memory_type"]["description"]
    assert "not session, chat, reminder or cache" in permanent_type
