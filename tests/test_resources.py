"""The resources through a real in-memory MCP session on the real stack: each holds the same data as its tool or
command, and an expired or forgotten memory reads as not found."""

from __future__ import annotations

import io
import json
from functools import partial
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS

from expiring_memory_mcp import cli
from expiring_memory_mcp.backends import open_backend
from expiring_memory_mcp.memory_types import MEMORY_TYPES
from expiring_memory_mcp.settings import Settings
from support import call

pytestmark = pytest.mark.anyio


async def read(client: Client, uri: str) -> Any:
    """A resource that must read; its JSON."""
    result = await client.read_resource(uri)
    [content] = result.contents
    assert content.mime_type == "application/json"
    return json.loads(content.text)  # type: ignore[union-attr]


async def not_found(client: Client, uri: str) -> str:
    with pytest.raises(MCPError) as refused:
        await client.read_resource(uri)
    assert refused.value.error.code == INVALID_PARAMS
    return refused.value.error.message


async def test_the_server_lists_its_resources_and_the_memory_template(client: Client) -> None:
    listed = {r.uri: r for r in (await client.list_resources()).resources}
    assert list(listed) == [
        "memory://expiring-soon",
        "memory://stats",
        "memory://types",
        "memory://forgotten",
        "memory://insights",
    ]
    assert all(r.mime_type == "application/json" and r.title and r.description for r in listed.values())
    [template] = (await client.list_resource_templates()).resource_templates
    assert template.uri_template == "memory://memories/{id}" and template.mime_type == "application/json"


async def test_expiring_soon_holds_what_the_tool_lists_for_the_next_seven_days(client: Client, clock: Any) -> None:
    await call(client, "remember_temporary", content="Dentist on Thursday at 9", memory_type="reminder")
    await call(client, "remember_temporary", content="Comparing laptops", expires_in_days=6)
    await call(client, "remember_temporary", content="Talked about the move", memory_type="chat")
    await call(client, "remember_permanent", content="Prefers tea")

    resource = await read(client, "memory://expiring-soon")
    assert resource == await call(client, "expiring_soon", within_days=7, limit=200)
    assert [m["content"] for m in resource["memories"]] == ["Dentist on Thursday at 9", "Comparing laptops"]

    clock.advance(days=2)  # the reminder has expired; the rest are two days nearer
    resource = await read(client, "memory://expiring-soon")
    assert resource == await call(client, "expiring_soon", within_days=7, limit=200)
    assert [m["content"] for m in resource["memories"]] == ["Comparing laptops"]


async def test_stats_holds_what_the_stats_command_shows(
    client: Client, settings: Settings, clock: Any, embedder: Any
) -> None:
    await call(client, "remember_temporary", content="Comparing laptops")
    await call(client, "remember_permanent", content="Allergic to peanuts", memory_type="fact")
    out = io.StringIO()
    build = partial(open_backend, settings, embedder)
    assert cli.run(["stats", "--json"], settings, clock=clock, build=build, stdout=out) == 0
    command = json.loads(out.getvalue())

    resource = await read(client, "memory://stats")
    assert resource == command
    assert resource["live"] == 2 and resource["by_type"] == {"fact": 1, "session": 1}


@pytest.mark.parametrize("settings_overrides", [{"ttl_session_days": 2, "ttl_default_days": 3}])
async def test_types_show_each_type_with_its_configured_lifetime_and_live_count(client: Client) -> None:
    await call(client, "remember_temporary", content="Comparing laptops")
    await call(client, "remember_temporary", content="Browsing flights")
    await call(client, "remember_permanent", content="Prefers tea")
    await call(client, "remember_temporary", content="Watering plan", memory_type="garden")

    types = await read(client, "memory://types")
    by_name = {t["name"]: t for t in types["types"]}
    assert list(by_name) == [t.name for t in MEMORY_TYPES]
    assert by_name["session"] == {
        "name": "session",
        "permanent": False,
        "lifetime_days": 2,
        "setting": "EXPIRING_MEMORY_TTL_SESSION_DAYS",
        "live": 2,
    }
    assert by_name["chat"]["lifetime_days"] == 30 and by_name["chat"]["live"] == 0
    assert by_name["preference"] == {
        "name": "preference",
        "permanent": True,
        "lifetime_days": None,
        "setting": None,
        "live": 1,
    }
    assert types["other_lifetime_days"] == 3 and types["other_live"] == {"garden": 1}
    stats = await read(client, "memory://stats")
    assert {t["name"]: t["live"] for t in types["types"] if t["live"]} | types["other_live"] == stats["by_type"]


async def test_a_memory_reads_as_the_tools_show_it(client: Client) -> None:
    stored = await call(client, "remember_temporary", content="Comparing laptops", metadata={"budget": 900})
    assert stored.pop("redacted") == []  # what a remember tool says of secrets it kept out, not part of the memory
    assert await read(client, f"memory://memories/{stored['id']}") == stored
    renewed = await call(client, "renew_memory", memory_id=stored["id"], permanent=True)
    assert await read(client, f"memory://memories/{stored['id']}") == renewed


async def test_an_expired_memory_reads_as_not_found(client: Client, clock: Any) -> None:
    stored = await call(client, "remember_temporary", content="Parking spot is B12", memory_type="cache")
    clock.advance(days=1, seconds=1)
    message = await not_found(client, f"memory://memories/{stored['id']}")
    assert "No memory with id" in message and "expired or been forgotten" in message


async def test_a_forgotten_memory_reads_as_not_found(client: Client) -> None:
    stored = await call(client, "remember_permanent", content="Prefers tea")
    await call(client, "forget", memory_id=stored["id"])
    assert "No memory with id" in await not_found(client, f"memory://memories/{stored['id']}")


async def test_an_id_that_is_no_memory_reads_as_not_found(client: Client) -> None:
    assert "No memory with id 'not-an-id'" in await not_found(client, "memory://memories/not-an-id")
    assert "Unknown resource" in await not_found(client, "memory://nothing-here")
