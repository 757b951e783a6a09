"""A bad setting is one line on stderr, in every mode: the variable, what it holds and what it accepts, exit code 2,
no traceback, nothing opened. The HTTP-only settings matter only to `serve --http`. Worded in-process for every
setting, then through the real console script for the stdio server, `serve`, `serve --http` and every command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cli_script import cli_env, ok, one_line_error, script
from expiring_memory_mcp.bad_settings import HTTP_ONLY, BadSetting, read_settings
from expiring_memory_mcp.cli.commands import HANDLERS
from expiring_memory_mcp.settings import Settings

ACCEPTS_ANY_TEXT = {"data_dir", "mem0_config", "mem0_api_key", "mem0_host"}  # no value of theirs can be refused here
SCHEMAS: dict[str, dict[str, Any]] = Settings.model_json_schema(by_alias=False)["properties"]
TTL_ABC = (
    "expiring-memory-mcp: error: EXPIRING_MEMORY_TTL_SESSION_DAYS='abc' is not accepted (not a number). "
    "It holds: How long a `session` memory lives, in days. It accepts: a number above 0 and at most 36500."
)


def refused_value(name: str) -> str | None:
    """A value the setting refuses, found from its schema alone, so that a new setting is covered without a word."""
    schema = {**SCHEMAS[name], **next((s for s in SCHEMAS[name].get("anyOf", []) if s.get("type") != "null"), {})}
    if name == "timezone":
        return "Mars/Olympus"
    if "enum" in schema:
        return "NOPE"
    return {"number": "abc", "integer": "1.5", "boolean": "maybe", "object": "not json", "array": "not json"}.get(
        schema.get("type", ""), "" if "minLength" in schema else None
    )


REFUSED = {name: value for name in Settings.model_fields if (value := refused_value(name)) is not None}


def test_every_setting_but_those_taking_any_text_has_a_value_it_refuses() -> None:
    assert set(REFUSED) | ACCEPTS_ANY_TEXT == set(Settings.model_fields)


@pytest.mark.parametrize(("name", "value"), REFUSED.items(), ids=list(REFUSED))
def test_a_refused_value_is_worded_with_its_variable_what_it_holds_and_what_it_accepts(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    variable = f"EXPIRING_MEMORY_{name.upper()}"
    monkeypatch.setenv(variable, value)
    with pytest.raises(BadSetting) as refused:
        read_settings(http=True)
    said = str(refused.value)
    assert said.startswith(f"{variable}{'' if SCHEMAS[name].get('type') == 'object' else '=' + repr(value)} is not")
    assert f"It holds: {str(Settings.model_fields[name].description).rstrip('.')}." in said
    assert "It accepts: " in said or "(unknown timezone 'Mars/Olympus'; use an IANA name" in said
    assert "\n" not in said and "pydantic" not in said and "errors.pydantic.dev" not in said


@pytest.mark.parametrize(
    ("variable", "value", "accepts"),
    [
        ("EXPIRING_MEMORY_MAX_CONTENT_CHARS", "0", "It accepts: a whole number from 1 to 100000."),
        ("EXPIRING_MEMORY_SWEEP_INTERVAL_SECONDS", "-1", "It accepts: a number 0 or more."),
        ("EXPIRING_MEMORY_RECALL_KEYWORD_WEIGHT", "2", "It accepts: a number from 0 to 1."),
        ("EXPIRING_MEMORY_LOG_LEVEL", "LOUD", "It accepts: one of DEBUG, INFO, WARNING or ERROR."),
        ("EXPIRING_MEMORY_USER_ID", "", "It accepts: text of 1 to 200 characters."),
        ("EXPIRING_MEMORY_USER_ID", "   ", "is not accepted (user_id must not be blank)."),
        ("EXPIRING_MEMORY_ALLOWED_HOSTS", '{"a": 1}', "is not accepted (not a JSON list)."),
    ],
)
def test_what_a_setting_accepts_is_said_from_its_bounds_and_choices(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, accepts: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(BadSetting, match="^" + variable) as refused:
        read_settings(http=True)
    assert accepts in str(refused.value)


def test_two_bad_settings_are_both_said_on_the_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPIRING_MEMORY_TTL_CHAT_DAYS", "0")
    monkeypatch.setenv("EXPIRING_MEMORY_LOG_LEVEL", "LOUD")
    with pytest.raises(BadSetting) as refused:
        read_settings()
    said = str(refused.value)
    assert "EXPIRING_MEMORY_TTL_CHAT_DAYS='0' is not accepted" in said
    assert "EXPIRING_MEMORY_LOG_LEVEL='LOUD' is not accepted" in said
    assert "\n" not in said


@pytest.mark.parametrize("tokens", ['{"short": "bob"}', '{"a-secret-token-of-some-length": 5}', "sk-not-json-secret"])
def test_a_bad_token_setting_never_repeats_a_token(monkeypatch: pytest.MonkeyPatch, tokens: str) -> None:
    monkeypatch.setenv("EXPIRING_MEMORY_HTTP_TOKENS", tokens)
    with pytest.raises(BadSetting) as refused:
        read_settings(http=True)
    said = str(refused.value)
    assert said.startswith("EXPIRING_MEMORY_HTTP_TOKENS is not accepted (")
    for secret in ("short", "a-secret-token-of-some-length", "sk-not-json-secret"):
        assert secret not in said


@pytest.mark.parametrize("name", HTTP_ONLY)
def test_a_bad_http_only_setting_is_left_unread_except_for_serving_http(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    monkeypatch.setenv(f"EXPIRING_MEMORY_{name.upper()}", "not json")
    monkeypatch.setenv("EXPIRING_MEMORY_TTL_CHAT_DAYS", "3")
    settings = read_settings(http=False)
    assert getattr(settings, name) == Settings.model_fields[name].get_default(call_default_factory=True)
    assert settings.ttl_chat_days == 3  # the rest is read as usual
    with pytest.raises(
        BadSetting, match=f"^EXPIRING_MEMORY_{name.upper()}(='not json')? is not accepted \\(not JSON\\)"
    ):
        read_settings(http=True)


def test_the_http_only_settings_are_those_that_say_they_are_for_serve_http() -> None:
    said = {n for n, f in Settings.model_fields.items() if str(f.description).startswith("For `serve --http`")}
    assert said == set(HTTP_ONLY)


# -- through the console script ------------------------------------------------------------------------------------

COMMAND_ARGS = {
    "remember": ["remember", "Tea"],
    "recall": ["recall", "tea"],
    "expiring": ["expiring"],
    "list": ["list"],
    "forget": ["forget", "3c764642-1c5f-4012-a706-1ddd78344b33"],
    "renew": ["renew", "3c764642-1c5f-4012-a706-1ddd78344b33"],
    "sweep": ["sweep"],
    "purge": ["purge"],
    "stats": ["stats"],
    "export": ["export"],
    "import": ["import", "-"],
    "secrets": ["secrets", "scan"],
    "forgotten": ["forgotten"],
    "insights": ["insights"],
    "ui": ["ui"],
}
MODES = {"stdio": [], "serve": ["serve"], "serve --http": ["serve", "--http"], **COMMAND_ARGS}


def test_every_command_is_tried() -> None:
    assert set(COMMAND_ARGS) == set(HANDLERS)


@pytest.mark.slow  # starts the console script
@pytest.mark.parametrize("mode", MODES, ids=list(MODES))
def test_a_bad_setting_is_one_line_on_stderr_with_exit_code_2_in_every_mode(tmp_path: Path, mode: str) -> None:
    env = cli_env(tmp_path, tmp_path / "data")
    done = script(env, *MODES[mode], stdin="", EXPIRING_MEMORY_TTL_SESSION_DAYS="abc")
    assert one_line_error(done, code=2) == TTL_ABC
    assert not (tmp_path / "data").exists()  # nothing was opened


@pytest.mark.slow  # starts the console script
def test_bad_http_tokens_are_one_line_for_serve_http_without_the_token(tmp_path: Path) -> None:
    env = cli_env(tmp_path, tmp_path / "data")
    done = script(env, "serve", "--http", EXPIRING_MEMORY_HTTP_TOKENS='{"too-short": "alice"}')
    said = one_line_error(done, code=2)
    assert said.startswith("expiring-memory-mcp: error: EXPIRING_MEMORY_HTTP_TOKENS is not accepted (each HTTP token ")
    assert "too-short" not in said and "It holds: For `serve --http`: a JSON object mapping each bearer" in said


@pytest.mark.slow  # starts the console script
def test_bad_http_tokens_break_neither_the_commands_nor_the_stdio_server(tmp_path: Path) -> None:
    env = cli_env(tmp_path, tmp_path / "data") | {"EXPIRING_MEMORY_HTTP_TOKENS": "not json"}
    assert "live" in ok(script(env, "stats"))
    handshake = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}
    lines = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": handshake},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}},
    ]
    served = script(env, stdin="".join(json.dumps(line) + "\n" for line in lines))
    assert served.returncode == 0 and "Traceback" not in served.stderr, served.stderr
    answers = {m["id"]: m for m in map(json.loads, served.stdout.splitlines())}
    assert "remember_temporary" in {t["name"] for t in answers[2]["result"]["tools"]}
