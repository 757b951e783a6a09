"""The stdio server (the real console script) serves the resources and prompts and declares resource notifications to
both kinds of client: its own stdio loop builds the initialize result, so the process is what is under test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from support import SCRIPT, call, server_env

pytestmark = [pytest.mark.anyio, pytest.mark.slow]  # every test starts a process


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_stdio_serves_resources_and_prompts_and_declares_their_notifications(tmp_path: Path, mode: str) -> None:
    params = StdioServerParameters(command=SCRIPT, env=server_env(tmp_path, tmp_path / "data"))
    async with Client(params, mode=mode) as client:  # type: ignore[arg-type]
        resources = client.server_capabilities.resources
        assert resources is not None and resources.subscribe and resources.list_changed
        stored = await call(client, "remember_temporary", content="Comparing laptops")
        [content] = (await client.read_resource(f"memory://memories/{stored['id']}")).contents
        assert json.loads(content.text)["content"] == "Comparing laptops"  # type: ignore[union-attr]
        assert [p.name for p in (await client.list_prompts()).prompts] == ["review-expiring", "remember-preferences"]
