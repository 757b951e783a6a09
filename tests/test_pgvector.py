"""The mem0 backend on a real PostgreSQL + pgvector server (started by the tests), shared by several server processes.
(Every tool test on pgvector is in tests/tools/, whose `backend` fixture runs each on both stores.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from support import SCRIPT, PgDatabase, server_env

pytestmark = [pytest.mark.anyio, pytest.mark.slow]  # Postgres, and three console-script processes


@pytest.fixture
def db(postgres: str, pg_collection: str, data_dir: Path) -> PgDatabase:
    return PgDatabase(postgres, pg_collection, data_dir)


# -- several server processes on one database ----------------------------------------------------------------------

PROCESSES = 3
OWN_PER_PROCESS = 40
BURSTS = 15  # each a new text that all three servers are asked to remember at the same instant


async def test_three_server_processes_share_one_database_without_lost_writes_or_duplicates(
    tmp_path: Path, pg_config: Path, db: PgDatabase
) -> None:
    """Three console-script servers, each with its own data dir (as on three machines), write at once: every
    acknowledged memory is stored, a text all three remember at the same instant is stored once, and each server
    recalls what the others wrote. Postgres's advisory lock is all that serialises the twin check and the write."""
    import anyio
    from mcp import Client, StdioServerParameters

    def params(n: int) -> StdioServerParameters:
        env = server_env(
            tmp_path / f"machine{n}",
            tmp_path / f"machine{n}" / "data",
            EXPIRING_MEMORY_BACKEND="mem0",
            EXPIRING_MEMORY_MEM0_CONFIG=str(pg_config),
        )
        return StdioServerParameters(command=SCRIPT, env=env)

    for n in range(PROCESSES):
        (tmp_path / f"machine{n}").mkdir()
    acknowledged: dict[str, str] = {}
    burst_ids: list[set[str]] = [set() for _ in range(BURSTS)]
    errors: list[str] = []

    async def remember(client: Client, text: str, permanent: bool) -> str | None:
        tool = "remember_permanent" if permanent else "remember_temporary"
        result = await client.call_tool(tool, {"content": text, "memory_type": "fact" if permanent else "session"})
        if result.is_error:
            errors.append(str(result.content))
            return None
        return result.structured_content["id"]

    async def own_writes(client: Client, n: int) -> None:
        place = ["doormat", "flowerpot", "mailbox"][n]
        if memory_id := await remember(client, f"The spare key is hidden under the {place}", permanent=True):
            acknowledged[memory_id] = place
        for i in range(OWN_PER_PROCESS - 1):
            text = f"Machine {n} note {i}: checked the {['oven', 'garage', 'garden', 'bikes'][i % 4]}"
            if memory_id := await remember(client, text, permanent=i % 3 == 0):
                acknowledged[memory_id] = text

    async def same_text(client: Client, burst: int) -> None:
        if memory_id := await remember(client, f"Team standup moved to room {burst + 100}", permanent=True):
            burst_ids[burst].add(memory_id)

    with anyio.fail_after(300):
        async with Client(params(0)) as a, Client(params(1)) as b, Client(params(2)) as c:
            clients = (a, b, c)
            async with anyio.create_task_group() as tg:
                for n, client in enumerate(clients):
                    tg.start_soon(own_writes, client, n)
            for burst in range(BURSTS):
                async with anyio.create_task_group() as tg:
                    for client in clients:
                        tg.start_soon(same_text, client, burst)
            recalled = await b.call_tool("recall", {"query": "is the spare key under the mailbox?", "limit": 1})

    assert errors == []
    assert len(acknowledged) == PROCESSES * OWN_PER_PROCESS
    assert [len(ids) for ids in burst_ids] == [1] * BURSTS  # all three were told the same id: one memory
    assert db.count_rows() == PROCESSES * OWN_PER_PROCESS + BURSTS
    stored = {memory_id for (memory_id,) in db._query(f'SELECT id::text FROM "{db.collection}"')}
    assert set(acknowledged) | set().union(*burst_ids) == stored
    assert [m["content"] for m in recalled.structured_content["memories"]] == [
        "The spare key is hidden under the mailbox"
    ]
