"""`kill -9` in the middle of writing: what the client was told is stored stays stored, and nothing is half-stored."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import pytest

from raw_stdio import RawServer, check_store_consistent, ok
from support import call, server_env, serving, sqlite

pytestmark = pytest.mark.anyio

ROUNDS = 20
IN_FLIGHT = 6  # calls pipelined at once, so a kill lands inside one of them
REPEATED = [f"Standing order {k}: water the ferns on the balcony, pot {k}" for k in range(8)]  # the refresh path
SHORT_LIFE_DAYS = 1e-5  # under a second: with a sweep on every call, deletes and compaction get killed too


@dataclass
class Ledger:
    acked: dict[str, str] = field(default_factory=dict)  # id -> content the client was told is stored
    forgotten: set[str] = field(default_factory=set)  # acknowledged forgets
    unsure: set[str] = field(default_factory=set)  # a forget or a short life was in flight: either state is fine
    repeated_ids: dict[str, str] = field(default_factory=dict)  # text -> the one id every refresh must return
    acks_per_round: list[int] = field(default_factory=list)


def stored(data_dir: Path) -> dict[str, dict[str, Any]]:
    with sqlite(data_dir / "memories.db") as db:
        rows = db.execute("SELECT id, payload FROM vectors WHERE collection = 'memories'").fetchall()
    return {i: json.loads(p) for i, p in rows}


def history_adds(data_dir: Path) -> set[str]:
    with sqlite(data_dir / "history.db") as db:
        return {i for (i,) in db.execute("SELECT memory_id FROM history WHERE event = 'ADD'")}


def history_orphans(data_dir: Path) -> set[str]:
    """Memories Mem0's history still holds text of, though the store does not have them."""
    with sqlite(data_dir / "history.db") as db:
        return {i for (i,) in db.execute("SELECT memory_id FROM history")} - stored(data_dir).keys()


async def write_until_killed(server: RawServer, rng: random.Random, ledger: Ledger, kill_early: bool) -> int:
    """Keep IN_FLIGHT writes going; kill -9 at a random moment. Returns how many calls were acknowledged."""
    first_ack = anyio.Event()
    acks = 0
    counter = iter(range(10**6))

    async def write() -> None:
        nonlocal acks
        n = next(counter)
        roll = rng.random()
        forgettable = sorted(set(ledger.acked) - set(ledger.repeated_ids.values()) - ledger.unsure)
        if roll < 0.08 and forgettable:
            memory_id = rng.choice(forgettable)
            ledger.unsure.add(memory_id)
            response = await server.call("forget", memory_id=memory_id)
            if response is not None:
                assert ok(response) == {"deleted": memory_id}
                ledger.forgotten.add(memory_id)
                del ledger.acked[memory_id]
        else:
            tool = rng.choice(["remember_temporary", "remember_permanent"])
            arguments: dict[str, Any] = {}
            if roll < 0.2:
                # one memory, refreshed either way: an own type, which both remember tools take
                text, arguments["memory_type"] = rng.choice(REPEATED), "note"
            elif roll < 0.26:
                text, tool = f"Fleeting thought {rng.getrandbits(48):x} number {n}", "remember_temporary"
                arguments["expires_in_days"] = SHORT_LIFE_DAYS
            else:
                text = f"Diary line {rng.getrandbits(48):x}: walked {n} steps along the canal"
            response = await server.call(tool, content=text, **arguments)
            if response is not None:
                record = ok(response)
                assert record["content"] == text
                if text in REPEATED:
                    assert ledger.repeated_ids.setdefault(text, record["id"]) == record["id"]
                if "expires_in_days" in arguments:
                    ledger.unsure.add(record["id"])  # it may have expired and been swept by now
                ledger.acked[record["id"]] = text
        if response is not None:
            acks += 1
            first_ack.set()

    async def writer() -> None:
        while not server.closed.is_set():
            await write()

    async def killer() -> None:
        """kill -9 at a random moment: not a wait for anything of ours, but the fault's schedule. A server that ends by
        itself meanwhile is not waited for (the caller's returncode check then fails)."""
        if kill_early:  # maybe while Mem0 is still loading or the startup sweep runs
            moment = rng.uniform(0.1, 3.0)
        else:
            await first_ack.wait()
            moment = rng.uniform(0.0, 0.8)
        with anyio.move_on_after(moment):
            await server.closed.wait()
        server.kill()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(killer)
        for _ in range(IN_FLIGHT):
            tasks.start_soon(writer)
    return acks


