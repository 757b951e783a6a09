"""Many callers at once: four server processes on one data dir, and fifty concurrent calls in one process."""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from expiring_memory_mcp.retention import iso
from raw_stdio import RawServer, check_store_consistent
from support import call, server_env, sqlite

pytestmark = pytest.mark.anyio

PROCESSES = 4
CALLS_PER_PROCESS = 500
IN_FLIGHT_PER_PROCESS = 4
SHARED_TEXTS = 24  # remembered by every process, temporary and permanent, to race the refresh rule with itself
BURSTS = 40  # of each process's calls, in lockstep: all processes send the same new text at the same instant
SHORT_LIFE_DAYS = 2e-5  # about 1.7 seconds: these expire during the run, so sweeps delete while others write
WORDS = [
    "amber",
    "basil",
    "cedar",
    "dune",
    "ember",
    "fjord",
    "garnet",
    "harbor",
    "iris",
    "juniper",
    "kestrel",
    "lagoon",
    "maple",
    "nectar",
    "orchid",
    "pebble",
    "quartz",
    "raven",
    "saffron",
    "tundra",
    "umber",
    "velvet",
    "willow",
    "yarrow",
    "zephyr",
    "alpine",
    "bramble",
    "cobalt",
    "delta",
    "falcon",
    "glacier",
    "heron",
    "indigo",
    "jasper",
    "lotus",
    "meadow",
    "nimbus",
    "onyx",
    "prairie",
    "quill",
    "russet",
    "sierra",
    "thistle",
]


def sentence(rng: random.Random, tag: str) -> str:
    return f"{tag} {' '.join(rng.sample(WORDS, 6))}"


@dataclass
class Ledger:
    """What the client was told, across all processes: the test's own record to check the database against."""

    unique: dict[str, str] = field(default_factory=dict)  # memory id -> content, acknowledged and not forgotten
    forgotten: set[str] = field(default_factory=set)
    renewals: Counter[str] = field(default_factory=Counter)
    short_lived: set[str] = field(default_factory=set)
    shared_acks: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))  # text -> records
    errors: list[Any] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)


class Barrier:
    """A cyclic barrier for tasks in one event loop: the processes' burst workers meet here before each burst."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.count = 0
        self.event = anyio.Event()

    async def wait(self) -> None:
        event = self.event
        self.count += 1
        if self.count == self.parties:
            self.count, self.event = 0, anyio.Event()
            event.set()
        else:
            await event.wait()


def shared_catalogue() -> list[tuple[str, str]]:
    rng = random.Random(7)
    types = ["fact", "session", "chat", "preference"]
    return [(sentence(rng, f"Shared note S{k}:"), types[k % len(types)]) for k in range(SHARED_TEXTS)]


async def drive(
    server: RawServer, process_no: int, ledger: Ledger, shared: list[tuple[str, str]], barrier: Barrier
) -> None:
    """One process's share of the load: BURSTS calls in lockstep with the other processes, and the rest drawn by
    IN_FLIGHT_PER_PROCESS workers: own and shared memories, recall, forget, renew and expiring_soon, interleaved."""
    rng = random.Random(1000 + process_no)
    mine: list[str] = []  # own unique memory ids nobody is forgetting or renewing right now
    budget = iter(range(CALLS_PER_PROCESS - BURSTS))

    async def call(tool: str, **arguments: Any) -> dict[str, Any] | None:
        ledger.calls[tool] += 1
        response = await server.call(tool, **arguments)
        if response is None or "result" not in response or response["result"].get("isError"):
            ledger.errors.append((process_no, tool, arguments, response))
            return None
        return response["result"]["structuredContent"]

    async def one(n: int) -> None:
        roll = rng.random()
        if roll < 0.27:
            text = sentence(rng, f"Own note P{process_no}N{n}:")
            if rng.random() < 0.35:
                record = await call("remember_permanent", content=text, memory_type=rng.choice(["fact", "account"]))
            else:
                record = await call(
                    "remember_temporary",
                    content=text,
                    memory_type=rng.choice(["session", "chat", "reminder", "cache"]),
                    **({"expires_in_days": rng.uniform(2, 90)} if rng.random() < 0.5 else {}),
                )
            if record:
                ledger.unique[record["id"]] = text
                mine.append(record["id"])
        elif roll < 0.32:
            record = await call(
                "remember_temporary",
                content=sentence(rng, f"Brief note P{process_no}N{n}:"),
                memory_type="cache",
                expires_in_days=SHORT_LIFE_DAYS,
            )
            if record:
                ledger.short_lived.add(record["id"])
        elif roll < 0.57:
            text, kind = rng.choice(shared)
            spaced = rng.choice([text, text.upper(), f"  {text.lower()} "])  # the same text up to case and spacing
            if rng.random() < 0.3:
                record = await call("remember_permanent", content=spaced, memory_type=kind)
            else:
                record = await call("remember_temporary", content=spaced, memory_type=kind)
            if record:
                ledger.shared_acks[text].append(record)
        elif roll < 0.80:
            known = [t for t, _ in shared if ledger.shared_acks.get(t)]
            if known:
                text = rng.choice(known)
                memory_id = ledger.shared_acks[text][0]["id"]
                result = await call("recall", query=text, limit=5)
                if result is not None and memory_id not in [m["id"] for m in result["memories"]]:
                    ledger.errors.append((process_no, "recall missed an acknowledged memory", text, result))
            else:
                await call("expiring_soon", within_days=30)
        elif roll < 0.92 and mine:
            memory_id = mine.pop(rng.randrange(len(mine)))
            if await call("forget", memory_id=memory_id):
                ledger.forgotten.add(memory_id)
                del ledger.unique[memory_id]
        elif mine:
            memory_id = mine.pop(rng.randrange(len(mine)))
            change = {"permanent": True} if rng.random() < 0.3 else {"expires_in_days": rng.uniform(100, 200)}
            if await call("renew_memory", memory_id=memory_id, **change):
                ledger.renewals[memory_id] += 1
            mine.append(memory_id)
        else:
            await call("expiring_soon", within_days=rng.choice([1, 7, 365]), limit=50)

    async def worker() -> None:
        for n in budget:
            await one(n)

    async def bursts() -> None:
        for b in range(BURSTS):
            text, kind = f"Burst note B{b}: {' '.join(random.Random(b).sample(WORDS, 5))}", ["fact", "session"][b % 2]
            await barrier.wait()
            tool = "remember_permanent" if rng.random() < 0.3 else "remember_temporary"
            record = await call(tool, content=text, memory_type=kind)
            if record:
                ledger.shared_acks[text].append(record)

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(bursts)
        for _ in range(IN_FLIGHT_PER_PROCESS - 1):
            tasks.start_soon(worker)


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
