"""Many callers at once: four server processes on one data dir, and fifty concurrent calls in one process."""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from concurrency_load import (
    BURSTS,
    CALLS_PER_PROCESS,
    PROCESSES,
    SHARED_TEXTS,
    Barrier,
    Ledger,
    drive,
    sentence,
    shared_catalogue,
)
from expiring_memory_mcp.retention import iso
from raw_stdio import RawServer, check_store_consistent
from support import call, server_env, sqlite

pytestmark = pytest.mark.anyio


def rows_by_id(data_dir: Path) -> dict[str, dict[str, Any]]:
    with sqlite(data_dir / "memories.db") as db:
        found = db.execute("SELECT id, payload FROM vectors WHERE collection = 'memories'").fetchall()
    ids = Counter(i for i, _ in found)
    assert not [i for i, n in ids.items() if n > 1], "a memory id is stored twice"
    return {i: json.loads(p) for i, p in found}


def history_events(data_dir: Path) -> dict[str, Counter[str]]:
    events: dict[str, Counter[str]] = defaultdict(Counter)
    with sqlite(data_dir / "history.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        for memory_id, event in db.execute("SELECT memory_id, event FROM history"):
            events[memory_id][event] += 1
    return events


@pytest.mark.slow
async def test_four_processes_on_one_data_dir_keep_every_acknowledged_write_exactly_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = server_env(tmp_path, data_dir, EXPIRING_MEMORY_SWEEP_INTERVAL_SECONDS="1")
    shared = shared_catalogue()
    ledger = Ledger()
    barrier = Barrier(PROCESSES)
    stderr = [tmp_path / f"server-{n}.log" for n in range(PROCESSES)]

    with anyio.fail_after(420):
        async with anyio.create_task_group() as everyone:
            for n in range(PROCESSES):

                async def run(n: int = n) -> None:
                    async with RawServer.running(env, stderr[n]) as server:
                        await drive(server, n, ledger, shared, barrier)
                        assert server.not_json_rpc == []

                everyone.start_soon(run)

    assert sum(ledger.calls.values()) == PROCESSES * CALLS_PER_PROCESS
    assert ledger.errors == []
    logs = "\n".join(path.read_text() for path in stderr)
    assert "database is locked" not in logs
    assert "Traceback" not in logs and " ERROR " not in logs, logs[-3000:]

    check_store_consistent(data_dir)
    stored = rows_by_id(data_dir)
    history = history_events(data_dir)

    for memory_id, text in ledger.unique.items():  # every acknowledged write is there, once
        assert memory_id in stored, text
        assert stored[memory_id]["data"] == text
        assert history[memory_id] == Counter(
            {"ADD": 1, **({"UPDATE": ledger.renewals[memory_id]} if ledger.renewals[memory_id] else {})}
        )
    for memory_id in ledger.forgotten:  # and every acknowledged forget took it, and its history, away
        assert memory_id not in stored and memory_id not in history
    swept = ledger.short_lived - stored.keys()  # sweeps in one process deleted while the others wrote
    assert swept and not [i for i in swept if i in history]

    dedup = Counter((p["user_id"], p["type"], p["dedup_key"]) for p in stored.values())
    assert max(dedup.values()) == 1, "two live rows for one text and type"
    for text, records in ledger.shared_acks.items():  # the refresh rule raced with itself and still made one memory
        ids = {r["id"] for r in records}
        assert len(ids) == 1, (text, ids)
        (memory_id,) = ids
        payload = stored[memory_id]
        expiries = [r["expires_at"] for r in records]
        assert payload["expires_at"] == (None if None in expiries else max(expiries))  # permanent beats temporary
        assert history[memory_id] == Counter({"ADD": 1, **({"UPDATE": len(records) - 1} if len(records) > 1 else {})})
    assert len(ledger.shared_acks) == SHARED_TEXTS + BURSTS


@pytest.mark.slow  # 60 tool calls, 50 of them at once: a few seconds on two cores
async def test_fifty_concurrent_tool_calls_in_one_process_stay_correct(client: Client, db, clock) -> None:
    rng = random.Random(3)
    seeded = [await call(client, "remember_temporary", content=sentence(rng, f"Seed {n}:")) for n in range(10)]
    distinct = [sentence(rng, f"Distinct {n}:") for n in range(20)]
    same = "Watching the comet from the hill tonight"
    results: dict[str, Any] = {}

    async def run(key: str, tool: str, arguments: dict[str, Any]) -> None:
        results[key] = await call(client, tool, **arguments)

    with anyio.fail_after(120):
        async with anyio.create_task_group() as tasks:
            for n, text in enumerate(distinct):  # 20
                tasks.start_soon(run, f"distinct-{n}", "remember_permanent", {"content": text, "memory_type": "fact"})
            for n in range(10):  # 10 racing on one text
                tasks.start_soon(run, f"same-{n}", "remember_temporary", {"content": same, "expires_in_days": n + 1})
            for n in range(5):  # 5
                tasks.start_soon(run, f"forget-{n}", "forget", {"memory_id": seeded[n]["id"]})
            for n in range(5, 10):  # 5
                tasks.start_soon(
                    run, f"renew-{n}", "renew_memory", {"memory_id": seeded[n]["id"], "expires_in_days": 40}
                )
            for n in range(6):  # 6, of memories nobody forgets meanwhile
                tasks.start_soon(run, f"recall-{n}", "recall", {"query": seeded[5 + n % 5]["content"], "limit": 3})
            for n in range(4):  # 4
                tasks.start_soon(run, f"expiring-{n}", "expiring_soon", {"within_days": 60, "limit": 50})

    assert len(results) == 50
    assert len({results[f"distinct-{n}"]["id"] for n in range(20)}) == 20
    same_ids = {results[f"same-{n}"]["id"] for n in range(10)}
    assert len(same_ids) == 1
    assert max(results[f"same-{n}"]["expires_at"] for n in range(10)) == iso(clock.now() + timedelta(days=10))
    assert {results[f"forget-{n}"]["deleted"] for n in range(5)} == {seeded[n]["id"] for n in range(5)}
    for n in range(5, 10):
        assert results[f"renew-{n}"]["expires_at"] == iso(clock.now() + timedelta(days=40))
    for n in range(6):
        recalled = [m["id"] for m in results[f"recall-{n}"]["memories"]]
        assert seeded[5 + n % 5]["id"] in recalled
    assert db.count_rows() == 20 + 1 + 5
    expiring = await call(client, "expiring_soon", within_days=60, limit=50)
    assert {m["id"] for m in expiring["memories"]} == same_ids | {seeded[n]["id"] for n in range(5, 10)}
    check_store_consistent(db.path.parent)
