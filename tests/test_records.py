"""What the operations hand the surface: times as aware datetimes, which become ISO 8601 text only at the JSON edge
(the tools' results and the command line's --json), in the one format they have always had."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from mcp import Client

from expiring_memory_mcp import cli
from expiring_memory_mcp.backends import open_backend
from expiring_memory_mcp.memories import MemoryService
from expiring_memory_mcp.retention import iso
from expiring_memory_mcp.settings import Settings
from support import FakeClock, call

pytestmark = pytest.mark.anyio

UTC_TEXT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


async def test_records_keep_aware_datetimes_and_the_tools_show_them_as_utc_text(
    client: Client, service: MemoryService, clock: FakeClock
) -> None:
    shown = await call(client, "remember_temporary", content="Browsing winter boots", memory_type="session")
    (record,) = service.memories()
    assert isinstance(record.expires_at, datetime) and record.expires_at.tzinfo is not None
    assert isinstance(record.created_at, datetime) and record.created_at.tzinfo is not None
    assert record.expires_at == clock.now() + timedelta(days=7)
    assert record.expiration_date == record.expires_at.date() and isinstance(record.expiration_date, date)
    assert shown["expires_at"] == iso(record.expires_at) and UTC_TEXT.match(shown["expires_at"])
    assert shown["created_at"] == iso(record.created_at) and UTC_TEXT.match(shown["created_at"])
    assert shown["expiration_date"] == record.expiration_date.isoformat()


def test_the_command_lines_json_shows_the_same_text_as_the_tools(
    settings: Settings, clock: FakeClock, embedder: Any, service: MemoryService
) -> None:
    import json

    service.remember("Dentist on Thursday at 9", "reminder", None, permanent=False, expires_in_days=2)
    service.close()
    out = io.StringIO()
    code = cli.run(
        ["list", "--json"], settings, clock=clock, build=partial(open_backend, settings, embedder), stdout=out
    )
    assert code == 0
    (listed,) = json.loads(out.getvalue())["memories"]
    assert listed["expires_at"] == iso(clock.now() + timedelta(days=2))
    assert UTC_TEXT.match(listed["created_at"]) and listed["expiration_date"] == listed["expires_at"][:10]
