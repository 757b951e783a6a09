"""Privacy: no network, no file outside the data dir, private permissions, no leftover text, users kept apart.

The first tests share one full session of the real console script, run as a real client would run it, under
`unshare -n` (no network namespace) where the machine allows it and always with an audit hook that refuses and
records any Internet socket, with HOME, TMPDIR and the working directory pointed at empty folders, at DEBUG level.
"""

from __future__ import annotations

import stat
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from raw_stdio import RawServer, ok, unshare_prefix
from support import SCRIPT, call, call_error, server_env, serving

# Loaded by the server's Python at startup (via PYTHONPATH): refuses Internet sockets and DNS, and records every try.
AUDIT_HOOK = """
import os, socket, sys

_LOG = os.environ["NETWORK_AUDIT_LOG"]

def _record(line):
    with open(_LOG, "a") as log:
        log.write(line + "\\n")

def _hook(event, args):
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        if getattr(args[0], "family", None) not in (socket.AF_INET, socket.AF_INET6):
            return
    elif event not in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"):
        return
    _record(f"{event} {args[1:]!r}")
    raise OSError(f"network access refused by the test: {event}")

_record(f"armed {os.getpid()}")
sys.addaudithook(_hook)
"""


@dataclass
class Session:
    home: Path
    tmp: Path
    cwd: Path
    data_dir: Path
    audit_log: Path
    stderr: Path
    qdrant_before: bool
    modes_while_running: dict[str, int] = field(default_factory=dict)
    responses: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    not_json_rpc: list[str] = field(default_factory=list)
    stdout_lines: int = 0
    notifications: list[str] = field(default_factory=list)


def modes(data_dir: Path) -> dict[str, int]:
    return {
        str(p.relative_to(data_dir.parent)): stat.S_IMODE(p.stat().st_mode)
        for p in [data_dir, *sorted(data_dir.rglob("*"))]
    }


async def full_session(session: Session, env: dict[str, str], command: list[str]) -> None:
    async with RawServer.running(env, session.stderr, command=command, cwd=session.cwd) as server:
        r = session.responses
        # sent at once, while Mem0 and the embedder are still loading in the background
        r["list"] = await server.request("tools/list", {})
        async with anyio.create_task_group() as tasks:

            async def put(key: str, tool: str, arguments: dict[str, Any]) -> None:
                r[key] = await server.call(tool, **arguments)

            tasks.start_soon(put, "temporary", "remember_temporary", {"content": "Browsing hiking boots in size 44"})
            tasks.start_soon(
                put,
                "permanent",
                "remember_permanent",
                {"content": "Prefers aisle seats", "metadata": {"source": "chat"}},
            )
        r["recall"] = await server.call("recall", query="boots for hiking")
        r["fts"] = await server.call("recall", query='boots" OR NEAR(a b) * -x AND')
        r["expiring"] = await server.call("expiring_soon", within_days=30)
        memory_id = ok(r["temporary"])["id"]
        r["renew"] = await server.call("renew_memory", memory_id=memory_id, expires_in_days=3)
        r["refresh"] = await server.call("remember_temporary", content="browsing HIKING boots in size 44")
        r["bad"] = await server.call("remember_temporary", content="x", expires_at="last tuesday")
        session.modes_while_running = modes(session.data_dir)
        r["forget"] = await server.call("forget", memory_id=memory_id)
        session.not_json_rpc = server.not_json_rpc
        session.stdout_lines = len(server.lines)
        session.notifications = server.notifications


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> Session:
    root = tmp_path_factory.mktemp("offline")
    hook_dir, cwd = root / "hook", root / "cwd"
    hook_dir.mkdir()
    cwd.mkdir()
    (hook_dir / "sitecustomize.py").write_text(AUDIT_HOOK)
    session = Session(
        home=root / "home",
        tmp=root / "tmp",
        cwd=cwd,
        data_dir=root / "data",
        audit_log=root / "network.log",
        stderr=root / "server.log",
        qdrant_before=Path("/tmp/qdrant").exists(),
    )
    env = server_env(
        root,
        session.data_dir,
        EXPIRING_MEMORY_LOG_LEVEL="DEBUG",
        PYTHONPATH=str(hook_dir),
        NETWORK_AUDIT_LOG=str(session.audit_log),
    )
    anyio.run(full_session, session, env, [*unshare_prefix(), SCRIPT])
    return session


@pytest.mark.slow
def test_a_full_session_works_offline_and_never_tries_the_network(offline: Session) -> None:
    for key, response in offline.responses.items():
        if key == "bad":
            assert response and response["result"]["isError"]
        else:
            assert response is not None and "result" in response and not response["result"].get("isError"), key
    assert ok(offline.responses["recall"])["memories"][0]["content"] == "Browsing hiking boots in size 44"
    assert ok(offline.responses["refresh"])["id"] == ok(offline.responses["temporary"])["id"]
    attempts = offline.audit_log.read_text().splitlines()
    assert [line.split()[0] for line in attempts] == ["armed"], attempts  # the hook ran, and nothing was refused


