"""The command line through the console script as a subprocess: what each everyday command prints, in a table and
as JSON, on a data dir seeded once (the `seeded` fixture in conftest.py) or on a fresh one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cli_script import LOCAL_TIME, cli_env, ok, one_line_error, script
from expiring_memory_mcp.memories import MemoryService
from expiring_memory_mcp.settings import Settings
from support import SCRIPT


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
    assert len(tools) == 7
