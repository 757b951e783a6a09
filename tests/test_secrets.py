"""Secrets never become memories: what each EXPIRING_MEMORY_SECRETS policy stores and tells the model, through a real
MCP session, with the database files' bytes (memories.db, its WAL, Mem0's history.db) searched for the secret; the
command line's `secrets scan [--redact]`, `remember` and `import`; and the one-time
check of a store written before the policy. The detector alone: tests/test_secrets_detection.py; what errors echo:
tests/test_secrets_in_errors.py."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from cli_script import cli_env, jsonl, ok, script
from expiring_memory_mcp import cli
from expiring_memory_mcp.backends import open_backend
from expiring_memory_mcp.instructions import instructions
from expiring_memory_mcp.settings import Settings
from raw_stdio import RawServer
from support import PgDatabase, call, call_error, server_env, serving, sqlite

pytestmark = pytest.mark.anyio

# Fakes by their published formats.
GITHUB = "ghp_FAKE0123456789abcdefghijKLMNOPQRSTUV"
PASSWORD = "Maple4821!#zq"
CARD = "4539 1488 0343 6467"
STRIPE = "sk_live_FAKE51H8pQ2xYz7RtLm9Nc3Vb"
SECRETS = (GITHUB, PASSWORD, CARD, STRIPE)  # `leaked` also looks for the card without its spaces
TEXT = f"Deploys use the GitHub token {GITHUB}; the NAS password is {PASSWORD}"


def files_of(data_dir: Path) -> bytes:
    """Every byte of the memory database, its write-ahead log and Mem0's history database (and theirs)."""
    return b"".join(p.read_bytes() for p in sorted(data_dir.glob("*.db*")) if p.is_file())


def leaked(data_dir: Path, secret: str) -> list[str]:
    """The pieces of a secret found in the files: the secret, and each run of 8 or more letters and digits in it as
    written and lowercased (the keyword index keeps lowercased words; Mem0 keeps lemmatized ones)."""
    raw = files_of(data_dir)
    pieces = {secret, secret.replace(" ", "")} | {
        form for run in re.findall(r"[A-Za-z0-9]{8,}", secret) for form in (run, run.lower())
    }
    return sorted(piece for piece in pieces if piece.encode() in raw)


# -- each policy through a real MCP session ----------------------------------------------------------------------------


async def test_by_default_a_secret_is_stored_as_a_typed_placeholder_and_the_result_says_so(
    client: Client, data_dir: Path, db: Any
) -> None:
    result = await call(
        client, "remember_permanent", content=TEXT, memory_type="account", metadata={"card": CARD, "bank": "DKB"}
    )
    assert result["content"] == (
        "Deploys use the GitHub token [redacted: github token]; the NAS password is [redacted: password]"
    )
    assert result["redacted"] == ["github token", "password", "card number"]
    assert result["metadata"] == {"card": "[redacted: card number]", "bank": "DKB"}
    temporary = await call(client, "remember_temporary", content=f"Testing billing with {STRIPE} today")
    assert temporary["content"] == "Testing billing with [redacted: stripe key] today"
    assert temporary["redacted"] == ["stripe key"]
    plain = await call(client, "remember_permanent", content="Duolingo username danak_pt", memory_type="account")
    assert plain["content"] == "Duolingo username danak_pt" and plain["redacted"] == []

    recalled = await call(client, "recall", query="GitHub token for deploys")
    assert recalled["memories"][0]["content"].endswith("[redacted: password]")
    assert (await call(client, "recall", query=GITHUB))["memories"][0]["id"] != temporary["id"]  # no keyword hit
    assert db.count_rows() == 3
    for secret in SECRETS:
        assert leaked(data_dir, secret) == [], secret


@pytest.mark.parametrize("settings_overrides", [{"secrets": "refuse"}])
async def test_under_refuse_nothing_is_stored_and_the_error_names_the_kind_never_the_secret(
    client: Client, data_dir: Path, db: Any
) -> None:
    message = await call_error(client, "remember_permanent", content=TEXT, memory_type="account")
    assert "a github token and a password" in message and "Nothing was stored" in message
    assert "without the secret" in message
    assert not any(secret in message for secret in SECRETS)
    in_metadata = await call_error(client, "remember_temporary", content="Card on file", metadata={"n": CARD})
    assert "a card number" in in_metadata and CARD not in in_metadata
    as_number = await call_error(
        client, "remember_temporary", content="Card on file", metadata={"card": 4539148803436467}
    )
    assert "a card number" in as_number
    assert not (data_dir / "memories.db").exists()  # refused before the store was even needed
    assert (await call(client, "remember_temporary", content="Planning a trip to Lisbon"))["redacted"] == []
    assert db.count_rows() == 1
    for secret in SECRETS:
        assert leaked(data_dir, secret) == [], secret


