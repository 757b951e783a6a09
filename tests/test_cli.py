"""The command line: the console script as a subprocess for every command, and in process (through cli.run with
a clock moved by hand) where expiry has to pass, since a subprocess cannot be given a clock and we never sleep."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from expiring_memory_mcp import cli
from expiring_memory_mcp.backends import open_backend
from expiring_memory_mcp.memories import MemoryService
from expiring_memory_mcp.retention import iso
from expiring_memory_mcp.settings import Settings
from test_stdio import SCRIPT, server_env

LOCAL_TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d JST"  # the tests run the CLI in Asia/Tokyo


def cli_env(tmp_path: Path, data_dir: Path) -> dict[str, str]:
    """The server's test environment (HOME and TMPDIR empty), with a timezone that is not UTC."""
    return server_env(tmp_path, data_dir, EXPIRING_MEMORY_TIMEZONE="Asia/Tokyo")


def script(
    env: dict[str, str], *args: str, stdin: str | None = None, **extra_env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCRIPT, *args],
        env={**env, **extra_env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def one_line_error(done: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert done.returncode == code, (done.stdout, done.stderr)
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("expiring-memory-mcp: error: "), done.stderr
    return lines[0]


def jsonl(entries: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(e) + "\n" for e in entries)


def later(**delta: float) -> str:
    return iso(datetime.now(UTC) + timedelta(**delta))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A data dir filled once, through `import`, and then only read: memories that expire in 1 hour, 3 days and
    20 days (from the real clock), and two permanent ones."""
    tmp_path = tmp_path_factory.mktemp("seeded")
    (tmp_path / "seed.jsonl").write_text(
        jsonl(
            [
                {
                    "content": "Parking spot is B12",
                    "memory_type": "cache",
                    "expires_at": later(hours=1),
                    "created_at": "2026-01-05T08:00:00Z",
                    "metadata": {},
                },
                {
                    "content": "Dentist on Thursday at 9",
                    "memory_type": "reminder",
                    "expires_at": later(days=3),
                    "created_at": "2026-01-04T08:00:00Z",
                    "metadata": {"room": "4"},
                },
                {
                    "content": "Planning a trip to Lisbon in spring",
                    "memory_type": "session",
                    "expires_at": later(days=20),
                    "created_at": "2026-01-03T08:00:00Z",
                },
                {
                    "content": "Prefers tea over coffee",
                    "memory_type": "preference",
                    "expires_at": None,
                    "created_at": "2026-01-02T08:00:00.123456Z",
                    "metadata": {"source": "chat", "strength": 2, "sure": True},
                },
                {
                    "content": "Allergic to peanuts",
                    "memory_type": "fact",
                    "expires_at": None,
                    "created_at": "2024-05-01T10:00:00.000000Z",
                },
            ]
        )
    )
    env = cli_env(tmp_path, tmp_path / "data")
    out = ok(script(env, "import", str(tmp_path / "seed.jsonl")))
    assert "5 added, 0 refreshed, 0 unchanged, 0 skipped (already expired), 0 invalid lines" in out
    return env


# -- through the console script -----------------------------------------------------------------------------


@pytest.mark.slow  # starts the console script
def test_remember_prints_the_memory_and_list_shows_it_with_local_and_relative_expiry(tmp_path: Path) -> None:
    env = cli_env(tmp_path, tmp_path / "data")
    shown = ok(
        script(
            env,
            "remember",
            "Dentist on Thursday at 9",
            "--type",
            "reminder",
            "--ttl",
            "2d",
            "--metadata",
            "room=4",
            "--metadata",
            "source=cli",
        )
    )
    assert shown.startswith("Remembered:\n")
    assert re.search(rf"expires +{LOCAL_TIME} \(in 2 days\)", shown), shown
    assert re.search(r"metadata +room=4, source=\"cli\"\n", shown), shown  # numbers stay numbers

    stored = json.loads(ok(script(env, "remember", "Prefers tea over coffee", "--permanent", "--json")))
    assert stored["memory_type"] == "preference" and stored["expires_at"] is None

    table = ok(script(env, "list"))
    assert table.index("Dentist on Thursday at 9") < table.index("Prefers tea over coffee")  # permanent last
    assert stored["id"] in table and "permanent" in table
    assert re.search(rf"reminder +{LOCAL_TIME} +Dentist", table), table
    assert re.search(r"in 1 day 23 hours|in 2 days", table), table
    assert table.endswith("2 memories.\n")
    assert list((tmp_path / "home").iterdir()) == [] and list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.slow  # starts the console script
def test_list_json_gives_every_live_memory_soonest_expiry_first_permanent_last(seeded: dict[str, str]) -> None:
    everything = json.loads(ok(script(seeded, "list", "--json")))["memories"]
    assert [m["content"] for m in everything][:3] == [
        "Parking spot is B12",
        "Dentist on Thursday at 9",
        "Planning a trip to Lisbon in spring",
    ]
    assert {m["content"] for m in everything[3:]} == {"Prefers tea over coffee", "Allergic to peanuts"}
    tea = next(m for m in everything if m["content"] == "Prefers tea over coffee")
    assert tea["metadata"] == {"source": "chat", "strength": 2, "sure": True}
    assert tea["created_at"] == "2026-01-02T08:00:00.123456Z"


@pytest.mark.slow  # starts the console script
def test_recall_json_finds_by_meaning_best_match_first(seeded: dict[str, str]) -> None:
    found = json.loads(ok(script(seeded, "recall", "hot drinks", "--json", "--limit", "2")))["memories"]
    assert found[0]["content"] == "Prefers tea over coffee"
    assert len(found) <= 2 and 0 < found[0]["score"] <= 1


@pytest.mark.slow  # starts the console script
def test_expiring_shows_what_goes_within_the_window_soonest_first(seeded: dict[str, str]) -> None:
    table = ok(script(seeded, "expiring", "--within", "1w"))
    assert table.index("Parking spot is B12") < table.index("Dentist on Thursday at 9")
    assert "Lisbon" not in table and "tea" not in table
    assert re.search(rf"cache +{LOCAL_TIME} +Parking spot is B12\n +in (59 minutes|1 hour)", table), table
    assert re.search(r"in (2 days 23 hours|3 days)", table), table


@pytest.mark.slow  # starts the console script
def test_stats_json_counts_by_type_lifetime_and_expiry_window(seeded: dict[str, str]) -> None:
    stats = json.loads(ok(script(seeded, "stats", "--json")))
    assert stats["user_id"] == "alice"
    assert (stats["live"], stats["permanent"], stats["temporary"]) == (5, 2, 3)
    assert stats["by_type"] == {"cache": 1, "fact": 1, "preference": 1, "reminder": 1, "session": 1}
    assert stats["expiring"] == {"24h": 1, "7d": 2, "30d": 3}
    assert stats["swept_total"] == 0
    assert stats["database_bytes"] > 0


@pytest.mark.slow  # starts the console script
def test_sweep_on_a_store_with_nothing_expired_deletes_nothing_and_purge_is_its_old_name(
    seeded: dict[str, str],
) -> None:
    assert ok(script(seeded, "purge", "--dry-run")) == (
        "Dry run: 0 expired memories would be deleted; nothing was deleted.\n"
    )
    assert json.loads(ok(script(seeded, "sweep", "--json"))) == {"deleted": 0}
    assert json.loads(ok(script(seeded, "purge", "--json"))) == {"deleted": 0}


@pytest.mark.slow  # starts the console script
def test_export_then_import_into_a_fresh_data_dir_round_trips_and_a_second_import_adds_nothing(
    seeded: dict[str, str], tmp_path: Path
) -> None:
    backup = tmp_path / "backup.jsonl"
    assert ok(script(seeded, "export", str(backup))) == f"Exported 5 memories to {backup}.\n"
    assert backup.stat().st_mode & 0o777 == 0o600
    first = [json.loads(line) for line in backup.read_text().splitlines()]
    assert [m["created_at"] for m in first] == sorted(m["created_at"] for m in first)  # oldest first
    assert set(first[0]) == {"id", "content", "memory_type", "metadata", "created_at", "expires_at"}

    fresh = cli_env(tmp_path, tmp_path / "fresh")
    assert "5 added, 0 refreshed, 0 unchanged, 0 skipped" in ok(script(fresh, "import", str(backup)))
    again = json.loads(ok(script(fresh, "import", "-", "--json", stdin=backup.read_text())))
    assert again == {"added": 0, "refreshed": 0, "unchanged": 5, "skipped_expired": 0, "invalid": []}
    second = [json.loads(line) for line in ok(script(fresh, "export")).splitlines()]

    assert [{k: v for k, v in m.items() if k != "id"} for m in second] == [
        {k: v for k, v in m.items() if k != "id"} for m in first
    ]
    assert {m["id"] for m in second}.isdisjoint(m["id"] for m in first)


@pytest.mark.slow  # starts the console script
def test_import_skips_expired_memories_and_reports_invalid_lines_with_their_numbers(tmp_path: Path) -> None:
    lines = (
        jsonl(
            [
                {
                    "content": "Old news",
                    "memory_type": "session",
                    "created_at": "2020-01-01T00:00:00Z",
                    "expires_at": "2020-01-08T00:00:00Z",
                    "metadata": {},
                },
                {"content": "Speaks Portuguese", "memory_type": "fact", "expires_at": None},
            ]
        )
        + "not json\n\n"
        + jsonl([{"content": "No expiry given", "memory_type": "fact"}])
    )
    (tmp_path / "mixed.jsonl").write_text(lines)
    env = cli_env(tmp_path, tmp_path / "data")

    done = script(env, "import", str(tmp_path / "mixed.jsonl"))

    assert done.returncode == 1
    assert done.stdout == (
        f"Imported {tmp_path / 'mixed.jsonl'}: 1 added, 0 refreshed, 0 unchanged, 1 skipped (already expired), "
        "2 invalid lines.\n"
    )
    errors = done.stderr.splitlines()
    assert len(errors) == 2 and "Traceback" not in done.stderr
    assert "mixed.jsonl line 3: not valid JSON" in errors[0]
    assert "mixed.jsonl line 5: 'expires_at' is missing" in errors[1]


@pytest.mark.slow  # starts the console script
def test_renew_and_forget_by_id_and_an_unknown_id_is_a_one_line_error(
    tmp_path: Path, service: MemoryService, settings: Settings
) -> None:
    memory = service.remember("Gym at 7", "reminder", None, permanent=False)
    env = cli_env(tmp_path, settings.data_dir)

    renewed = ok(script(env, "renew", memory.id, "--ttl", "12h"))
    assert renewed.startswith("Renewed:\n") and re.search(rf"expires +{LOCAL_TIME} \(in 12 hours\)", renewed)
    assert json.loads(ok(script(env, "forget", memory.id, "--json"))) == {"deleted": memory.id}
    error = one_line_error(script(env, "forget", memory.id))
    assert f"No memory with id '{memory.id}'" in error


@pytest.mark.slow  # starts the console script
def test_an_expiry_in_the_past_is_refused_in_one_line(tmp_path: Path) -> None:
    env = cli_env(tmp_path, tmp_path / "data")
    error = one_line_error(script(env, "remember", "Old", "--expires-at", "2020-01-01"))
    assert "is not in the future" in error


@pytest.mark.slow  # starts the console script
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["remember", "Tea", "--ttl", "3x"], "'3x' is not a duration; use for example 30m, 12h, 7d, 2w"),
        (["remember", "Tea", "--ttl", "0"], "'0' must be longer than zero"),
        (["renew", "some-id", "--ttl", "5d", "--permanent"], "--permanent: not allowed with argument --ttl"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_usage_is_a_one_line_error_with_exit_code_2_before_anything_is_opened(
    tmp_path: Path, args: list[str], message: str
) -> None:
    error = one_line_error(script(cli_env(tmp_path, tmp_path / "data"), *args), code=2)
    assert message in error
    assert not (tmp_path / "data").exists()


@pytest.mark.slow  # starts the console script
def test_a_bad_setting_is_a_one_line_error(tmp_path: Path) -> None:
    done = script(cli_env(tmp_path, tmp_path / "data"), "list", EXPIRING_MEMORY_TIMEZONE="Mars/Olympus")
    assert "EXPIRING_MEMORY_TIMEZONE: Value error, unknown timezone 'Mars/Olympus'" in one_line_error(done)


@pytest.mark.slow  # starts the console script
def test_a_damaged_database_is_a_one_line_error_naming_the_file_and_what_to_do_not_a_server_log(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    garbage = bytes(range(256)) * 16
    (data_dir / "memories.db").write_bytes(garbage)
    env = cli_env(tmp_path, data_dir)

    error = one_line_error(script(env, "list"))
    assert f"{data_dir / 'memories.db'} is damaged or not an SQLite database" in error
    assert "server log" not in error.lower()  # the CLI has none: it says how to see the full error instead
    assert "EXPIRING_MEMORY_LOG_LEVEL=DEBUG" in error
    assert (data_dir / "memories.db").read_bytes() == garbage  # left as it was

    debug = script(env, "list", EXPIRING_MEMORY_LOG_LEVEL="DEBUG")  # and that advice holds
    assert debug.returncode == 1 and debug.stdout == ""
    assert "Traceback" in debug.stderr and "file is not a database" in debug.stderr
    assert debug.stderr.splitlines()[-1] == error


@pytest.mark.slow  # starts the console script
def test_help_lists_every_command(tmp_path: Path) -> None:
    out = ok(script(cli_env(tmp_path, tmp_path / "data"), "--help"))
    for command in (
        "serve",
        "remember",
        "recall",
        "expiring",
        "list",
        "forget",
        "renew",
        "sweep",
        "stats",
        "export",
        "import",
    ):
        assert re.search(rf"^    {command} ", out, re.MULTILINE), command


@pytest.mark.slow  # starts the console script
@pytest.mark.anyio
async def test_serve_is_the_same_as_no_command(tmp_path: Path) -> None:
    import anyio
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(command=SCRIPT, args=["serve"], env=cli_env(tmp_path, tmp_path / "data"))
    with anyio.fail_after(120):
        async with Client(params) as client:
            tools = (await client.list_tools()).tools
    assert len(tools) == 6


# -- in process, where time has to pass ---------------------------------------------------------------------


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
    assert json.loads(out) == {"added": 1, "refreshed": 0, "unchanged": 0, "skipped_expired": 1, "invalid": []}
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
    assert re.search(r"0\.\d\d +preference +permanent +Prefers green tea\n", table), table
    assert "[bold]Not markup[/bold] :smile:" in run("list", "--type", "chat,session")[1]
    assert run("list", "--limit", "1", "--json")[1].count('"id"') == 1

    _, soon = run("expiring", "--within", "31d", "--json")
    assert [m["id"] for m in json.loads(soon)["memories"]] == [memory["id"]]
    assert run("expiring", "--within", "12h") == (0, "No memories.\n")

    code, renewed = run("renew", memory["id"], "--permanent", "--json")
    assert code == 0 and json.loads(renewed)["expires_at"] is None
    assert run("forget", memory["id"]) == (0, f"Forgot {memory['id']}.\n")
    assert run("renew", memory["id"])[0] == 1
