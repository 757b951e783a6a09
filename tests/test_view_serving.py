"""How the memory view is served: the open_memory_view tool through MCP (one view per data dir, reused by a second
server and stopped with its process), `expiring-memory-mcp ui` as a process, and /ui on `serve --http`, where each
bearer token sees only its own user's memories."""

from __future__ import annotations

import json
import re
import socket
import subprocess
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client, StdioServerParameters

from cli_script import cli_env, one_line_error, script
from expiring_memory_mcp.settings import Settings
from support import SCRIPT, call, server_env, serving
from test_http import ALICE, BOB, as_user, free_port, http_server

pytestmark = pytest.mark.anyio


async def test_open_memory_view_returns_a_new_link_each_time_and_a_second_server_reuses_the_view(
    client: Client, settings: Settings, clock: Any, embedder: Any
) -> None:
    await call(client, "remember_permanent", content="Prefers tea over coffee")
    first = await call(client, "open_memory_view")
    assert first["url"].startswith("http://127.0.0.1:") and "?token=" in first["url"]
    assert first["already_running"] is False
    async with serving(settings, clock, embedder) as other:
        second = await call(other, "open_memory_view")
    third = await call(client, "open_memory_view")
    assert second["already_running"] is True and third["already_running"] is True
    links = [first["url"], second["url"], third["url"]]
    assert len({link.partition("?")[0] for link in links}) == 1 and len(set(links)) == 3  # one view, three links
    state = settings.data_dir / "memory-view.json"
    assert state.stat().st_mode & 0o777 == 0o600
    assert "token" not in state.read_text()  # no sign-in link at rest
    for link in links:  # each signs a browser in, once
        async with httpx.AsyncClient() as browser, httpx.AsyncClient() as later:
            assert (await browser.get(link)).status_code == 200
            page = await browser.get(link.partition("?")[0])
            again = await later.get(link)
        assert page.status_code == 200 and "Prefers tea over coffee" in page.text
        assert again.status_code == 401 and "already been used" in again.text and "Prefers" not in again.text


async def test_another_process_gets_a_new_link_from_the_running_view_only_with_the_secret_in_the_state_file(
    client: Client, settings: Settings
) -> None:
    """What a second server process does (launch.py): POST /launch with the secret from memory-view.json."""
    first = await call(client, "open_memory_view")
    state = json.loads((settings.data_dir / "memory-view.json").read_text())
    launch = f"http://127.0.0.1:{state['port']}/launch"
    async with httpx.AsyncClient() as http:
        for wrong in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {state['secret']}x"}):
            assert (await http.post(launch, headers=wrong)).status_code == 403
        answer = await http.post(launch, headers={"Authorization": f"Bearer {state['secret']}"})
        fresh = answer.json()["url"]
        assert fresh.partition("?")[0] == first["url"].partition("?")[0] and fresh != first["url"]
        assert (await http.get(fresh)).status_code == 200


