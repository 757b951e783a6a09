"""The command line in process, through cli.run with a clock moved by hand, where expiry has to pass: a subprocess
cannot be given a clock and we never sleep."""

from __future__ import annotations

import io
import json
import re
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from cli_script import jsonl
from expiring_memory_mcp import cli
from expiring_memory_mcp.backends import open_backend
from expiring_memory_mcp.retention import iso
from expiring_memory_mcp.settings import Settings


@pytest.fixture
def run(settings: Settings, clock: Any, embedder: Any) -> Callable[..., tuple[int, str]]:
    """cli.run with the test's clock and the shared embedder; returns (exit code, stdout)."""

    def run_cli(*argv: str, user: str | None = None) -> tuple[int, str]:
        chosen = settings.model_copy(update={"user_id": user}) if user else settings
        out = io.StringIO()
        code = cli.run(list(argv), chosen, clock=clock, build=partial(open_backend, chosen, embedder), stdout=out)
        return code, out.getvalue()

    return run_cli


def test_sweep_dry_run_lists_what_expired_and_sweep_deletes_it_and_counts_it(run, clock, db, capsys) -> None:
    run("remember", "Parking spot is B12", "--type", "cache", "--ttl", "1h")
    run("remember", "Prefers aisle seats", "--permanent")
    run("remember", "Bob's parking spot is C3", "--type", "cache", "--ttl", "30m", user="bob")
    clock.advance(hours=2)

    code, preview = run("sweep", "--dry-run")
    assert code == 0
    assert "Parking spot is B12" in preview and "expired" in preview and "Bob" not in preview
    assert preview.endswith(
        "Dry run: 2 expired memories would be deleted (1 of other users, not shown); nothing was deleted.\n"
    )
    _, as_json = run("sweep", "--dry-run", "--json")
    assert json.loads(as_json)["would_delete"] == 2
    assert [m["content"] for m in json.loads(as_json)["memories"]] == ["Parking spot is B12"]
    assert db.count_rows() == 3

    assert run("sweep") == (0, "Deleted 2 expired memories.\n")
    assert db.count_rows() == 1
    _, stats = run("stats")
    assert re.search(r"swept so far +2\n", stats) and re.search(r"live +1\n", stats)
    assert run("sweep", "--json") == (0, '{\n  "deleted": 0\n}\n')
    assert json.loads(run("stats", "--json")[1])["swept_total"] == 2
    assert capsys.readouterr().err == ""


def test_stats_database_size_includes_the_write_ahead_log(run, db) -> None:
    run("remember", "Likes jazz", "--permanent")
    wal = db.path.with_name(db.path.name + "-wal")
    with closing(sqlite3.connect(db.path)) as reader:  # a second process: the command's exit keeps the log
        reader.execute("SELECT count(*) FROM vectors").fetchone()
        stats = json.loads(run("stats", "--json")[1])
        assert wal.exists() and wal.stat().st_size > 0
        assert stats["database_bytes"] == db.path.stat().st_size + wal.stat().st_size
    assert stats["location"] == str(db.path.parent)


def test_import_skips_what_has_expired_by_the_clock_and_keeps_exact_instants(run, clock, tmp_path: Path) -> None:
    soon, far = clock.now() + timedelta(hours=1), clock.now() + timedelta(days=40, microseconds=7)
    (tmp_path / "in.jsonl").write_text(
        jsonl(
            [
                {
                    "content": "Soon gone",
                    "memory_type": "cache",
                    "expires_at": iso(soon),
                    "created_at": "2026-01-01T00:00:00Z",
                },
                {"content": "Here a while", "memory_type": "chat", "expires_at": iso(far), "metadata": {"n": 1.5}},
            ]
        )
    )
    clock.advance(hours=2)
    code, out = run("import", str(tmp_path / "in.jsonl"), "--json")
    assert code == 0
    assert json.loads(out) == {
        "added": 1,
        "refreshed": 0,
        "unchanged": 0,
        "skipped_expired": 1,
        "invalid": [],
        "redacted": 0,
    }
    [memory] = json.loads(run("list", "--json")[1])["memories"]
    assert (memory["content"], memory["expires_at"], memory["metadata"]) == ("Here a while", iso(far), {"n": 1.5})
    assert memory["created_at"] == iso(clock.now())  # none in the file: the import is when it was remembered


def test_importing_a_later_expiry_refreshes_the_live_twin(run, clock, tmp_path: Path) -> None:
    run("remember", "Reading about sourdough", "--ttl", "2d")
    later_expiry = iso(clock.now() + timedelta(days=9))
    (tmp_path / "in.jsonl").write_text(
        jsonl([{"content": "reading about  SOURDOUGH", "memory_type": "session", "expires_at": later_expiry}])
    )
    assert json.loads(run("import", str(tmp_path / "in.jsonl"), "--json")[1])["refreshed"] == 1
    [memory] = json.loads(run("list", "--json")[1])["memories"]
    assert (memory["content"], memory["expires_at"]) == ("Reading about sourdough", later_expiry)


def test_tables_and_json_for_the_other_commands(run, clock) -> None:
    _, shown = run("remember", "[bold]Not markup[/bold] :smile:", "--type", "chat", "--json")
    memory = json.loads(shown)
    run("remember", "Prefers green tea", "--permanent")

    _, table = run("recall", "green tea", "--type", "preference")
    assert re.search(r"Score +Type +Expires +Content / id\n", table)
    assert re.search(r"[01]\.\d\d +preference +permanent +Prefers green tea\n", table), table
    assert "[bold]Not markup[/bold] :smile:" in run("list", "--type", "chat,session")[1]
    assert run("list", "--limit", "1", "--json")[1].count('"id"') == 1

    _, soon = run("expiring", "--within", "31d", "--json")
    assert [m["id"] for m in json.loads(soon)["memories"]] == [memory["id"]]
    assert run("expiring", "--within", "12h") == (0, "No memories.\n")

    code, renewed = run("renew", memory["id"], "--permanent", "--json")
    assert code == 0 and json.loads(renewed)["expires_at"] is None
    assert run("forget", memory["id"]) == (0, f"Forgot {memory['id']}.\n")
    assert run("renew", memory["id"])[0] == 1
