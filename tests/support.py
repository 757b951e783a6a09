"""What the tests share besides fixtures: the clock moved by hand, how a service is made, a second server on the same
data, the tool-call helpers, the console script's environment, and views of the database as a person would look."""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcp import Client

from expiring_memory_mcp.app import build_server
from expiring_memory_mcp.memories import MemoryService
from expiring_memory_mcp.settings import Settings

if TYPE_CHECKING:
    from expiring_memory_mcp.backends import Backend

__all__ = [
    "SCRIPT",
    "Database",
    "FakeClock",
    "PgDatabase",
    "call",
    "call_error",
    "contents",
    "make_service",
    "server_env",
    "serving",
    "sqlite",
]

# -- time ----------------------------------------------------------------------------------------------------------


class FakeClock:
    """Starts at the real time (Mem0 still checks its day-granular date against the real clock) and moves on demand."""

    def __init__(self) -> None:
        self.moment = datetime.now(UTC)

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


# -- the service, in process ---------------------------------------------------------------------------------------


def make_service(
    settings: Settings, clock: Any, embedder: Any = None, *, build: Callable[[], Backend] | None = None
) -> MemoryService:
    """The one place the tests build a MemoryService: the configured backend, opened on first use with `embedder`
    (or by `build`, for a test that opens it its own way)."""
    from expiring_memory_mcp.backends import open_backend

    return MemoryService.open(settings, clock, build or partial(open_backend, settings, embedder))


@asynccontextmanager
async def serving(settings: Settings, clock: Any, embedder: Any) -> AsyncIterator[Client]:
    """Another server on the same data (another user, another ranking, a restart): an in-memory MCP session on a
    service of its own, closed on the way out."""
    service = make_service(settings, clock, embedder)
    try:
        async with Client(build_server(service, settings)) as client:
            yield client
    finally:
        service.close()


# -- tool calls ----------------------------------------------------------------------------------------------------


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """A tool call that must succeed; its structured result."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def call_error(client: Client, tool: str, **arguments: Any) -> str:
    """A tool call that must be refused; its message."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    return result.content[0].text


def contents(result: dict[str, Any]) -> list[str]:
    return [m["content"] for m in result["memories"]]


# -- the console script as a process -------------------------------------------------------------------------------

SCRIPT = shutil.which("expiring-memory-mcp", path=str(Path(sys.executable).parent)) or "expiring-memory-mcp"


def server_env(tmp_path: Path, data_dir: Path, **extra: str) -> dict[str, str]:
    """Only what the server needs, with HOME and TMPDIR pointed at empty folders to catch stray files."""
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir(exist_ok=True)
    tmp.mkdir(exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "EXPIRING_MEMORY_DATA_DIR": str(data_dir),
        "EXPIRING_MEMORY_USER_ID": "alice",
        **extra,
    }


# -- the stored data, looked at directly ---------------------------------------------------------------------------


@contextmanager
def sqlite(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection to a database file that commits on success and is closed on the way out (sqlite3's own `with`
    only commits or rolls back: the connection would stay open until garbage collection)."""
    db = sqlite3.connect(path)
    try:
        with db:
            yield db
    finally:
        db.close()


class Database:
    """Looks at the database file directly, as a person with sqlite3 would."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _query(self, sql: str) -> list[tuple[Any, ...]]:
        with sqlite(self.path) as db:
            return db.execute(sql).fetchall()

    def count_rows(self) -> int:
        return self._query("SELECT count(*) FROM vectors WHERE collection = 'memories'")[0][0]

    def users(self) -> dict[str, str]:
        """Each stored memory's user id, by memory id."""
        return dict(
            self._query(
                "SELECT id, json_extract(payload, '$.user_id') FROM vectors WHERE collection = 'memories' ORDER BY id"
            )
        )

    def raw_bytes(self) -> bytes:
        return b"".join(p.read_bytes() for p in self.path.parent.glob(self.path.name + "*"))


class PgDatabase:
    """Looks at the Postgres table directly, as a person with psql would; `path` is in the data dir."""

    def __init__(self, uri: str, collection: str, data_dir: Path) -> None:
        self.uri, self.collection, self.path = uri, collection, data_dir / "memories"

    def _query(self, sql: str) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.uri) as conn:
            return conn.execute(sql).fetchall()

    def count_rows(self) -> int:
        return self._query(f'SELECT count(*) FROM "{self.collection}"')[0][0]

    def users(self) -> dict[str, str]:
        """Each stored memory's user id, by memory id."""
        return dict(self._query(f"SELECT id::text, payload->>'user_id' FROM \"{self.collection}\" ORDER BY id"))

    def raw_bytes(self) -> bytes:
        """Every payload in the database's tables of this collection (memories and entities), as text."""
        tables = [
            t
            for (t,) in self._query(
                f"SELECT table_name FROM information_schema.tables WHERE table_name LIKE '{self.collection}%'"
            )
        ]
        return b"".join(
            str(p).encode() for table in tables for (p,) in self._query(f'SELECT payload::text FROM "{table}"')
        )


VIEW_BASE = "http://127.0.0.1:8766"


@contextmanager
def signed_in_view(service: MemoryService) -> Iterator[Any]:
    """A browser-like client (Starlette's TestClient) of the memory view of `service`, signed in with the link `ui`
    would print."""
    from starlette.testclient import TestClient

    from expiring_memory_mcp.web.launch import prepare

    prepared = prepare(service, "127.0.0.1", 8766)
    with TestClient(prepared.app, base_url=VIEW_BASE) as client:
        assert client.get(prepared.url.removeprefix(VIEW_BASE)).status_code == 200
        yield client
