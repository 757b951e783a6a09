"""Resources and notifications over streamable HTTP with bearer tokens, through the real console script: each token's
user reads only its own memories and hears only of its own changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.shared.subscriptions import ResourcesListChanged, ResourceUpdated

from support import call
from test_http import ALICE, BOB, as_user, http_server

pytestmark = [pytest.mark.anyio, pytest.mark.slow]  # every test starts the console script


async def read(client: Client, uri: str) -> Any:
    [content] = (await client.read_resource(uri)).contents
    return json.loads(content.text)  # type: ignore[union-attr]


async def test_each_token_reads_and_hears_only_its_own_memories(tmp_path: Path) -> None:
    tokens = json.dumps({ALICE: "alice", BOB: "bob"})
    async with (
        http_server(tmp_path, EXPIRING_MEMORY_HTTP_TOKENS=tokens) as url,
        as_user(url, ALICE) as alice,
        as_user(url, BOB) as bob,
    ):
        mine = await call(alice, "remember_temporary", content="Alice is comparing laptops")
        trip = await call(bob, "remember_temporary", content="Bob is planning a trip to Lisbon")
        with pytest.raises(MCPError, match="No memory with id"):  # no one watches another user's memory
            async with bob.listen(resource_subscriptions=[f"memory://memories/{mine['id']}"]):
                pass
        async with (
            alice.listen(resources_list_changed=True) as alice_events,
            bob.listen(
                resources_list_changed=True, resource_subscriptions=[f"memory://memories/{trip['id']}"]
            ) as bob_events,
        ):
            await call(alice, "forget", memory_id=mine["id"])
            with anyio.fail_after(10):
                assert await anext(aiter(alice_events)) == ResourcesListChanged()
            await call(bob, "renew_memory", memory_id=trip["id"], expires_in_days=3)
            with anyio.fail_after(10):  # bob's first event is of his own call: no list-changed came of alice's
                assert await anext(aiter(bob_events)) == ResourceUpdated(uri=f"memory://memories/{trip['id']}")
        mine = await call(alice, "remember_temporary", content="Alice is comparing laptops")
        await call(bob, "remember_permanent", content="Bob prefers tea")

        read_back = await read(alice, f"memory://memories/{mine['id']}")
        # the real clock has moved on; `redacted` is what a remember says of secrets, not part of the memory
        assert mine.pop("redacted") == []
        assert read_back | {"expires_in": None} == mine | {"expires_in": None}
        with pytest.raises(MCPError, match="No memory with id"):
            await read(bob, f"memory://memories/{mine['id']}")
        assert (await read(alice, "memory://stats"))["by_type"] == {"session": 1}
        assert (await read(bob, "memory://stats"))["user_id"] == "bob"
        assert [m["id"] for m in (await read(alice, "memory://expiring-soon"))["memories"]] == [mine["id"]]
        assert [m["id"] for m in (await read(bob, "memory://expiring-soon"))["memories"]] == [trip["id"]]
        assert {t["name"]: t["live"] for t in (await read(bob, "memory://types"))["types"]}["preference"] == 1
        assert {t["name"]: t["live"] for t in (await read(alice, "memory://types"))["types"]}["preference"] == 0
