"""The load the multi-process concurrency test puts on one data dir: each process's mix of tool calls (own and shared
memories, recall, forget, renew, expiring_soon, and bursts in lockstep with the other processes), and the ledger of
what the clients were told, to check the database against."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import anyio

from raw_stdio import RawServer

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
    types = ["note", "topic", "entry", "item"]  # own types: both remember tools take them
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
            text, kind = f"Burst note B{b}: {' '.join(random.Random(b).sample(WORDS, 5))}", ["note", "topic"][b % 2]
            await barrier.wait()
            tool = "remember_permanent" if rng.random() < 0.3 else "remember_temporary"
            record = await call(tool, content=text, memory_type=kind)
            if record:
                ledger.shared_acks[text].append(record)

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(bursts)
        for _ in range(IN_FLIGHT_PER_PROCESS - 1):
            tasks.start_soon(worker)
