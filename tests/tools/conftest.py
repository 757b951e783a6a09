"""The tool tests in this directory run every tool through a real in-memory MCP session on the real stack (Mem0 with
the bundled embedder) on the embedded SQLite store, and again on Mem0's own pgvector store in a real Postgres (those
runs are marked slow). The fixtures here do that: they override tests/conftest.py's `settings` and `db` for this
directory only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from expiring_memory_mcp.settings import Settings
from support import Database, PgDatabase


@pytest.fixture(params=["embedded", pytest.param("pgvector", marks=pytest.mark.slow)])
def backend(request: pytest.FixtureRequest) -> str:
    """Every test here runs on the embedded store, and again on Mem0's pgvector store in a real Postgres."""
    return request.param


@pytest.fixture
def settings(
    request: pytest.FixtureRequest, backend: str, data_dir: Path, settings_overrides: dict[str, Any]
) -> Settings:
    if backend == "pgvector":
        pg_config = request.getfixturevalue("pg_config")  # starts Postgres only for these
        return Settings(data_dir=data_dir, user_id="alice", backend="mem0", mem0_config=pg_config, **settings_overrides)
    return Settings(data_dir=data_dir, user_id="alice", **settings_overrides)


@pytest.fixture
def db(request: pytest.FixtureRequest, backend: str, data_dir: Path) -> Database | PgDatabase:
    if backend == "pgvector":
        return PgDatabase(request.getfixturevalue("postgres"), request.getfixturevalue("pg_collection"), data_dir)
    return Database(data_dir / "memories.db")
