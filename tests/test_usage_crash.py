"""`kill -9` while recalls are being counted (and, with recall-aware expiry on, while recalls write): counts may be
lost, never invented, and the database is never damaged; after a clean exit every count is there."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import anyio
import pytest

from concurrency_load import WORDS
from raw_stdio import RawServer, check_store_consistent, ok
from support import server_env, sqlite

pytestmark = pytest.mark.anyio

ROUNDS = 6
IN_FLIGHT = 4
MEMORIES = 12


def counts_in_file(data_dir: Path) -> Counter[str]:
    with sqlite(data_dir / "memories.db") as db:
        return Counter(dict(db.execute("SELECT id, recall_count FROM usage").fetchall()))


def ids_in_file(data_dir: Path) -> set[str]:
    with sqlite(data_dir / "memories.db") as db:
        return {i for (i,) in db.execute("SELECT id FROM vectors WHERE collection = 'memories'")}


async def recall_until_killed(server: RawServer, texts: list[str], rng: random.Random, returned: Counter[str]) -> None:
    first = anyio.Event()

    async def recaller() -> None:
        while True:
            response = await server.call("recall", query=rng.choice(texts), limit=3)
            if response is None:  # killed
                return
            for memory in ok(response)["memories"]:
                returned[memory["id"]] += 1
            first.set()

    async def killer() -> None:
        await first.wait()
        with anyio.move_on_after(rng.uniform(0.3, 4.5)):  # the batch is written every 2 seconds: before, during, after
            await server.closed.wait()
        server.kill()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(killer)
        for _ in range(IN_FLIGHT):
            tasks.start_soon(recaller)


@pytest.mark.slow  # six servers killed, one more run to a clean exit
async def test_kill_9_while_counting_loses_at_most_counts_and_never_damages_the_file(tmp_path: Path) -> None:
    rng = random.Random(18)
    data_dir = tmp_path / "data"
    env = server_env(tmp_path, data_dir, EXPIRING_MEMORY_EXTEND_ON_RECALL='{"chat": 45}')
    texts = [f"Chat note {n}: {' '.join(random.Random(n).sample(WORDS, 5))}" for n in range(MEMORIES)]
    async with RawServer.running(env, tmp_path / "server.log") as server:
        ids = {ok(await server.call("remember_temporary", content=t, memory_type="chat"))["id"] for t in texts}

    returned: Counter[str] = Counter()  # every count a client was shown, across all rounds
    with anyio.fail_after(400):
        for _ in range(ROUNDS):
            async with RawServer.running(env, tmp_path / "server.log") as server:
                await recall_until_killed(server, texts, rng, returned)
            assert server.process.returncode == -9
            check_store_consistent(data_dir)
            assert ids_in_file(data_dir) == ids
            counted = counts_in_file(data_dir)
            assert all(counted[i] <= returned[i] for i in counted), (counted, returned)  # lost maybe, never invented

        before = counts_in_file(data_dir)
        clean: Counter[str] = Counter()
        async with RawServer.running(env, tmp_path / "server.log") as server:
            for text in texts * 3:
                for memory in ok(await server.call("recall", query=text, limit=3))["memories"]:
                    clean[memory["id"]] += 1
        assert server.process.returncode == 0
    check_store_consistent(data_dir)
    assert counts_in_file(data_dir) == before + clean  # a clean exit writes every count
    assert sum(returned.values()) > 0
