"""No secret reaches an error: where a message echoes what the caller sent (an expiry, a type, a memory id, a refused
argument, an import line, a command-line argument), the echo passes through the detector's redaction first. Through a
real MCP session, and the command line in process."""

from __future__ import annotations

import io
import json
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from expiring_memory_mcp import cli
from expiring_memory_mcp.backends import open_backend
from expiring_memory_mcp.errors import InvalidRequest
from expiring_memory_mcp.settings import Settings
from expiring_memory_mcp.web.views import parse_days
from support import call, call_error

pytestmark = pytest.mark.anyio

GITHUB = "ghp_FAKE0123456789abcdefghijKLMNOPQRSTUV"
# 93 characters: cut to an error's 40 before redaction, what is left would be too short to recognise.
FINE_GRAINED = "github_pat_11FAKE0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def shows_no_part_of(message: str, secret: str) -> bool:
    """Neither the secret nor any 12 characters of it in a row are in the message."""
    return not any(secret[i : i + 12] in message for i in range(len(secret) - 11))


async def test_a_token_sent_as_an_expiry_a_type_or_an_id_is_refused_with_an_error_that_does_not_repeat_it(
    client: Client, db: Any
) -> None:
    for secret in (GITHUB, FINE_GRAINED):
        expiry = await call_error(client, "remember_temporary", content="Dentist on Friday", expires_at=secret)
        assert "is not an ISO 8601 date or time" in expiry and "[redacted: github token]" in expiry
        kind = await call_error(client, "remember_temporary", content="Dentist on Friday", memory_type=secret)
        assert "memory_type '[redacted: github token]' is not valid" in kind  # too long for a type, or a token
        renewed = await call_error(client, "renew_memory", memory_id=secret)
        assert "No memory with id '[redacted: github token]'" in renewed
        forgotten = await call_error(client, "forget", memory_id=secret)
        for message in (expiry, kind, renewed, forgotten):
            assert shows_no_part_of(message, secret), message
    assert db.count_rows() == 0  # refused, and nothing stored


async def test_an_argument_the_schema_refuses_is_echoed_redacted(client: Client) -> None:
    days = await call_error(client, "remember_temporary", content="Dentist on Friday", expires_in_days=GITHUB)
    assert "expires_in_days must be a positive number" in days and '"[redacted: github token]"' in days
    metadata = await call_error(client, "remember_temporary", content="Dentist on Friday", metadata=[GITHUB])
    assert "metadata must be" in metadata
    for message in (days, metadata):
        assert shows_no_part_of(message, GITHUB), message
    # the same refusals with an ordinary value still show it, so the model sees what it sent
    plain = await call_error(client, "remember_temporary", content="Dentist on Friday", expires_in_days="soon")
    assert 'you sent "soon"' in plain
    assert (await call(client, "remember_temporary", content="Dentist on Friday"))["redacted"] == []


@pytest.fixture
def run(settings: Settings, clock: Any, embedder: Any) -> Any:
    """cli.run with the test's clock and the shared embedder; returns (exit code, stdout)."""

    def run_cli(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        code = cli.run(list(argv), settings, clock=clock, build=partial(open_backend, settings, embedder), stdout=out)
        return code, out.getvalue()

    return run_cli


def test_an_import_line_whose_expiry_holds_a_token_is_reported_without_it(
    run: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "in.jsonl"
    lines = [
        {"content": "Dentist on Friday", "memory_type": "reminder", "expires_at": GITHUB},
        {"content": "Call the bank", "memory_type": "reminder", "expires_at": "2026-13-45", "created_at": FINE_GRAINED},
        {"content": "Allergic to peanuts", "memory_type": FINE_GRAINED, "expires_at": None},
    ]
    export.write_text("".join(json.dumps(line) + "\n" for line in lines))
    code, out = run("import", str(export), "--json")
    errors = capsys.readouterr().err
    invalid = json.loads(out)["invalid"]
    assert code == 1 and [bad["line"] for bad in invalid] == [1, 2, 3]
    assert "expires_at '[redacted: github token]' is not an ISO 8601" in invalid[0]["error"]
    assert "created_at '[redacted: github token]' is not an ISO 8601" in invalid[1]["error"]
    assert "'[redacted: github token]' is not valid" in invalid[2]["error"]
    for secret in (GITHUB, FINE_GRAINED):
        assert shows_no_part_of(out, secret) and shows_no_part_of(errors, secret), secret


def test_a_command_line_argument_that_holds_a_token_is_echoed_redacted(
    run: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run("remember", "Dentist on Friday", "--meta", f"token:{GITHUB}")
    errors = capsys.readouterr().err
    assert code == 2 and "is not key=value" in errors and "[redacted: github token]" in errors
    code, _ = run("list", "--limit", GITHUB)
    errors += capsys.readouterr().err
    assert code == 2 and "is not a positive whole number" in errors
    assert shows_no_part_of(errors, GITHUB), errors


async def test_a_token_sent_as_a_type_or_a_metadata_key_is_not_stored_there_either(client: Client, db: Any) -> None:
    kind = await call_error(client, "remember_temporary", content="Dentist on Friday", memory_type=GITHUB)
    assert "memory_type '[redacted: github token]' is not valid" in kind and shows_no_part_of(kind, GITHUB)
    stored = await call(client, "remember_temporary", content="Dentist on Friday", metadata={GITHUB: "ci"})
    assert stored["metadata"] == {"[redacted: github token]": "ci"} and stored["redacted"] == ["github token"]
    custom = await call(client, "remember_temporary", content="Sprint review notes", memory_type="work")
    assert custom["memory_type"] == "work"  # your own types are not judged
    assert db.count_rows() == 2


def test_the_memory_views_days_field_echoes_a_token_redacted() -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_days(GITHUB)
    assert str(refused.value).startswith("'[redacted: github") and GITHUB[:12] not in str(refused.value)
