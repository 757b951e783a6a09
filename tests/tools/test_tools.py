"""The seven tools as a whole, through a real in-memory MCP session on the real stack (Mem0 with the bundled embedder)
on the embedded SQLite store and again on pgvector (tools/conftest.py): how they are listed and introduced, whose
memories they see, and which clock they start from. Each tool group has its own test_tools_*.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from mcp import Client

from expiring_memory_mcp.retention import parse_iso
from support import call, call_error, contents, serving

pytestmark = pytest.mark.anyio


async def test_the_seven_tools_are_listed_with_their_annotations_and_output_schemas(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == {
        "remember_temporary",
        "remember_permanent",
        "recall",
        "expiring_soon",
        "forget",
        "renew_memory",
        "open_memory_view",
    }
    view = tools["open_memory_view"].annotations  # it starts a local server, and changes no memory
    assert (view.read_only_hint, view.destructive_hint, view.idempotent_hint, view.open_world_hint) == (
        False,
        False,
        True,
        False,
    )
    assert tools["recall"].annotations.read_only_hint is True
    assert tools["expiring_soon"].annotations.read_only_hint is True
    assert tools["forget"].annotations.destructive_hint is True
    assert tools["remember_temporary"].annotations.read_only_hint is False
    for tool in tools.values():
        assert tool.output_schema is not None, tool.name
        assert tool.description and "\n" not in tool.description.strip(), tool.name
    assert set(tools["remember_temporary"].input_schema["properties"]) == {
        "content",
        "memory_type",
        "expires_in_days",
        "expires_at",
        "metadata",
    }
    assert set(tools["recall"].input_schema["properties"]) == {"query", "memory_types", "limit"}
    assert "user_id" not in str([t.input_schema for t in tools.values()])


async def test_instructions_say_when_to_use_temporary_and_when_permanent(client: Client) -> None:
    text = client.instructions
    for word in (
        "remember_permanent",
        "preferences",
        "account",
        "milestones",
        "remember_temporary",
        "session",
        "browsing",
        "recent chat",
        "reminders",
        "cached",
    ):
        assert word in text


async def test_memories_are_scoped_to_the_configured_user(client: Client, settings, clock, embedder, db) -> None:
    mine = await call(client, "remember_permanent", content="Alice likes green tea")
    bob_settings = settings.model_copy(update={"user_id": "bob"})
    async with serving(bob_settings, clock, embedder) as bob:
        assert (await call(bob, "recall", query="green tea"))["memories"] == []
        assert "No memory with id" in await call_error(bob, "forget", memory_id=mine["id"])
        assert "No memory with id" in await call_error(bob, "renew_memory", memory_id=mine["id"], permanent=True)
        his = await call(bob, "remember_permanent", content="Alice likes green tea")
    assert db.count_rows() == 2
    assert db.users() == {mine["id"]: "alice", his["id"]: "bob"}
    assert contents(await call(client, "recall", query="green tea")) == ["Alice likes green tea"]


async def test_a_memory_made_at_the_start_of_a_test_is_created_at_the_real_time_and_found(client: Client) -> None:
    """The injected clock starts at the real time: Mem0 still checks its day-granular date against the real clock."""
    memory = await call(client, "remember_temporary", content="Checking the train times", memory_type="chat")
    created = parse_iso(memory["created_at"])

    assert created <= datetime.now(UTC) < created + timedelta(minutes=1)
    assert parse_iso(memory["expires_at"]) == created + timedelta(days=30)
    assert memory["expiration_date"] == (created + timedelta(days=30)).date().isoformat()
    assert contents(await call(client, "recall", query="train times")) == ["Checking the train times"]
