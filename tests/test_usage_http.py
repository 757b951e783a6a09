"""Over streamable HTTP with tokens, `memory://forgotten` and `memory://insights` show each user only their own."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from support import call
from test_http import ALICE, BOB, as_user, http_server

pytestmark = [pytest.mark.anyio, pytest.mark.slow]  # starts the console script


@pytest.fixture
async def server_url(tmp_path: Path) -> AsyncIterator[str]:
    tokens = json.dumps({ALICE: "alice", BOB: "bob"})
    async with http_server(tmp_path, EXPIRING_MEMORY_HTTP_TOKENS=tokens) as url:
        yield url


async def read(client, uri: str) -> dict:
    (content,) = (await client.read_resource(uri)).contents
    return json.loads(content.text)


async def test_each_token_reads_only_its_own_ledger_and_insights(server_url: str) -> None:
    async with as_user(server_url, ALICE) as alice, as_user(server_url, BOB) as bob:
        memory = await call(alice, "remember_temporary", content="Gate code quokka 9981", memory_type="cache")
        await call(alice, "forget", memory_id=memory["id"])
        assert [e["id"] for e in (await read(alice, "memory://forgotten"))["entries"]] == [memory["id"]]
        assert (await read(bob, "memory://forgotten"))["entries"] == []
        alice_cache = {t["memory_type"]: t for t in (await read(alice, "memory://insights"))["types"]}["cache"]
        bob_cache = {t["memory_type"]: t for t in (await read(bob, "memory://insights"))["types"]}["cache"]
        assert (alice_cache["forgotten"], bob_cache["forgotten"]) == (1, 0)
