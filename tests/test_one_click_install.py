"""The two one-line installs, as real processes: the MCP Bundle that Claude Desktop installs by double-click, built by
scripts/build-mcpb and launched exactly as the host launches it, and `uvx --from <checkout> expiring-memory-mcp`.

Both run uv (from PyPI, in the test extras), which installs the dependencies from PyPI into folders of the test's
own: its cache, HOME and TMPDIR are empty temporary folders. The host would download a Python if none were there;
here uv is pointed at the one running the tests (UV_PYTHON), and told to use the system's certificates, as a
network that inspects TLS needs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

pytestmark = [pytest.mark.anyio, pytest.mark.slow]  # each builds or installs, then starts the server

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
UV_DOWNLOAD_TIMEOUT = 600  # a first install fetches the dependencies from PyPI (320 MB unpacked)
PLACEHOLDER = re.compile(r"\$\{user_config\.([^}]*)\}")


@pytest.fixture(scope="module")
def uv_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """What the host sets for uv besides the manifest's env: PATH with uv on it, and uv's cache and state (shared by
    the tests here, so PyPI is downloaded from once), removed at the end."""
    base = tmp_path_factory.mktemp("uv")
    tools = base / "bin"
    tools.mkdir()
    for name in ("uv", "uvx"):
        found = shutil.which(name, path=str(BIN)) or shutil.which(name)
        assert found, f"{name} is not installed: pip install -e '.[test]' installs it from PyPI"
        (tools / name).symlink_to(found)
    env = {
        "PATH": os.pathsep.join([str(tools), os.defpath]),
        "UV_CACHE_DIR": str(base / "cache"),
        "UV_TOOL_DIR": str(base / "tools"),  # uvx's own state, which would go in HOME
        "UV_PYTHON": sys._base_executable,  # type: ignore[attr-defined]  # the interpreter this venv was made from
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_SYSTEM_CERTS": "true",
    }
    env |= {k: v for k, v in os.environ.items() if k.upper() in ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY")}
    yield env
    shutil.rmtree(base / "cache", ignore_errors=True)  # hundreds of MB: not left for pytest's last three runs


def clean_env(tmp_path: Path, uv_home: dict[str, str]) -> dict[str, str]:
    """A clean environment: only PATH, uv's settings, and an empty HOME and TMPDIR of this test's own. (The SDK's
    stdio client, like Claude Desktop's, also passes USER, LOGNAME, SHELL and TERM through.)"""
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    return {**uv_home, "HOME": str(home), "TMPDIR": str(tmp)}


# -- the host's launch, reproduced ---------------------------------------------------------------------------------


def host_values(manifest: dict[str, Any], home: Path) -> dict[str, str]:
    """The user_config values the host substitutes when the user keeps every default: each default, with ${HOME}
    replaced. A field without a default that the user left blank has no value: its placeholder stays literal."""
    values = {}
    for key, option in manifest.get("user_config", {}).items():
        if "default" in option:
            values[key] = str(option["default"]).replace("${HOME}", str(home))
    return values


def substitute(text: str, dirname: Path, values: dict[str, str]) -> str:
    text = text.replace("${__dirname}", str(dirname))
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def launch(manifest: dict[str, Any], dirname: Path, env: dict[str, str]) -> StdioServerParameters:
    """The command, arguments and environment Claude Desktop starts the bundle's server with."""
    config = manifest["server"]["mcp_config"]
    values = host_values(manifest, Path(env["HOME"]))
    return StdioServerParameters(
        command=config["command"],
        args=[substitute(arg, dirname, values) for arg in config.get("args", [])],
        env={**env, **{name: substitute(value, dirname, values) for name, value in config.get("env", {}).items()}},
    )


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dist/expiring-memory-mcp.mcpb as scripts/build-mcpb writes it (here into a temporary folder)."""
    out = tmp_path_factory.mktemp("dist") / "expiring-memory-mcp.mcpb"
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "build-mcpb"), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Manifest schema validation passes!" in done.stdout
    return out


# -- what a session must answer, whatever the server lists -----------------------------------------------------------

TOOL_ARGUMENTS: dict[str, dict[str, Any]] = {  # valid arguments for each tool; `{id}` is a memory's id
    "remember_permanent": {"content": "Prefers green tea over coffee", "memory_type": "preference"},
    "remember_temporary": {"content": "Planning a trip to Lisbon in March", "memory_type": "session"},
    "recall": {"query": "what does the user drink"},
    "expiring_soon": {"within_days": 30},
    "renew_memory": {"memory_id": "{id}", "expires_in_days": 14},
    "forget": {"memory_id": "{id}"},
    "open_memory_view": {},
}
LAST = ("renew_memory", "forget")


def filled(arguments: dict[str, Any], memory_id: str) -> dict[str, Any]:
    return {k: v.replace("{id}", memory_id) if isinstance(v, str) else v for k, v in arguments.items()}


def template_uri(template: str, memory_id: str) -> str:
    """A template's URI with each {parameter} given a value: a memory's id for an id, else a number of days."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return memory_id if "id" in name.lower() else "7"

    return re.sub(r"\{([^}]+)\}", value, template)


async def round_trip_everything(client: Client) -> dict[str, list[str]]:
    """Calls every listed tool with valid arguments, reads every resource and template, gets every prompt; each
    must succeed. What was exercised, by kind."""
    seen: dict[str, list[str]] = {"tools": [], "resources": [], "templates": [], "prompts": []}
    tools = [t.name for t in (await client.list_tools()).tools]
    missing = [name for name in tools if name not in TOOL_ARGUMENTS]
    assert not missing, f"give the new tools valid arguments in TOOL_ARGUMENTS: {missing}"
    remembered = await client.call_tool("remember_permanent", TOOL_ARGUMENTS["remember_permanent"])
    assert not remembered.is_error, remembered.content
    assert remembered.structured_content is not None
    memory_id = remembered.structured_content["id"]
    order = [n for n in tools if n not in LAST] + [n for n in LAST if n in tools]
    for name in order:
        if name == "forget":  # everything else reads the memory first
            seen = await read_all(client, memory_id, seen)
        result = await client.call_tool(name, filled(TOOL_ARGUMENTS[name], memory_id))
        assert not result.is_error, (name, result.content)
        assert result.structured_content is not None, name
        seen["tools"].append(name)
    return seen


async def read_all(client: Client, memory_id: str, seen: dict[str, list[str]]) -> dict[str, list[str]]:
    for resource in (await client.list_resources()).resources:
        read = await client.read_resource(str(resource.uri))
        assert read.contents, resource.uri
        seen["resources"].append(str(resource.uri))
    for template in (await client.list_resource_templates()).resource_templates:
        uri = template_uri(template.uri_template, memory_id)
        read = await client.read_resource(uri)
        assert read.contents, uri
        seen["templates"].append(template.uri_template)
    for prompt in (await client.list_prompts()).prompts:
        arguments = {a.name: "7" for a in prompt.arguments or [] if a.required}
        got = await client.get_prompt(prompt.name, arguments)
        assert got.messages, prompt.name
        seen["prompts"].append(prompt.name)
    return seen


# -- the tests -------------------------------------------------------------------------------------------------------


def test_the_bundle_holds_the_sources_manifest_and_icon_and_nothing_else(bundle: Path) -> None:
    names = zipfile.ZipFile(bundle).namelist()
    assert {"manifest.json", "icon.png", "main.py", "pyproject.toml", "README.md"} <= set(names)
    assert "server/expiring_memory_mcp/__main__.py" in names
    outside = [n for n in names if not n.startswith("server/expiring_memory_mcp/") and "/" in n]
    assert outside == []  # no tests, bench data, .venv or dist
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert bundle.stat().st_size < 1_000_000


async def test_the_bundle_launched_as_claude_desktop_does_answers_every_tool_resource_and_prompt(
    bundle: Path, tmp_path: Path, uv_home: dict[str, str]
) -> None:
    unpacked = tmp_path / "Claude Extensions" / "expiring-memory-mcp"  # a space in the path, as on macOS
    zipfile.ZipFile(bundle).extractall(unpacked)
    manifest = json.loads((unpacked / "manifest.json").read_text())
    env = clean_env(tmp_path, uv_home)
    params = launch(manifest, unpacked, env)
    assert params.env is not None
    assert params.env["EXPIRING_MEMORY_TIMEZONE"] == "${user_config.timezone}"  # left blank: passed literally
    log = tmp_path / "server.log"
    with log.open("w") as errlog:
        with anyio.fail_after(UV_DOWNLOAD_TIMEOUT):
            async with Client(stdio_client(params, errlog=errlog)) as client:
                seen = await round_trip_everything(client)
    assert sorted(seen["tools"]) == sorted(TOOL_ARGUMENTS)
    stderr = log.read_text()
    blank = sorted(v for v, value in params.env.items() if value.startswith("${user_config."))
    assert (
        "EXPIRING_MEMORY_TIMEZONE" in blank and "EXPIRING_MEMORY_EXTEND_ON_RECALL" in blank
    )  # fields without a default
    assert f"left blank in the bundle's settings, so their defaults apply: {', '.join(blank)}" in stderr
    assert "Traceback" not in stderr, stderr
    home = Path(env["HOME"])
    assert [p.name for p in home.iterdir()] == [".expiring-memory-mcp"]  # the data folder's default, and only it
    assert (home / ".expiring-memory-mcp" / "memories.db").exists()


async def test_a_host_that_runs_the_entry_point_with_uv_gets_the_same_server(
    bundle: Path, tmp_path: Path, uv_home: dict[str, str]
) -> None:
    unpacked = tmp_path / "bundle"
    zipfile.ZipFile(bundle).extractall(unpacked)
    manifest = json.loads((unpacked / "manifest.json").read_text())
    env = clean_env(tmp_path, uv_home) | {"EXPIRING_MEMORY_DATA_DIR": str(tmp_path / "data")}
    entry = manifest["server"]["entry_point"]
    params = StdioServerParameters(command="uv", args=["run", "--directory", str(unpacked), entry], env=env)
    with anyio.fail_after(UV_DOWNLOAD_TIMEOUT):
        async with Client(params) as client:
            tools = [t.name for t in (await client.list_tools()).tools]
    assert sorted(tools) == sorted(TOOL_ARGUMENTS)


async def test_uvx_from_a_checkout_starts_the_server(tmp_path: Path, uv_home: dict[str, str]) -> None:
    checkout = tmp_path / "checkout"  # the files a checkout builds from (building writes into the source folder)
    checkout.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, checkout / name)
    shutil.copytree(
        ROOT / "server" / "expiring_memory_mcp",
        checkout / "server" / "expiring_memory_mcp",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    env = clean_env(tmp_path, uv_home) | {"EXPIRING_MEMORY_DATA_DIR": str(tmp_path / "data")}
    params = StdioServerParameters(command="uvx", args=["--from", str(checkout), "expiring-memory-mcp"], env=env)
    with anyio.fail_after(UV_DOWNLOAD_TIMEOUT):
        async with Client(params) as client:
            assert client.server_info is not None and client.server_info.name == "expiring-memory"
            tools = [t.name for t in (await client.list_tools()).tools]
    assert sorted(tools) == sorted(TOOL_ARGUMENTS)
    assert list(Path(env["HOME"]).iterdir()) == []