@pytest.mark.parametrize("settings_overrides", [{"secrets": "allow"}])
async def test_under_allow_the_secret_is_stored_as_given(client: Client, data_dir: Path) -> None:
    result = await call(client, "remember_permanent", content=TEXT, memory_type="account")
    assert result["content"] == TEXT and result["redacted"] == []
    assert GITHUB in leaked(data_dir, GITHUB)  # the byte check above finds what is there


def test_the_instructions_tell_the_model_what_the_policy_does(data_dir: Path) -> None:
    def told(policy: str) -> str:
        return instructions(Settings(data_dir=data_dir, secrets=policy))  # type: ignore[arg-type]

    assert "[redacted: github token]" in told("redact") and "`redacted`" in told("redact")
    assert "refused and nothing is stored" in told("refuse")
    assert "redacted" not in told("allow")


# -- the command line ----------------------------------------------------------------------------------------------------


@pytest.fixture
def run(settings: Settings, clock: Any, embedder: Any) -> Callable[..., tuple[int, str]]:
    """cli.run with the test's clock and the shared embedder, under the given policy; returns (exit code, stdout)."""

    def run_cli(*argv: str, policy: str = "redact") -> tuple[int, str]:
        chosen = settings.model_copy(update={"secrets": policy})
        out = io.StringIO()
        code = cli.run(list(argv), chosen, clock=clock, build=partial(open_backend, chosen, embedder), stdout=out)
        return code, out.getvalue()

    return run_cli


def test_secrets_scan_lists_by_id_type_and_kind_and_redact_leaves_no_copy(run, data_dir: Path, db: Any) -> None:
    run("remember", TEXT, "--type", "account", "--permanent", policy="allow")
    run("remember", f"Company card {CARD}", "--type", "account", "--permanent", policy="allow")
    run("remember", "Prefers aisle seats", "--permanent", policy="allow")
    assert leaked(data_dir, GITHUB)  # seeded as given

    code, listed = run("secrets", "scan", "--json")
    rows = json.loads(listed)["memories"]
    assert code == 0 and sorted(r["kinds"] for r in rows) == [["card number"], ["github token", "password"]]
    assert {r["memory_type"] for r in rows} == {"account"}
    code, table = run("secrets", "scan")
    assert code == 0 and "2 memories hold secrets" in table and all(r["id"] in table for r in rows)
    for output in (listed, table):
        assert not any(secret in output for secret in SECRETS)

    code, done = run("secrets", "scan", "--redact")
    assert code == 0 and "Redacted 2 memories" in done
    assert run("secrets", "scan") == (0, "No stored memory holds a secret.\n")
    for secret in SECRETS:
        assert leaked(data_dir, secret) == [], secret
    _, exported = run("export")
    assert "[redacted: github token]" in exported and "[redacted: card number]" in exported
    assert not any(secret in exported for secret in SECRETS)
    _, found = run("recall", "company card", "--json")
    assert json.loads(found)["memories"][0]["content"] == "Company card [redacted: card number]"
    assert db.count_rows() == 3
    with sqlite(data_dir / "history.db") as history:  # the rewritten memories' history (which held the text) is gone
        assert history.execute("SELECT count(*) FROM history").fetchone()[0] == 1


def test_remember_and_import_at_the_command_line_redact_and_say_so(run, tmp_path: Path, data_dir: Path) -> None:
    code, out = run("remember", f"wifi password is {PASSWORD}")
    assert code == 0 and "[redacted: password]" in out and "Not kept: password" in out
    export = tmp_path / "in.jsonl"
    lines = [
        {"content": f"Billing key {STRIPE}", "memory_type": "fact", "expires_at": None},
        {"content": "Allergic to peanuts", "memory_type": "fact", "expires_at": None},
    ]
    export.write_text("".join(json.dumps(line) + "\n" for line in lines))
    code, out = run("import", str(export))
    assert code == 0 and "2 added" in out and "Secrets were replaced by placeholders in 1 memory." in out
    code, refused = run("import", str(export), policy="refuse")
    assert code == 1 and "1 invalid line" in refused
    for secret in SECRETS:
        assert leaked(data_dir, secret) == [], secret


# -- a store from before the policy ----------------------------------------------------------------------------------


