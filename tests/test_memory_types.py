"""The one list of memory types (memory_types.py) and everything that names types: the settings, the retention
tiers, the tools' descriptions, the instructions, the refusals and the README's table are made from it or match it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mcp import Client

from expiring_memory_mcp import rules
from expiring_memory_mcp.app import build_server
from expiring_memory_mcp.errors import InvalidRequest
from expiring_memory_mcp.memory_types import (
    DEFAULT_TEMPORARY_DAYS,
    MEMORY_TYPES,
    PERMANENT_TYPES,
    TEMPORARY_TYPES,
    TIERS,
)
from expiring_memory_mcp.settings import Settings
from expiring_memory_mcp.type_words import days, joined

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_each_temporary_tier_is_one_setting_with_the_lists_default_and_its_name_in_the_words() -> None:
    fields = Settings.model_fields
    assert sorted(name for name in fields if name.startswith("ttl_")) == sorted(
        [*(str(t.setting) for t in TIERS), "ttl_default_days"]
    )
    for tier in TIERS:
        field = fields[str(tier.setting)]
        assert field.default == tier.default_days, tier.name
        assert field.description == f"How long a `{tier.name}` memory lives, in days.", tier.name
        assert tier.env == f"EXPIRING_MEMORY_{str(tier.setting).upper()}"
    assert fields["ttl_default_days"].default == DEFAULT_TEMPORARY_DAYS


def test_the_retention_tiers_are_the_lists_temporary_types_with_the_days_configured(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, ttl_chat_days=3, ttl_cache_days=0.25)
    tiers = settings.retention().tiers
    assert list(tiers) == list(TEMPORARY_TYPES)
    assert {name: span.total_seconds() / 86400 for name, span in tiers.items()} == {
        **{t.name: t.default_days for t in TIERS},
        "chat": 3,
        "cache": 0.25,
    }
    assert not set(PERMANENT_TYPES) & set(tiers)


@pytest.mark.anyio
async def test_each_remember_tool_and_its_memory_type_name_every_type_of_their_kind(settings: Settings) -> None:
    async with Client(build_server(None, settings)) as client:  # type: ignore[arg-type]
        tools = {t.name: t for t in (await client.list_tools()).tools}
    temporary, permanent = tools["remember_temporary"], tools["remember_permanent"]
    temporary_type = temporary.input_schema["properties"]["memory_type"]["description"]
    permanent_type = permanent.input_schema["properties"]["memory_type"]["description"]
    for kind in MEMORY_TYPES:
        described = permanent if kind.permanent else temporary
        assert kind.what in str(described.description), kind.name
        assert re.search(rf"\b{kind.name}\b", temporary_type), kind.name  # the temporary ones with their lifetimes,
        assert re.search(rf"\b{kind.name}\b", permanent_type), kind.name  # the permanent ones as needing an expiry
    for tier in TIERS:
        assert f"{tier.name} {days(float(tier.default_days or 0))}" in temporary_type
    assert f"other types {days(DEFAULT_TEMPORARY_DAYS)}" in temporary_type
    assert permanent_type.startswith(joined(PERMANENT_TYPES, "or"))


@pytest.mark.anyio
async def test_the_instructions_name_every_type_what_it_holds_and_each_tiers_lifetime(settings: Settings) -> None:
    async with Client(build_server(None, settings)) as client:  # type: ignore[arg-type]
        text = str(client.instructions)
    for kind in MEMORY_TYPES:
        assert kind.what in text, kind.name
    assert f"types: {', '.join(PERMANENT_TYPES)}" in text
    lifetimes = ", ".join(f"{t.name} {days(float(t.default_days or 0))}" for t in TIERS)
    assert f"types and lifetimes: {lifetimes}; other types {days(DEFAULT_TEMPORARY_DAYS)}" in text
    assert "1 days" not in text


def test_an_invalid_type_is_refused_with_every_listed_type_as_an_example() -> None:
    with pytest.raises(InvalidRequest) as refused:
        rules.memory_type("Not A Type!")
    assert re.findall(r"'([a-z]+)'", str(refused.value).split("such as", 1)[1]) == [
        *TEMPORARY_TYPES,
        *PERMANENT_TYPES,
    ]


def test_the_readme_types_table_is_the_list() -> None:
    section = README.split("## Memory types\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:]
    cells = [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows if not set(row) <= set("|- ")]
    assert cells == [
        [
            f"`{t.name}`",
            "permanent" if t.default_days is None else days(t.default_days),
            t.what,
            f"`{t.env}`" if t.env else "",
        ]
        for t in MEMORY_TYPES
    ]
    default = " ".join(section.split())
    assert f"for {days(DEFAULT_TEMPORARY_DAYS)} by `remember_temporary` (`EXPIRING_MEMORY_TTL_DEFAULT_DAYS`)" in default


@pytest.mark.parametrize(
    ("count", "said"), [(1, "1 day"), (1.0, "1 day"), (0.5, "0.5 days"), (2, "2 days"), (30.0, "30 days")]
)
def test_days_are_said_in_the_singular_only_for_one(count: float, said: str) -> None:
    assert days(count) == said


def test_lists_are_joined_as_they_are_said() -> None:
    assert joined(["a"]) == "a"
    assert joined(["a", "b"], "or") == "a or b"
    assert joined(["a", "b", "c"]) == "a, b and c"


def test_every_list_of_types_written_in_the_docs_or_the_code_is_the_whole_list_of_its_kind() -> None:
    """Prose that lists three or more types (README, docs, docstrings) lists all of one kind, in the list's order."""
    names = "|".join(t.name for t in MEMORY_TYPES)
    one = rf"['`\"]?(?:{names})['`\"]?"
    listing = re.compile(rf"\b{one}(?:(?:,\s+|\s+or\s+|\s+and\s+|,\s+or\s+){one}){{2,}}")
    root = Path(__file__).parents[1]
    pages = [root / "README.md", *sorted((root / "docs").glob("*.md")), *sorted((root / "server").rglob("*.py"))]
    whole = {PERMANENT_TYPES, TEMPORARY_TYPES, TEMPORARY_TYPES + PERMANENT_TYPES, PERMANENT_TYPES + TEMPORARY_TYPES}
    found = {
        (page.name, tuple(re.findall(rf"\b(?:{names})\b", match.group())))
        for page in pages
        for match in listing.finditer(page.read_text())
    }
    assert found and {listed for _, listed in found} <= whole, found
