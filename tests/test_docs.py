"""The README must describe the code as it is: its tools table and its env var table are checked here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mcp import Client

from expiring_memory_mcp.app import build_server
from expiring_memory_mcp.settings import Settings

README = (Path(__file__).parents[1] / "README.md").read_text()


def table_rows(heading: str) -> list[list[str]]:
    section = README.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows if not set(row) <= set("|- ")]


@pytest.mark.anyio
async def test_readme_tools_table_matches_list_tools(settings: Settings) -> None:
    async with Client(build_server(None, settings)) as client:  # type: ignore[arg-type]
        tools = (await client.list_tools()).tools
    expected = [
        [f"`{t.name}`", ", ".join(f"`{p}`" for p in t.input_schema["properties"]), t.description] for t in tools
    ]
    assert table_rows("Tools") == expected


def test_readme_env_var_table_matches_the_settings_class() -> None:
    rows = table_rows("Configuration")
    documented = {re.sub(r"`", "", name): (description, default) for name, description, default in rows}
    fields = Settings.model_fields
    assert list(documented) == [f"EXPIRING_MEMORY_{name.upper()}" for name in fields]
    for name, field in fields.items():
        description, default = documented[f"EXPIRING_MEMORY_{name.upper()}"]
        assert description == field.description
        if field.default_factory is None:
            assert default == ("unset" if field.default is None else f"`{field.default}`")
