"""Usage counters under load: four server processes on one data dir, 200 recalls each (with recall-aware expiry on,
so recalls also write), while each also remembers. No errors, no lost memories, no lost counts after a clean exit."""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import anyio
import pytest

from concurrency_load import WORDS
from raw_stdio import RawServer, check_store_consistent, ok
from support import server_env, sqlite

pytestmark = pytest.mark.anyio

PROCESSES = 4
RECALLS = 200
IN_FLIGHT = 4
SEEDED = 24


@pytest.mark.slow  # 800 recalls and 80 writes in four processes: a minute on two busy cores
async def test_four_processes_recalling_at_once_lose_no_memory_and_no_count(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = server_env(
        tmp_path, data_dir, EXPIRING_MEMORY_SWEEP_INTERVAL_SECONDS="1", EXPIRING_MEMORY_EXTEND_ON_RECALL='{"chat": 60}'
    )
    texts = [f"Seeded note {n}: {' '.join(random.Random(n).sample(WORDS, 5))}" for n in range(SEEDED)]
    remembered: dict[str, str] = {}  # id -> text
    chats: dict[str, str] = {}  # id -> its expiry when remembered
    async with RawServer.running(env, tmp_path / "seed.log") as server:
        for n, text in enumerate(texts):
            record = ok(await server.call("remember_temporary", content=text, memory_type=["chat", "session"][n % 2]))
            remembered[record["id"]] = text
            if record["memory_type"] == "chat":
                chats[record["id"]] = record["expires_at"]

    returned: Counter[str] = Counter()
    expiries: dict[str, list[str]] = defaultdict(list)
    errors: list[Any] = []
    logs = [tmp_path / f"server-{n}.log" for n in range(PROCESSES)]

    async def run(process_no: int) -> None:
        rng = random.Random(process_no)
        budget = iter(range(RECALLS))
        async with RawServer.running(env, logs[process_no]) as server:

            async def worker() -> None:
                for n in budget:
                    response = await server.call("recall", query=rng.choice(texts), limit=3)
                    if response is None or "result" not in response or response["result"].get("isError"):
                        errors.append((process_no, n, response))
                        continue
                    for memory in response["result"]["structuredContent"]["memories"]:
                        returned[memory["id"]] += 1
                        expiries[memory["id"]].append(memory["expires_at"])
                    if n % 10 == 0:
                        text = f"Written by P{process_no} at {n}: {' '.join(rng.sample(WORDS, 4))}"
                        answer = await server.call("remember_permanent", content=text, memory_type="fact")
                        if answer is None or "result" not in answer or answer["result"].get("isError"):
                            errors.append((process_no, n, answer))
                        else:
                            remembered[answer["result"]["structuredContent"]["id"]] = text

            async with anyio.create_task_group() as tasks:
                for _ in range(IN_FLIGHT):
                    tasks.start_soon(worker)
            assert server.not_json_rpc == []

    with anyio.fail_after(420):
        async with anyio.create_task_group() as everyone:
            for n in range(PROCESSES):
                everyone.start_soon(run, n)

    assert errors == []
    text = "\n".join(path.read_text() for path in logs)
    assert "Traceback" not in text and " ERROR " not in text and "WARNING" not in text, text[-3000:]
    check_store_consistent(data_dir)
    with sqlite(data_dir / "memories.db") as db:
        stored = {
            i: json.loads(p) for i, p in db.execute("SELECT id, payload FROM vectors WHERE collection = 'memories'")
        }
        counted = {i: (c, last) for i, c, last in db.execute("SELECT id, recall_count, last_recalled_at FROM usage")}
    assert {i: p["data"] for i, p in stored.items()} == remembered  # nothing lost, nothing added
    assert sum(returned.values()) >= PROCESSES * RECALLS  # every recall found something
    assert {i: c for i, (c, _) in counted.items() if c} == dict(returned)  # every count, written by its own process
    assert all(last is not None for i, (_, last) in counted.items() if i in returned)
    for memory_id, seen in expiries.items():  # each recall's extension only ever moved an expiry later
        assert stored[memory_id]["expires_at"] == (None if None in seen else max(seen))
    extended = [i for i in chats if i in returned]
    assert extended and all(stored[i]["expires_at"] > chats[i] for i in extended)  # 60 days beat 30
