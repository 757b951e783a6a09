"""The docs must describe the code as it is: the README's tools table and env var table are checked against the code,
every relative link in README.md and docs/*.md must lead somewhere, and the README stays a short page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mcp import Client

from expiring_memory_mcp.app import build_server
from expiring_memory_mcp.settings import Settings

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"(?ms)^ *```.*?^ *```")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def table_rows(heading: str) -> list[list[str]]:
    section = README.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows if not set(row) <= set("|- ")]


def prose(text: str) -> str:
    """The text without code blocks and inline code, where brackets are not links."""
    return re.sub(r"`[^`\n]*`", "", FENCE.sub("", text))


def anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lowercased, punctuation dropped, spaces as hyphens (repeats get -1, -2, ...)."""
    found: set[str] = set()
    repeats: dict[str, int] = {}
    for heading in re.findall(r"(?m)^#{1,6} +(.+?) *$", FENCE.sub("", page.read_text())):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        found.add(f"{slug}-{repeats[slug]}" if slug in repeats else slug)
        repeats[slug] = repeats.get(slug, 0) + 1
    return found


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
            shown = f"{field.default:g}" if isinstance(field.default, float) else field.default  # 7.0 reads 7
            assert default == ("unset" if field.default is None else f"`{shown}`")


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(page: Path) -> None:
    broken = []
    for target in LINK.findall(prose(page.read_text())):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no such heading")
    assert not broken, f"{page.relative_to(ROOT)}: {broken}"


def test_the_docs_pages_are_linked_from_the_readme() -> None:
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in LINK.findall(prose(README))}
    assert [page for page in PAGES[1:] if page.resolve() not in linked] == []


def test_the_readme_stays_a_short_page() -> None:
    assert len(README.splitlines()) <= 260


def test_the_readme_gives_the_test_command_ci_runs_and_the_fast_tier() -> None:
    commands = {line.strip() for block in FENCE.findall(README) for line in block.splitlines()}
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if "pytest" in line]
    assert ci == ["python -m pytest"]
    assert {"python -m pytest", 'python -m pytest -m "not slow"'} <= commands