@pytest.mark.slow
def test_a_full_session_writes_nothing_outside_the_data_dir(offline: Session) -> None:
    assert list(offline.home.iterdir()) == []  # no ~/.mem0, no ~/.cache, nothing
    assert list(offline.tmp.iterdir()) == []
    assert list(offline.cwd.iterdir()) == []
    assert Path("/tmp/qdrant").exists() == offline.qdrant_before
    names = {p.name for p in offline.data_dir.rglob("*")}
    assert names <= {
        "memories.db",
        "memories.db-wal",
        "memories.db-shm",
        "history.db",
        "history.db-wal",
        "history.db-shm",
        "mem0",
        "config.json",
    }, names


@pytest.mark.slow
def test_the_data_dir_and_every_file_in_it_are_private_while_the_server_runs_and_after(offline: Session) -> None:
    running = offline.modes_while_running
    assert {"data/memories.db-wal", "data/history.db-wal", "data/mem0/config.json"} <= running.keys()
    for when in (running, modes(offline.data_dir)):
        for name, mode in when.items():
            expected = 0o700 if name in ("data", "data/mem0") else 0o600
            assert mode == expected, (name, oct(mode))


@pytest.mark.slow
def test_stdout_carries_only_json_rpc_at_debug_level_while_loading_and_while_mem0_logs(offline: Session) -> None:
    assert offline.not_json_rpc == []
    # initialize, then one line per request, and the resource notifications the changing calls send
    assert offline.stdout_lines == 1 + len(offline.responses) + len(offline.notifications)
    assert set(offline.notifications) == {"notifications/resources/list_changed"}
    log = offline.stderr.read_text()
    assert " DEBUG " in log
    assert "INFO mem0." in log  # Mem0's own logging was on during the session (loading, refreshing, deleting)
    assert "Deleting memory" in log


# -- text that must not outlive its memory -------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_forgotten_or_expired_memory_leaves_no_copy_of_its_text_in_any_file(
    client: Client, clock, data_dir: Path
) -> None:
    forgotten = await client.call_tool("remember_permanent", {"content": "Safe combination is 31-7-44 zebra"})
    expiring = await client.call_tool(
        "remember_temporary", {"content": "Gate code quokka 9981", "memory_type": "cache"}
    )
    await client.call_tool("remember_permanent", {"content": "Likes sunflowers"})
    assert not forgotten.is_error and not expiring.is_error
    assert not (await client.call_tool("forget", {"memory_id": forgotten.structured_content["id"]})).is_error
    clock.advance(days=2)
    assert not (await client.call_tool("recall", {"query": "sunflowers"})).is_error  # the sweep runs here

    everything = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())  # -wal files included
    for word in (b"31-7-44", b"zebra", b"quokka", b"9981"):
        assert word not in everything, word
    assert b"sunflowers" in everything


# -- two users on one data dir -------------------------------------------------------------------------------


def unknown_id_error(text: str, asked: str, placeholder: str = "<id>") -> str:
    return text.replace(asked, placeholder)


@pytest.mark.anyio
async def test_two_users_on_one_data_dir_can_not_read_list_renew_or_forget_each_others_memories(
    settings, clock, embedder, db
) -> None:
    bob_settings = settings.model_copy(update={"user_id": "bob"})

    async with serving(settings, clock, embedder) as alice, serving(bob_settings, clock, embedder) as bob:
        mine = {
            "temporary": await call(
                alice, "remember_temporary", content="Alice's parcel arrives Friday", memory_type="reminder"
            ),
            "permanent": await call(
                alice,
                "remember_permanent",
                content="Alice's bank is Nordbank",
                memory_type="account",
                metadata={"branch": "north"},
            ),
        }
        theirs = await call(bob, "remember_temporary", content="Bob's parcel arrives Monday", memory_type="reminder")
        before = await call(alice, "expiring_soon", within_days=3650, limit=200)

        for user, others_memories in ((bob, list(mine.values())), (alice, [theirs])):
            for memory in others_memories:
                recalled = await call(user, "recall", query=memory["content"], limit=50)
                assert memory["id"] not in [m["id"] for m in recalled["memories"]]
                listed = await call(user, "expiring_soon", within_days=36500, limit=200)
                assert memory["id"] not in [m["id"] for m in listed["memories"]]
                stranger = str(uuid.uuid4())
                for tool, extra in (
                    ("renew_memory", {"permanent": True}),
                    ("renew_memory", {"expires_in_days": 9}),
                    ("forget", {}),
                ):
                    refused = await call_error(user, tool, memory_id=memory["id"], **extra)
                    unknown = await call_error(user, tool, memory_id=stranger, **extra)
                    assert unknown_id_error(refused, memory["id"]) == unknown_id_error(unknown, stranger)

        # Bob's remembering Alice's very text makes a memory of his own; it does not refresh hers.
        copy = await call(bob, "remember_permanent", content="alice's bank is NORDBANK", memory_type="account")
        assert copy["id"] != mine["permanent"]["id"]
        after = await call(alice, "expiring_soon", within_days=3650, limit=200)
        assert after == before
        recalled = await call(alice, "recall", query="Nordbank", limit=50)
        assert [m["id"] for m in recalled["memories"]] == [mine["permanent"]["id"]]
        assert recalled["memories"][0]["metadata"] == {"branch": "north"}
    assert db.count_rows() == 4
    assert db.users() == {
        mine["temporary"]["id"]: "alice",
        mine["permanent"]["id"]: "alice",
        theirs["id"]: "bob",
        copy["id"]: "bob",
    }
