"""The package's version, where people and clients look for it: `--version` and the initialize result's serverInfo."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from mcp import Client

from cli_script import script
from expiring_memory_mcp.app import build_server
from expiring_memory_mcp.settings import Settings
from support import server_env

INSTALLED = version("expiring-memory-mcp")


def test_the_installed_version_is_the_one_pyproject_sets() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert INSTALLED == pyproject["project"]["version"]


@pytest.mark.slow  # starts the console script
def test_dash_dash_version_prints_the_package_version_and_exits_0(tmp_path: Path) -> None:
    done = script(server_env(tmp_path, tmp_path / "data"), "--version")
    assert (done.returncode, done.stdout, done.stderr) == (0, f"expiring-memory-mcp {INSTALLED}\n", "")
    assert not (tmp_path / "data").exists()


@pytest.mark.anyio
async def test_server_info_carries_the_package_version(settings: Settings) -> None:
    async with Client(build_server(None, settings)) as client:  # type: ignore[arg-type]
        info = client.server_info
    assert info is not None and (info.name, info.version) == ("expiring-memory", INSTALLED)
