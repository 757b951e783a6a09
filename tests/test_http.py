"""`serve --http`: the real console script serving MCP over streamable HTTP, reached by a real HTTP MCP client.

Bearer tokens map to users; a wrong or missing token gets 401, a forged Host header 421 (DNS rebinding), and
binding a public address without tokens is refused before anything is served.
"""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from support import SCRIPT, Database, call, contents, server_env

pytestmark = [pytest.mark.anyio, pytest.mark.slow]  # every test starts the console script

ALICE, BOB = "alice-token-" + "a" * 32, "bob-token-" + "b" * 32
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@asynccontextmanager
async def http_server(tmp_path: Path, stderr: Path | None = None, **extra_env: str) -> AsyncIterator[str]:
    """The console script serving HTTP on a free loopback port; yields its MCP endpoint once it answers. Its stderr
    goes to the file `stderr` if given."""
    port = free_port()
    env = server_env(tmp_path, tmp_path / "data", **extra_env)
    command = [SCRIPT, "serve", "--http", "--host", "127.0.0.1", "--port", str(port)]
    with stderr.open("ab") if stderr else nullcontext() as err:
        process = await anyio.open_process(command, env=env, stdout=None, stderr=err)
    async with process:
        url = f"http://127.0.0.1:{port}/mcp"
        try:
            with anyio.fail_after(60):
                async with httpx.AsyncClient() as probe:
                    while True:  # readiness: the port answers at all
                        try:
                            await probe.get(url)
                            break
                        except httpx.TransportError:
                            await anyio.sleep(0.05)
            yield url
        finally:
            process.terminate()
            with anyio.move_on_after(20):
                await process.wait()


@pytest.fixture
async def server_url(tmp_path: Path) -> AsyncIterator[str]:
    tokens = json.dumps({ALICE: "alice", BOB: "bob"})
    async with http_server(tmp_path, EXPIRING_MEMORY_HTTP_TOKENS=tokens) as url:
        yield url


@asynccontextmanager
async def as_user(url: str, token: str) -> AsyncIterator[Client]:
    """An MCP session over HTTP with a bearer token; its HTTP client is closed after it (the SDK leaves one it was given
    open)."""
    async with (
        create_mcp_http_client(headers={"Authorization": f"Bearer {token}"}) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client


async def test_no_token_or_a_wrong_token_gets_401(server_url: str) -> None:
    async with httpx.AsyncClient() as http:
        missing = await http.post(server_url, json=INITIALIZE, headers=MCP_HEADERS)
        wrong = await http.post(
            server_url, json=INITIALIZE, headers={**MCP_HEADERS, "Authorization": f"Bearer {ALICE}x"}
        )
        right = await http.post(
            server_url, json=INITIALIZE, headers={**MCP_HEADERS, "Authorization": f"Bearer {ALICE}"}
        )
    assert missing.status_code == 401
    assert wrong.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert right.status_code == 200


async def test_serving_with_tokens_starts_without_a_warning(tmp_path: Path) -> None:
    log = tmp_path / "stderr.log"
    tokens = json.dumps({ALICE: "alice"})
    async with http_server(tmp_path, stderr=log, EXPIRING_MEMORY_HTTP_TOKENS=tokens) as url, as_user(url, ALICE) as c:
        await call(c, "remember_permanent", content="Prefers tea")
    started = log.read_text()
    assert "serving MCP over streamable HTTP" in started
    assert "Warning" not in started and "validate_token_resource" not in started, started


async def test_a_forged_host_header_gets_421_even_with_a_good_token(server_url: str) -> None:
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {ALICE}", "Host": "attacker.example:8765"}
    async with httpx.AsyncClient() as http:
        response = await http.post(server_url, json=INITIALIZE, headers=headers)
    assert response.status_code == 421


async def test_a_full_tool_round_trip_over_http(server_url: str) -> None:
    async with as_user(server_url, ALICE) as alice:
        assert len((await alice.list_tools()).tools) == 7
        stored = await call(alice, "remember_temporary", content="Reviewing the Q3 budget draft", memory_type="session")
        assert stored["expires_in"] == "in 7 days"
        assert [m["content"] for m in (await call(alice, "recall", query="budget"))["memories"]] == [stored["content"]]
        assert [m["id"] for m in (await call(alice, "expiring_soon", within_days=8))["memories"]] == [stored["id"]]
        renewed = await call(alice, "renew_memory", memory_id=stored["id"], permanent=True)
        assert renewed["expires_at"] is None
        assert await call(alice, "forget", memory_id=stored["id"]) == {"deleted": stored["id"]}
        assert (await call(alice, "recall", query="budget"))["memories"] == []


async def test_two_tokens_never_see_each_others_memories(server_url: str, tmp_path: Path) -> None:
    async with as_user(server_url, ALICE) as alice, as_user(server_url, BOB) as bob:
        mine = await call(alice, "remember_permanent", content="Alice's locker code is 4417", memory_type="account")
        assert (await call(bob, "recall", query="locker code"))["memories"] == []
        assert (await call(bob, "expiring_soon", within_days=36500))["memories"] == []
        for tool, arguments in [("forget", {}), ("renew_memory", {"permanent": True})]:
            result = await bob.call_tool(tool, {"memory_id": mine["id"], **arguments})
            assert result.is_error and "No memory with id" in result.content[0].text
        his = await call(bob, "remember_permanent", content="Bob's locker code is 9902", memory_type="account")
        assert [m["content"] for m in (await call(alice, "recall", query="locker code"))["memories"]] == [
            "Alice's locker code is 4417"
        ]
    assert Database(tmp_path / "data" / "memories.db").users() == {mine["id"]: "alice", his["id"]: "bob"}


async def test_loopback_without_tokens_serves_the_configured_user(tmp_path: Path) -> None:
    async with http_server(tmp_path, EXPIRING_MEMORY_USER_ID="carol") as url, Client(url) as client:
        stored = await call(client, "remember_permanent", content="Prefers window seats")
        assert contents(await call(client, "recall", query="window seats")) == ["Prefers window seats"]
    assert stored["content"] == "Prefers window seats"
    assert Database(tmp_path / "data" / "memories.db").users() == {stored["id"]: "carol"}  # not the default user


async def test_a_public_address_without_tokens_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    command = [SCRIPT, "serve", "--http", "--host", "0.0.0.0", "--port", str(free_port())]
    with anyio.fail_after(60):
        result = await anyio.run_process(command, env=server_env(tmp_path, tmp_path / "data"), check=False)
    assert result.returncode != 0
    assert "refusing to serve memories on 0.0.0.0 without authentication" in result.stderr.decode()
    assert "EXPIRING_MEMORY_HTTP_TOKENS" in result.stderr.decode()
    assert result.stdout == b""
    assert not (tmp_path / "data").exists()  # nothing was opened
