"""The command line's refusals in its own words, in process through cli.run: the commands and options a person types
(`list`, `expiring`, `remember --permanent`, `--ttl`), never the MCP tools' names; one line each, on stderr."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from cli_script import jsonl, later
from expiring_memory_mcp import cli
from expiring_memory_mcp.backends import open_backend
from expiring_memory_mcp.settings import Settings

TOOL_NAMES = ("remember_permanent", "remember_temporary", "expiring_soon", "recall or", "renew_memory")


@pytest.fixture
def run(
    settings: Settings, clock: Any, embedder: Any, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str]]:
    """cli.run with the test's clock and the shared embedder; returns (exit code, stderr), stderr one line at most."""

    def run_cli(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        code = cli.run(list(argv), settings, clock=clock, build=partial(open_backend, settings, embedder), stdout=out)
        said = capsys.readouterr().err
        for name in TOOL_NAMES:
            assert name not in said, said
        return code, said

    return run_cli


def test_an_unknown_id_points_to_the_list_and_expiring_commands(run) -> None:
    code, said = run("forget", "3c764642-1c5f-4012-a706-1ddd78344b33")
    assert code == 1
    assert "Run `expiring-memory-mcp list` or `expiring-memory-mcp expiring` to find them." in said


def test_an_expiry_beyond_the_limit_points_to_remember_permanent(run, tmp_path: Path) -> None:
    code, said = run("remember", "Renew the passport", "--type", "reminder", "--expires-at", "2999-01-01")
    assert code == 1 and "use `remember --permanent` for lasting memories" in said
    export = tmp_path / "far.jsonl"
    export.write_text(jsonl([{"content": "Far away", "memory_type": "reminder", "expires_at": "2999-01-01T00:00:00Z"}]))
    code, said = run("import", str(export))
    assert code == 1 and "line 1: expires_at may be at most" in said and "`remember --permanent`" in said


def test_an_import_line_without_a_type_says_the_type_is_missing(run, tmp_path: Path) -> None:
    export = tmp_path / "untyped.jsonl"
    export.write_text(
        jsonl([{"content": "No type", "expires_at": later(days=2)}, {"memory_type": "fact", "expires_at": None}])
    )
    code, said = run("import", str(export))
    assert code == 1
    assert """line 1: 'memory_type' is missing; give its type, such as "session" or "fact\"""" in said
    assert "line 2: 'content' is missing; give the memory's text" in said


@pytest.mark.parametrize(
    "argv",
    [
        ["remember", "Tea", "--ttl", "-3d"],
        ["expiring", "--within", "-1d"],
        ["renew", "some-id", "--ttl", "-12h"],
        ["remember", "Tea", "--ttl=-3d"],
    ],
)
def test_a_negative_duration_is_refused_saying_durations_are_positive(run, argv: list[str]) -> None:
    code, said = run(*argv)
    assert code == 2
    assert "durations are positive; use for example" in said and "expected one argument" not in said


@pytest.mark.parametrize(
    "argv", [["remember", "Tea", "--type", ""], ["list", "--type", ""], ["recall", "tea", "--type", " , "]]
)
def test_an_empty_type_is_refused_instead_of_meaning_the_default(run, db, argv: list[str]) -> None:
    code, said = run(*argv)
    assert code == 2 and "the type is empty; give a type name such as session or preference" in said
    assert not db.path.exists()  # refused before the store was opened


def test_remember_keeps_each_type_with_the_lifetime_it_is_for_unless_told_otherwise(run) -> None:
    code, said = run("remember", "Prefers tea", "--type", "preference")
    assert (
        code == 1 and "'preference' is a permanent type: add --permanent to keep it, or --ttl or --expires-at" in said
    )
    code, said = run("remember", "Browsing teapots", "--type", "session", "--permanent")
    assert code == 1 and "'session' is a temporary type: leave out --permanent" in said
    assert run("remember", "Prefers window seats on this trip", "--type", "preference", "--ttl", "5d") == (0, "")
