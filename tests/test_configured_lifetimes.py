"""What the model reads shows the lifetimes configured, not the defaults: the instructions in the initialize result
and remember_temporary's `memory_type`, through a real MCP session, in memory and from the console script."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from expiring_memory_mcp.retention import parse_iso
from support import SCRIPT, server_env

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"ttl_session_days": 2, "ttl_reminder_days": 0.5, "ttl_default_days": 1}


async def test_instructions_and_memory_type_say_the_configured_lifetimes_in_words(client: Client) -> None:
    said = "session 2 days, chat 30 days, reminder 0.5 days, cache 1 day; other types 1 day"
    assert f"types and lifetimes: {said})" in str(client.instructions)
    tools = {t.name: t for t in (await client.list_tools()).tools}
    described = tools["remember_temporary"].input_schema["properties"]["memory_type"]["description"]
    assert f"without an expiry they last {said}." in described
    assert "7 days" not in described and "1 days" not in described


async def test_a_memory_lasts_as_long_as_the_description_says(client: Client) -> None:
    result = await client.call_tool(
        "remember_temporary", {"content": "Comparing two laptops", "memory_type": "session"}
    )
    stored = result.structured_content or {}
    assert parse_iso(stored["expires_at"]) - parse_iso(stored["created_at"]) == timedelta(days=2)


@pytest.mark.slow  # starts the console script
async def test_the_stdio_server_started_with_a_lifetime_setting_tells_the_model_that_lifetime(tmp_path: Path) -> None:
    env = server_env(tmp_path, tmp_path / "data", EXPIRING_MEMORY_TTL_SESSION_DAYS="2")
    with anyio.fail_after(120):
        async with Client(StdioServerParameters(command=SCRIPT, env=env)) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            instructions = str(client.instructions)
    described = tools["remember_temporary"].input_schema["properties"]["memory_type"]["description"]
    for text in (instructions, described):
        assert "session 2 days, chat 30 days, reminder 1 day, cache 1 day; other types 7 days" in text
