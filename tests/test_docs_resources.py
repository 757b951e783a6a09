"""The README's resources and prompts tables are checked against what the server lists, as test_docs.py checks its
tools table."""

from __future__ import annotations

import pytest
from mcp import Client

from expiring_memory_mcp.app import build_server
from expiring_memory_mcp.settings import Settings
from test_docs import table_rows

pytestmark = pytest.mark.anyio


async def test_readme_resources_table_matches_list_resources_and_templates(settings: Settings) -> None:
    async with Client(build_server(None, settings)) as client:  # type: ignore[arg-type]
        resources = (await client.list_resources()).resources
        templates = (await client.list_resource_templates()).resource_templates
    expected = [[f"`{r.uri}`", r.description] for r in resources]
    expected += [[f"`{t.uri_template}`", t.description] for t in templates]
    assert table_rows("Resources") == expected


async def test_readme_prompts_table_matches_list_prompts(settings: Settings) -> None:
    async with Client(build_server(None, settings)) as client:  # type: ignore[arg-type]
        prompts = (await client.list_prompts()).prompts
    expected = [[f"`{p.name}`", ", ".join(f"`{a.name}`" for a in p.arguments or []), p.description] for p in prompts]
    assert table_rows("Prompts") == expected