async def test_the_view_failing_to_start_is_an_error_the_tool_says_and_nothing_is_kept(
    settings: Settings, clock: Any, embedder: Any
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        fixed = settings.model_copy(update={"view_port": port})
        async with serving(fixed, clock, embedder) as client:
            refused = await client.call_tool("open_memory_view", {})
    assert refused.is_error
    said = refused.content[0].text
    assert f"The memory view could not start: port {port} on 127.0.0.1 cannot be used" in said
    assert "EXPIRING_MEMORY_VIEW_PORT" in said
    assert not (settings.data_dir / "memory-view.json").exists()


async def test_the_view_serves_on_the_configured_port(settings: Settings, clock: Any, embedder: Any) -> None:
    port = free_port()
    async with serving(settings.model_copy(update={"view_port": port}), clock, embedder) as client:
        opened = await call(client, "open_memory_view")
    assert opened["url"].startswith(f"http://127.0.0.1:{port}/?token=")
    async with httpx.AsyncClient() as http:
        assert (await http.get(opened["url"])).status_code == 200


async def test_a_stale_view_file_is_not_trusted(client: Client, settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    stale = {"port": 1, "user": "alice", "secret": "old"}
    (settings.data_dir / "memory-view.json").write_text(json.dumps(stale))
    opened = await call(client, "open_memory_view")
    assert opened["already_running"] is False and not opened["url"].startswith("http://127.0.0.1:1/")


@pytest.mark.slow
async def test_a_second_server_process_gets_a_new_link_to_the_view_of_the_first_which_stops_when_it_exits(
    tmp_path: Path, client: Client, settings: Settings
) -> None:
    env = server_env(tmp_path, settings.data_dir)  # the same data dir and user as `client`, in another process
    params = StdioServerParameters(command=SCRIPT, args=["serve"], env=env)
    with anyio.fail_after(120):
        async with Client(params) as first:
            url = (await call(first, "open_memory_view"))["url"]
            other = await call(client, "open_memory_view")  # asks the first process's view for a link (POST /launch)
            assert other["already_running"] is True and other["url"] != url
            assert other["url"].partition("?")[0] == url.partition("?")[0]
            async with httpx.AsyncClient() as http, httpx.AsyncClient() as second:
                assert (await http.get(url)).status_code == 200
                assert (await second.get(other["url"])).status_code == 200
    with anyio.fail_after(30):
        async with httpx.AsyncClient() as http:
            with pytest.raises(httpx.TransportError):
                await http.get(url)


@pytest.mark.slow
def test_the_ui_command_prints_a_token_link_and_serves_only_with_it(tmp_path: Path) -> None:
    port = free_port()
    env = server_env(tmp_path, tmp_path / "data")
    command = [SCRIPT, "ui", "--port", str(port)]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            link = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=[\w-]{40,}", line)
            assert link is not None and int(link[1]) == port, line
            with httpx.Client() as http:
                assert http.get(f"http://127.0.0.1:{port}/").status_code == 401
                assert http.get(link[0]).status_code == 200
                assert http.get(f"http://127.0.0.1:{port}/").status_code == 200  # the cookie
        finally:
            process.terminate()
            process.communicate(timeout=30)


@pytest.mark.slow
def test_the_ui_command_refuses_to_bind_beyond_loopback_without_tokens(tmp_path: Path) -> None:
    env = server_env(tmp_path, tmp_path / "data")
    command = [SCRIPT, "ui", "--host", "0.0.0.0"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1 and done.stdout == ""
    assert "refusing to serve memories on 0.0.0.0 without authentication" in done.stderr


@pytest.mark.slow
async def test_on_serve_http_the_view_at_ui_shows_each_token_only_its_own_memories(tmp_path: Path) -> None:
    tokens = json.dumps({ALICE: "alice", BOB: "bob"})
    async with http_server(tmp_path, EXPIRING_MEMORY_HTTP_TOKENS=tokens) as url:
        async with as_user(url, ALICE) as alice, as_user(url, BOB) as bob:
            await call(alice, "remember_permanent", content="Alice's locker code is 4417", memory_type="account")
            await call(bob, "remember_permanent", content="Bob's locker code is 9902", memory_type="account")
            refused = await alice.call_tool("open_memory_view", {})
            assert refused.is_error and "/ui" in refused.content[0].text
        ui = url.removesuffix("/mcp") + "/ui/"
        async with httpx.AsyncClient() as nobody, httpx.AsyncClient() as as_alice, httpx.AsyncClient() as as_bob:
            assert (await nobody.get(ui)).status_code == 401
            assert (await nobody.get(ui, params={"token": ALICE + "x"})).status_code == 401
            assert (await as_alice.get(ui, params={"token": ALICE})).status_code == 200
            assert (await as_bob.post(ui + "signin", data={"token": BOB})).status_code == 200
            alices, bobs = (await as_alice.get(ui)).text, (await as_bob.get(ui)).text
            forged = await as_alice.get(ui, headers={"Host": "attacker.example"})
    assert "4417" in alices and "9902" not in alices
    assert "9902" in bobs and "4417" not in bobs
    assert forged.status_code == 421


@pytest.mark.slow
async def test_serve_http_without_tokens_logs_a_link_to_the_view_and_serves_it_only_with_it(tmp_path: Path) -> None:
    log = tmp_path / "stderr.log"
    async with http_server(tmp_path, stderr=log) as url, Client(url) as client:
        await call(client, "remember_permanent", content="Prefers window seats")
        link = re.search(r"the memory view is at (http://\S+/ui/\?token=[\w-]+)", log.read_text())
        assert link is not None, log.read_text()
        async with httpx.AsyncClient() as http:
            assert (await http.get(url.removesuffix("/mcp") + "/ui/")).status_code == 401
            assert (await http.get(link[1])).status_code == 200
            assert "Prefers window seats" in (await http.get(url.removesuffix("/mcp") + "/ui/")).text


def test_the_ui_command_reads_the_http_tokens_and_a_bad_value_is_one_line_with_exit_code_2(tmp_path: Path) -> None:
    env = cli_env(tmp_path, tmp_path / "data")
    for bad, reason in (("notjson", "(not JSON)"), ('{"too-short": "alice"}', "(each HTTP token ")):
        done = script(env, "ui", "--port", str(free_port()), EXPIRING_MEMORY_HTTP_TOKENS=bad)
        said = one_line_error(done, code=2)
        assert said.startswith(f"expiring-memory-mcp: error: EXPIRING_MEMORY_HTTP_TOKENS is not accepted {reason}")
        assert "too-short" not in said and "notjson" not in said  # a token is never repeated back
    assert not (tmp_path / "data").exists()  # nothing was opened, nothing served
