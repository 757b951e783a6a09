"""The write side of the backend interface: a `NewMemory` in, read back as a `StoredMemory`; and what the embedded
store keeps of an expiry (the instant once for its index and our reads, Mem0's day for Mem0), with stores written
when every payload also carried `expires_ts` still working."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from expiring_memory_mcp.backends import NewMemory
from expiring_memory_mcp.backends.embedded import open_embedded
from expiring_memory_mcp.retention import iso, mem0_date
from expiring_memory_mcp.rules import dedup_key
from expiring_memory_mcp.settings import Settings
from support import FakeClock, call, contents, serving, sqlite

pytestmark = pytest.mark.anyio


def payloads(data_dir: Path) -> list[dict[str, Any]]:
    with sqlite(data_dir / "memories.db") as db:
        rows = db.execute("SELECT payload, expires_at FROM vectors WHERE collection = 'memories' ORDER BY rowid")
        return [{**json.loads(payload), "(column)": column} for payload, column in rows]


def test_a_new_memory_reads_back_as_written_and_an_update_keeps_what_it_does_not_set(
    data_dir: Path, embedder: Any
) -> None:
    first = datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC)
    expiry = first + timedelta(days=7)
    backend = open_embedded(data_dir, embedder)
    try:
        memory_id = backend.add(
            "Locker code is 3141",
            "alice",
            NewMemory(expiry, {"room": "4"}, memory_type="cache", dedup_key="locker code is 3141", created_at=first),
        )
        written = backend.get(memory_id)
        assert written is not None
        assert (written.text, written.user_id, written.memory_type) == ("Locker code is 3141", "alice", "cache")
        assert (written.created_at, written.expires_at, written.metadata) == (first, expiry, {"room": "4"})
        assert written.expiration_date == expiry.date()

        backend.update(memory_id, NewMemory(None, {"sure": True}))  # permanent now; type, key and time kept
        updated = backend.get(memory_id)
        assert updated is not None
        assert (updated.memory_type, updated.created_at, updated.expires_at) == ("cache", first, None)
        assert (updated.expiration_date, updated.metadata) == (None, {"room": "4", "sure": True})
    finally:
        backend.close()


async def test_the_embedded_store_keeps_an_expiry_as_the_instant_and_mem0s_day_not_also_as_epoch_seconds(
    client: Client, data_dir: Path
) -> None:
    stored = await call(client, "remember_temporary", content="Browsing winter boots", memory_type="session")
    await call(client, "remember_permanent", content="Prefers tea over coffee", memory_type="preference")
    temporary, permanent = payloads(data_dir)
    assert "expires_ts" not in temporary and "expires_ts" not in permanent
    assert temporary["expires_at"] == stored["expires_at"]  # our instant, read back by every backend
    assert temporary["(column)"] == datetime.fromisoformat(stored["expires_at"]).timestamp()  # the index's copy
    assert temporary["expiration_date"] == stored["expiration_date"]  # Mem0's own day
    assert permanent["expires_at"] is None and permanent["(column)"] is None
    assert permanent.get("expiration_date") is None


async def test_a_store_written_with_expires_ts_in_every_payload_still_recalls_renews_lists_and_sweeps(
    settings: Settings, clock: FakeClock, embedder: Any, data_dir: Path
) -> None:
    """Rows written as earlier versions wrote them (`expires_ts` beside `expires_at`) are read, renewed and swept
    like new ones."""
    now = clock.now()
    backend = open_embedded(data_dir, embedder)
    try:
        for text, kind, expiry in [
            ("Dentist on Thursday at 9", "reminder", now + timedelta(days=2)),
            ("Reading about Lisbon trams", "session", now + timedelta(hours=3)),
            ("Allergic to peanuts", "fact", None),
        ]:
            meta = {
                "type": kind,
                "dedup_key": dedup_key(text),
                "created_at": iso(now),
                "expires_at": iso(expiry) if expiry else None,
                "expires_ts": expiry.timestamp() if expiry else 253402300799.0,
            }
            backend.memory.add(text, user_id="alice", metadata=meta, expiration_date=mem0_date(expiry), infer=False)
    finally:
        backend.close()
    assert all("expires_ts" in p for p in payloads(data_dir))

    async with serving(settings, clock, embedder) as client:
        assert contents(await call(client, "recall", query="peanut allergy", limit=1)) == ["Allergic to peanuts"]
        soon = await call(client, "expiring_soon", within_days=7)
        assert contents(soon) == ["Reading about Lisbon trams", "Dentist on Thursday at 9"]
        dentist = soon["memories"][1]["id"]
        renewed = await call(client, "renew_memory", memory_id=dentist, expires_in_days=10)
        assert renewed["expires_in"] == "in 10 days"
        clock.advance(days=3)
        await call(client, "remember_permanent", content="Prefers aisle seats", memory_type="preference")  # sweeps
        assert contents(await call(client, "expiring_soon", within_days=30)) == ["Dentist on Thursday at 9"]
    assert sorted(p["data"] for p in payloads(data_dir)) == [
        "Allergic to peanuts",
        "Dentist on Thursday at 9",
        "Prefers aisle seats",
    ]
