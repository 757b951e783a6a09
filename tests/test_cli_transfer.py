"""`export` and `import` through the console script: a round trip from the data dir seeded once (`seeded` in
conftest.py) into a fresh one, and an import that skips what has expired and reports its invalid lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_script import cli_env, jsonl, ok, script


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
    assert again == {"added": 0, "refreshed": 0, "unchanged": 5, "skipped_expired": 0, "invalid": [], "redacted": 0}
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