async def test_a_store_written_before_the_policy_is_checked_once_when_a_server_opens_it(
    settings: Settings, clock: Any, embedder: Any, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    allowing = settings.model_copy(update={"secrets": "allow"})
    async with serving(allowing, clock, embedder) as client:
        old = await call(client, "remember_permanent", content=TEXT, memory_type="account")
    async with serving(allowing.model_copy(update={"user_id": "bob"}), clock, embedder) as client:
        await call(client, "remember_temporary", content=f"Bob's card {CARD}")
    assert leaked(data_dir, GITHUB) and leaked(data_dir, CARD)

    caplog.set_level(logging.DEBUG)
    serving_bob_too = settings.model_copy(update={"http_tokens": {"a-long-random-token-for-bob": "bob"}})
    async with serving(serving_bob_too, clock, embedder) as client:
        found = await call(client, "recall", query="GitHub token for deploys")
    assert found["memories"][0]["id"] == old["id"]
    assert found["memories"][0]["content"].endswith("[redacted: password]")
    for secret in SECRETS:
        assert leaked(data_dir, secret) == [], secret
    assert f"redacted github token, password stored in memory {old['id']}" in caplog.text
    assert not any(secret in caplog.text for secret in SECRETS)
    with sqlite(data_dir / "memories.db") as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'done:secrets-checked'").fetchone() == (1,)


@pytest.mark.slow
def test_on_pgvector_scan_and_redact_leave_no_copy_in_the_table_or_mem0s_history(
    tmp_path: Path, pg_config: Path, postgres: str, pg_collection: str, clock: Any, embedder: Any
) -> None:
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir, user_id="alice", backend="mem0", mem0_config=pg_config)

    def run(*argv: str, policy: str = "redact") -> tuple[int, str]:
        chosen = settings.model_copy(update={"secrets": policy})
        out = io.StringIO()
        code = cli.run(list(argv), chosen, clock=clock, build=partial(open_backend, chosen, embedder), stdout=out)
        return code, out.getvalue()

    run("remember", TEXT, "--type", "account", "--permanent", policy="allow")
    table = PgDatabase(postgres, pg_collection, data_dir)
    assert GITHUB.encode() in table.raw_bytes()
    code, listed = run("secrets", "scan", "--json")
    assert code == 0 and [r["kinds"] for r in json.loads(listed)["memories"]] == [["github token", "password"]]
    assert run("secrets", "scan", "--redact")[0] == 0
    for secret in SECRETS:
        assert secret.encode() not in table.raw_bytes() and leaked(data_dir, secret) == [], secret
    _, found = run("list", "--json")
    assert json.loads(found)["memories"][0]["content"].endswith("[redacted: password]")


@pytest.mark.slow
def test_the_console_script_scans_and_redacts_with_results_on_stdout_and_nothing_on_stderr(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = cli_env(tmp_path, data_dir)
    seed = tmp_path / "seed.jsonl"
    seed.write_text(jsonl([{"content": TEXT, "memory_type": "account", "expires_at": None}]))
    assert "1 added" in ok(script(env, "import", str(seed), EXPIRING_MEMORY_SECRETS="allow"))

    scanned = script(env, "secrets", "scan")
    assert "1 memory holds secrets" in ok(scanned) and "account: github token, password" in scanned.stdout
    assert scanned.stderr == "" and not any(secret in scanned.stdout for secret in SECRETS)
    redacted = script(env, "secrets", "scan", "--redact", "--json")
    assert json.loads(ok(redacted))["redacted"] is True and redacted.stderr == ""
    for secret in SECRETS:
        assert leaked(data_dir, secret) == [], secret


@pytest.mark.slow
async def test_a_served_session_at_debug_level_logs_no_secret_and_writes_none_for_each_policy(tmp_path: Path) -> None:
    for policy in ("redact", "refuse"):
        data_dir, log = tmp_path / policy, tmp_path / f"{policy}.log"
        env = server_env(tmp_path, data_dir, EXPIRING_MEMORY_LOG_LEVEL="DEBUG", EXPIRING_MEMORY_SECRETS=policy)
        async with RawServer.running(env, log) as server:
            answer = await server.call("remember_permanent", content=TEXT, memory_type="account")
            await server.call("remember_temporary", content=f"Testing with {STRIPE}", metadata={"card": CARD})
            await server.call("recall", query="GitHub token for deploys")
        assert answer is not None and answer["result"].get("isError", False) == (policy == "refuse")
        stderr = log.read_text()
        assert "DEBUG" in stderr  # the log was on, and said nothing of the secrets
        assert not any(secret in stderr for secret in SECRETS), policy
        for secret in SECRETS:
            assert leaked(data_dir, secret) == [], (policy, secret)
