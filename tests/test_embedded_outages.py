"""The embedded backend's SQLite file failing under a running server: every tool names the store and what to check in
one clear line, as the mem0 backend does for Postgres, never the SDK's generic "Error executing tool". The failure
here is real and the same on every machine: another connection drops the store's tables, so SQLite answers each
statement with "no such table"."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client

from support import Database, FakeClock, call, call_error, sqlite

pytestmark = pytest.mark.anyio

UNAVAILABLE = "The memory store could not be used: the SQLite store at "


async def test_every_tool_names_a_broken_sqlite_file_instead_of_a_generic_error(
    client: Client, clock: FakeClock, db: Database, data_dir: Path
) -> None:
    kept = await call(client, "remember_temporary", content="Parking spot is B12")
    with sqlite(db.path) as other:
        other.executescript("DROP TABLE vectors_fts; DROP TABLE vectors; DROP TABLE meta;")
    calls = [  # within the sweep interval: no call sweeps first
        ("remember_permanent", {"content": "Prefers the aisle seat", "memory_type": "preference"}),  # the write lock
        ("expiring_soon", {"within_days": 30}),  # find
        ("recall", {"query": "parking"}),
        ("forget", {"memory_id": kept["id"]}),
        ("renew_memory", {"memory_id": kept["id"]}),
    ]
    answers = {tool: await call_error(client, tool, **arguments) for tool, arguments in calls}
    clock.advance(days=1)  # the next call sweeps first
    answers["a call that sweeps"] = await call_error(client, "remember_temporary", content="Gate 4 at 10:40")
    generic = {tool: message for tool, message in answers.items() if UNAVAILABLE + str(data_dir) not in message}
    assert not generic, generic  # before: the sweep, the write lock and find answered "Error executing tool ..."
    for tool, message in answers.items():
        assert "no such table" in message, (tool, message)
        assert "Check that the data dir (EXPIRING_MEMORY_DATA_DIR) is writable" in message, (tool, message)
        assert "\n" not in message, (tool, message)