def check_after_crash(data_dir: Path, ledger: Ledger) -> None:
    check_store_consistent(data_dir)  # the files open; no vector without a row, no row without its FTS entry
    rows = stored(data_dir)
    adds = history_adds(data_dir)
    for memory_id, text in ledger.acked.items():
        if memory_id in ledger.unsure:
            continue
        assert memory_id in rows, f"acknowledged but lost: {text}"
        assert rows[memory_id]["data"] == text
        assert memory_id in adds, f"acknowledged but its history is lost: {text}"
    assert not ledger.forgotten & rows.keys(), "an acknowledged forget came back"
    for text in REPEATED:
        twins = [i for i, p in rows.items() if p["data"] == text]
        assert len(twins) <= 1, f"a refresh left two copies of {text!r}"


async def check_after_restart(server: RawServer, data_dir: Path, ledger: Ledger, rng: random.Random) -> None:
    """The store opens, serves what it acknowledged, and has dropped history left by the interrupted writes."""
    ok(await server.call("expiring_soon", within_days=1))  # the first call waits for the load and startup sweep
    orphans = history_orphans(data_dir)
    assert not orphans, "Mem0's history kept text of memories that were never stored or are gone"
    if survivors := sorted(set(ledger.acked) - ledger.unsure):
        survivor = rng.choice(survivors)
        found = ok(await server.call("recall", query=ledger.acked[survivor], limit=3))
        assert survivor in [m["id"] for m in found["memories"]]


@pytest.mark.slow
async def test_kill_9_during_writes_never_loses_an_acknowledged_write_or_leaves_half_a_memory(tmp_path: Path) -> None:
    rng = random.Random(9)
    data_dir = tmp_path / "data"
    env = server_env(tmp_path, data_dir, EXPIRING_MEMORY_SWEEP_INTERVAL_SECONDS="0")
    ledger = Ledger()

    with anyio.fail_after(600):
        for round_no in range(ROUNDS):
            async with RawServer.running(env, tmp_path / "server.log") as server:
                await check_after_restart(server, data_dir, ledger, rng)
                ledger.acks_per_round.append(await write_until_killed(server, rng, ledger, round_no % 4 == 3))
                assert server.not_json_rpc == []
            assert server.process.returncode == -9
            check_after_crash(data_dir, ledger)

        async with RawServer.running(env, tmp_path / "server.log") as server:  # and once more, to a clean exit
            for text, memory_id in ledger.repeated_ids.items():
                assert ok(await server.call("remember_permanent", content=text, memory_type="note"))["id"] == memory_id
        check_after_crash(data_dir, ledger)

    assert sum(1 for acks in ledger.acks_per_round if acks) >= ROUNDS // 2, ledger.acks_per_round  # killed mid-loop
    assert len(ledger.repeated_ids) == len(REPEATED)


async def test_history_left_by_an_interrupted_write_is_dropped_at_the_next_start(
    client, settings, clock, embedder, data_dir: Path
) -> None:
    kept = await call(client, "remember_permanent", content="Keeps bees on the roof")
    # as a kill between Mem0's commit and the store's leaves it
    with sqlite(data_dir / "history.db") as db:
        db.execute(
            "INSERT INTO history (id, memory_id, old_memory, new_memory, event) VALUES (?, ?, NULL, ?, 'ADD')",
            ("h-1", "never-stored", "Secret that was never acknowledged"),
        )
    async with serving(settings, clock, embedder) as again:  # a restart
        await call(again, "expiring_soon")

    with sqlite(data_dir / "history.db") as db:
        assert [i for (i,) in db.execute("SELECT DISTINCT memory_id FROM history")] == [kept["id"]]
    assert b"Secret that was never acknowledged" not in b"".join(p.read_bytes() for p in data_dir.glob("history.db*"))
