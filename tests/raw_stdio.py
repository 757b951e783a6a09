"""The console script as a subprocess, spoken to in raw JSON-RPC lines: the test controls every byte, sees every
stdout line, can pipeline many calls at once and can `kill -9` the server between any two of them."""

from __future__ import annotations

import json
import subprocess
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import Process
from anyio.streams.text import TextReceiveStream

from expiring_memory_mcp.store.keywords import index_text
from support import SCRIPT, sqlite

__all__ = ["RawServer", "check_store_consistent", "ok", "unshare_prefix"]

HANDSHAKE = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw-test", "version": "0"}}


class RawServer:
    """One server process. `call` sends a tools/call and waits for its answer (None if the process died first)."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self.lines: list[str] = []  # every stdout line, in order
        self.not_json_rpc: list[str] = []  # stdout lines that are not JSON-RPC 2.0 messages
        self.notifications: list[str] = []  # the methods of the notifications the server sent
        self._next_id = 100
        self._waiting: dict[int, tuple[anyio.Event, list[dict[str, Any]]]] = {}
        self.closed = anyio.Event()

    @classmethod
    @asynccontextmanager
    async def running(
        cls, env: dict[str, str], stderr: Path, *, command: Sequence[str] = (SCRIPT,), cwd: Path | None = None
    ) -> AsyncIterator[RawServer]:
        """Spawn, initialize, yield; on the way out close stdin and wait (or reap a killed process)."""
        with stderr.open("ab") as err:
            process = await anyio.open_process(list(command), env=env, stderr=err, cwd=cwd)
        async with process, anyio.create_task_group() as tasks:
            server = cls(process)
            tasks.start_soon(server._read)
            try:
                with anyio.fail_after(120):
                    await server.initialize()
                yield server
            finally:
                with anyio.move_on_after(60, shield=True):
                    if process.returncode is None and process.stdin is not None:
                        with suppress(anyio.BrokenResourceError, OSError):  # a killed process has no reader left
                            await process.stdin.aclose()
                    await process.wait()
                if process.returncode is None:
                    process.kill()
                tasks.cancel_scope.cancel()

    async def initialize(self) -> dict[str, Any]:
        response = await self.request("initialize", HANDSHAKE)
        assert response is not None and "result" in response, response
        await self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return response["result"]

    async def send(self, message: dict[str, Any] | str | bytes) -> None:
        """One line: a message, or JSON text, or raw bytes (which need not be UTF-8)."""
        line = (
            message.encode()
            if isinstance(message, str)
            else message
            if isinstance(message, bytes)
            else (json.dumps(message).encode())
        )
        assert self.process.stdin is not None
        await self.process.stdin.send(line + b"\n")

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    async def request(self, method: str, params: dict[str, Any], id_: int | None = None) -> dict[str, Any] | None:
        """Send one request and wait for the response with its id; None if stdout closed first."""
        id_ = self.new_id() if id_ is None else id_
        return await self.send_and_wait(id_, {"jsonrpc": "2.0", "id": id_, "method": method, "params": params})

    async def send_and_wait(self, id_: int, message: dict[str, Any] | str | bytes) -> dict[str, Any] | None:
        done, slot = self._waiting[id_] = (anyio.Event(), [])
        if self.closed.is_set():
            return None
        try:
            await self.send(message)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, BrokenPipeError):
            return None
        await done.wait()
        return slot[0] if slot else None

    async def call(self, tool: str, **arguments: Any) -> dict[str, Any] | None:
        """A tools/call; the JSON-RPC response (with `result` or `error`), or None if the server died first."""
        return await self.request("tools/call", {"name": tool, "arguments": arguments})

    def kill(self) -> None:
        """SIGKILL, as `kill -9` would."""
        if self.process.returncode is None:
            self.process.kill()

    async def _read(self) -> None:
        assert self.process.stdout is not None
        buffer = ""
        try:
            async for chunk in TextReceiveStream(self.process.stdout):
                buffer += chunk
                *complete, buffer = buffer.split("\n")
                for line in complete:
                    self._take(line)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass
        if buffer:
            self._take(buffer)  # a last line cut off by a kill is still checked
        self.closed.set()
        for done, _ in self._waiting.values():
            done.set()

    def _take(self, line: str) -> None:
        self.lines.append(line)
        try:
            message = json.loads(line)
        except ValueError:
            self.not_json_rpc.append(line)
            return
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            self.not_json_rpc.append(line)
            return
        if "method" in message and "id" not in message:
            self.notifications.append(message["method"])
        if isinstance(message.get("id"), int) and message["id"] in self._waiting and "method" not in message:
            done, slot = self._waiting[message["id"]]
            slot.append(message)
            done.set()


def ok(response: dict[str, Any] | None) -> dict[str, Any]:
    """The structured result of a successful tool call; fails the test otherwise."""
    assert response is not None, "the server gave no answer"
    assert "result" in response and not response["result"].get("isError"), response
    return response["result"]["structuredContent"]


def check_store_consistent(data_dir: Path) -> dict[str, int]:
    """Both databases pass integrity_check, and every memory row has exactly one FTS row holding its text."""
    with sqlite(data_dir / "memories.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("INSERT INTO vectors_fts (vectors_fts) VALUES ('integrity-check')").rowcount in (-1, 0, 1)
        rows = db.execute("SELECT count(*) FROM vectors").fetchone()[0]
        fts = db.execute("SELECT count(*) FROM vectors_fts").fetchone()[0]
        no_fts = db.execute(
            "SELECT count(*) FROM vectors v WHERE NOT EXISTS (SELECT 1 FROM vectors_fts f WHERE f.rowid = v.rowid)"
        ).fetchone()[0]
        no_row = db.execute(
            "SELECT count(*) FROM vectors_fts f WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE v.rowid = f.rowid)"
        ).fetchone()[0]
        pairs = db.execute(
            "SELECT f.text, coalesce(json_extract(v.payload, '$.data'), '') FROM vectors v"
            " JOIN vectors_fts f ON f.rowid = v.rowid"
        ).fetchall()
        wrong_text = sum(indexed != index_text(text) for indexed, text in pairs)
        bad_vectors = db.execute("SELECT count(*) FROM vectors WHERE length(vector) != 384 * 4").fetchone()[0]
    assert (no_fts, no_row, wrong_text, bad_vectors) == (0, 0, 0, 0), (no_fts, no_row, wrong_text, bad_vectors)
    assert rows == fts
    history = data_dir / "history.db"
    if history.exists():
        with sqlite(history) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    return {"rows": rows}


def unshare_prefix() -> list[str]:
    """The command prefix that runs a program with no network: `unshare -n` as root, else `unshare -rn`."""
    for prefix in (["unshare", "-n"], ["unshare", "-rn"]):
        try:
            if subprocess.run([*prefix, "true"], check=False, capture_output=True, timeout=10).returncode == 0:
                return prefix
        except (OSError, subprocess.SubprocessError):
            continue
    return []
