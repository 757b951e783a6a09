"""`forgotten` and `insights` on the command line: in process with a clock moved by hand (expiry has to pass), and
once through the console script."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from cli_script import LOCAL_TIME, cli_env, ok, script
from expiring_memory_mcp import cli
from expiring_memory_mcp.backends import open_backend
from expiring_memory_mcp.settings import Settings


@pytest.fixture
def run(settings: Settings, clock: Any, embedder: Any) -> Callable[..., tuple[int, str]]:
    def run_cli(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        code = cli.run(list(argv), settings, clock=clock, build=partial(open_backend, settings, embedder), stdout=out)
        return code, out.getvalue()

    return run_cli


def test_forgotten_lists_what_expired_and_what_was_forgotten_without_text(run, clock) -> None:
    _, kept = run("remember", "Prefers aisle seats", "--permanent", "--json")
    _, gone = run("remember", "Parking spot is B12", "--type", "cache", "--json")
    run("recall", "parking spot")
    run("forget", json.loads(kept)["id"])
    clock.advance(days=3)
    run("sweep")

    code, as_json = run("forgotten", "--json")
    assert code == 0
    entries = json.loads(as_json)["entries"]
    assert [(e["id"], e["reason"], e["recall_count"]) for e in entries] == [
        (json.loads(kept)["id"], "forgotten", 0),
        (json.loads(gone)["id"], "expired", 1),
    ]
    assert "aisle" not in as_json and "B12" not in as_json

    _, table = run("forgotten")
    assert "forgotten" in table and "expired" in table and "B12" not in table
    assert re.search(r"2 memories since .*; their text is gone for good\.\n$", table), table
    clock.advance(hours=2)
    _, recent = run("forgotten", "--since", "1d", "--json")  # forgotten 3 days ago, swept 2 hours ago
    assert [e["reason"] for e in json.loads(recent)["entries"]] == ["expired"]
    _, nothing = run("forgotten", "--since", "1h")
    assert nothing.startswith("Nothing was forgotten since ")


def test_insights_show_each_type_with_advice(run) -> None:
    code, as_json = run("insights", "--json")
    assert code == 0
    found = json.loads(as_json)
    assert found["window_days"] == 180
    assert {t["memory_type"]: t["enough_data"] for t in found["types"]}["chat"] is False
    _, shown = run("insights")
    text = " ".join(shown.split())  # as read, whatever the wrapping
    assert "chat: too little data to advise: 0 chat memories expired in the window" in text
    assert "30 days (EXPIRING_MEMORY_TTL_CHAT_DAYS)" in text and "1 day (EXPIRING_MEMORY_TTL_CACHE_DAYS)" in text


@pytest.mark.slow  # starts the console script
def test_forgotten_and_insights_through_the_console_script(tmp_path: Path) -> None:
    env = cli_env(tmp_path, tmp_path / "data")
    memory = json.loads(ok(script(env, "remember", "Gate code quokka 9981", "--type", "cache", "--json")))
    ok(script(env, "forget", memory["id"]))
    table = ok(script(env, "forgotten", "--since", "7d"))
    assert re.search(rf"{LOCAL_TIME} +0 recalls, 0 renewals +cache\n *forgotten +never recalled", table), table
    assert "quokka" not in table
    insights = json.loads(ok(script(env, "insights", "--json")))
    cache = {t["memory_type"]: t for t in insights["types"]}["cache"]
    assert (cache["forgotten"], cache["created"]) == (1, 1)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("chat:14", 'not JSON; give a JSON object such as {"session": 3, "chat": 14}'),
        ('{"a b": 3}', "'a b' is not a memory type"),
        ('{"preference": 3}', "'preference' memories are permanent and never expire"),
        ('{"chat": 0}', "an entry should be greater than 0"),
    ],
)
def test_a_bad_extension_setting_is_one_line_naming_it(monkeypatch, capsys, value: str, words: str) -> None:
    monkeypatch.setenv("EXPIRING_MEMORY_EXTEND_ON_RECALL", value)
    assert cli.run(["stats"]) == 2  # a usage error, as every bad setting
    err = capsys.readouterr().err
    assert (
        err.startswith("expiring-memory-mcp: error: EXPIRING_MEMORY_EXTEND_ON_RECALL is not accepted") and words in err
    )
    assert "It accepts: a JSON object of numbers above 0 and at most 36500" in err
    assert len(err.splitlines()) == 1


def test_the_extension_setting_reads_type_names_as_the_tools_do(monkeypatch) -> None:
    monkeypatch.setenv("EXPIRING_MEMORY_EXTEND_ON_RECALL", '{" Chat ": 14, "session": 0.5}')
    assert Settings().extend_on_recall == {"chat": 14, "session": 0.5}
