"""The real console script as a stdio subprocess: the process boundary is what these tests are about."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.streams.text import TextReceiveStream
from mcp import Client, StdioServerParameters

from support import SCRIPT, server_env

pytestmark = [pytest.mark.anyio, pytest.mark.slow]  # every test starts a process


def request(id_: int, method: str, params: dict[str, Any]) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": id_, "method": method, "params": params}) + "\n"


def tool_call(id_: int, name: str, **arguments: Any) -> str:
    return request(id_, "tools/call", {"name": name, "arguments": arguments})


async def test_every_stdout_line_is_json_rpc_and_a_tool_call_round_trips(tmp_path: Path) -> None:
    env = server_env(tmp_path, tmp_path / "data", EXPIRING_MEMORY_LOG_LEVEL="DEBUG")
    lines: list[str] = []
    responses: dict[int, dict[str, Any]] = {}
    async with await anyio.open_process([SCRIPT], env=env) as process:
        assert process.stdin and process.stdout
        handshake = {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "raw-test", "version": "0"},
        }
        await process.stdin.send(request(1, "initialize", handshake).encode())
        await process.stdin.send(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}\n')
        await process.stdin.send(request(2, "tools/list", {}).encode())
        await process.stdin.send(tool_call(3, "remember_permanent", content="Prefers tea over coffee").encode())
        with anyio.fail_after(120):
            buffer = ""
            async for chunk in TextReceiveStream(process.stdout):
                buffer += chunk
                *complete, buffer = buffer.split("\n")
                for line in complete:
                    lines.append(line)
                    message = json.loads(line)
                    if "id" in message:
                        responses[message["id"]] = message
                        if message["id"] == 3:  # calls run concurrently: recall only once the write is acknowledged
                            await process.stdin.send(tool_call(4, "recall", query="hot drinks").encode())
                if len(responses) == 4:
                    await process.stdin.aclose()
            lines.extend(x for x in buffer.split("\n") if x)
        await process.wait()

    for line in lines:
        assert json.loads(line)["jsonrpc"] == "2.0", line
    assert responses[1]["result"]["serverInfo"]["name"] == "expiring-memory"
    assert len(responses[2]["result"]["tools"]) == 7
    assert responses[3]["result"]["structuredContent"]["content"] == "Prefers tea over coffee"
    recalled = responses[4]["result"]["structuredContent"]["memories"]
    assert [m["content"] for m in recalled] == ["Prefers tea over coffee"]
    assert list((tmp_path / "home").iterdir()) == [] and list((tmp_path / "tmp").iterdir()) == []


async def test_two_server_processes_share_one_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    params = StdioServerParameters(command=SCRIPT, env=server_env(tmp_path, data_dir))
    with anyio.fail_after(120):
        async with Client(params) as desktop, Client(params) as code:
            a = await desktop.call_tool("remember_permanent", {"content": "Uses Neovim for Python"})
            b = await code.call_tool("remember_temporary", {"content": "Debugging a flaky CI job"})
            assert not a.is_error and not b.is_error
            seen_by_desktop = await desktop.call_tool("recall", {"query": "flaky CI job"})
            seen_by_code = await code.call_tool("recall", {"query": "which editor"})
            again = await code.call_tool("remember_permanent", {"content": "uses neovim for python"})
    assert seen_by_desktop.structured_content["memories"][0]["content"] == "Debugging a flaky CI job"
    assert seen_by_code.structured_content["memories"][0]["content"] == "Uses Neovim for Python"
    assert again.structured_content["id"] == a.structured_content["id"]
    assert (data_dir.stat().st_mode & 0o777) == 0o700
    assert {p.name: p.stat().st_mode & 0o777 for p in data_dir.glob("*.db")} == {
        "memories.db": 0o600,
        "history.db": 0o600,
    }


async def test_the_claude_desktop_example_config_works_once_its_path_is_filled_in(tmp_path: Path) -> None:
    config = json.loads((Path(__file__).parents[1] / "claude_config.example.json").read_text())
    entry = config["mcpServers"]["expiring-memory"]
    placeholder = "/ABSOLUTE/PATH/TO/expiring-memory-mcp/.venv/bin/expiring-memory-mcp"
    assert entry["command"] == placeholder
    home = tmp_path / "home"
    home.mkdir()
    params = StdioServerParameters(command=SCRIPT, args=entry["args"], env={**entry["env"], "HOME": str(home)})
    with anyio.fail_after(120):
        async with Client(params) as client:
            stored = await client.call_tool("remember_permanent", {"content": "Signs emails with 'Cheers, Sam'"})
            recalled = await client.call_tool("recall", {"query": "email sign-off"})
    assert not stored.is_error
    assert recalled.structured_content["memories"][0]["content"] == "Signs emails with 'Cheers, Sam'"
    assert (home / ".expiring-memory-mcp" / "memories.db").exists()


async def test_python_dash_m_serves_the_same_tools(tmp_path: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "expiring_memory_mcp"], env=server_env(tmp_path, tmp_path / "data")
    )
    with anyio.fail_after(120):
        async with Client(params) as client:
            tools = (await client.list_tools()).tools
    assert len(tools) == 7


def test_importing_the_server_does_not_import_mem0_the_embedder_or_the_cli() -> None:
    import subprocess

    code = (
        "import sys, expiring_memory_mcp.__main__, expiring_memory_mcp.app;"
        "heavy = [m for m in ('mem0', 'numpy', 'onnxruntime', 'tokenizers', 'rich', 'expiring_memory_mcp.cli')"
        " if m in sys.modules];"
        "assert not heavy, heavy"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
