"""How a fuzzed tool call is made and checked: one real in-memory MCP session per test (not per example), a probe
of the database file between examples, and the check that a call did what it asked or was refused clearly."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from anyio.from_thread import start_blocking_portal
from mcp import Client

from expiring_memory_mcp.app import build_server
from fuzz_inputs import plain_text
from support import sqlite

Call = Callable[[str, dict[str, Any]], Any]


@contextmanager
def tool_session(service: Any, app_settings: Any) -> Iterator[Call]:
    """One real MCP session for a whole test, called from hypothesis's synchronous examples through a portal."""
    with (
        start_blocking_portal("asyncio") as portal,
        portal.wrap_async_context_manager(Client(build_server(service, app_settings))) as client,
    ):

        def call(tool: str, arguments: dict[str, Any]) -> Any:
            try:
                return portal.call(client.call_tool, tool, arguments)
            except UnicodeEncodeError:  # the client's own serializer refuses a lone surrogate in a dict key
                return UNSENDABLE

        yield call


UNSENDABLE = object()  # what not even the in-memory client can send


def has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return not plain_text(value.replace("\x00", ""))
    if isinstance(value, dict):
        return any(has_surrogate(k) or has_surrogate(v) for k, v in value.items())
    return isinstance(value, list) and any(has_surrogate(v) for v in value)


class StoreProbe:
    """Reads the database file between examples: the write counter, and rows against FTS rows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.outcomes: Counter[str] = Counter()  # per case: "ok", "error" or "unsendable"

    def assert_cases(self, cases: int) -> None:
        """Hypothesis ran (nearly) every case, and they were a fair mix of valid and refused calls."""
        total = sum(self.outcomes.values())
        assert total >= 0.95 * cases, self.outcomes
        assert self.outcomes["ok"] >= 0.25 * total and self.outcomes["error"] >= 0.15 * total, self.outcomes

    def state(self) -> tuple[int, int]:
        with sqlite(self.path) as db:
            rows, fts, rev = db.execute(
                "SELECT (SELECT count(*) FROM vectors), (SELECT count(*) FROM vectors_fts),"
                " (SELECT value FROM meta WHERE key = 'rev')"
            ).fetchone()
        assert rows == fts, "a memory row without its FTS row, or the reverse"
        return rows, rev

    def payload(self, memory_id: str) -> dict[str, Any] | None:
        with sqlite(self.path) as db:
            row = db.execute("SELECT payload FROM vectors WHERE id = ?", (memory_id,)).fetchone()
        return None if row is None else json.loads(row[0])


def clear_error(tool: str, result: Any) -> str:
    """The message of a refused call, which must say what was wrong."""
    assert result.is_error
    message = result.content[0].text
    prefix = f"Error executing tool {tool}: "
    assert message.startswith(prefix) and len(message) > len(prefix) + 10, f"unclear error: {message!r}"
    return message[len(prefix) :]


def run_case(call: Call, probe: StoreProbe, tool: str, arguments: dict[str, Any], expect: str) -> Any:
    """Call; check the outcome against `expect` ("ok", "fail" or "unknown"). Returns the structured result or None."""
    before = probe.state()
    result = call(tool, arguments)
    after = probe.state()
    if result is UNSENDABLE:
        probe.outcomes["unsendable"] += 1
        assert has_surrogate(arguments) and after == before
        return None
    probe.outcomes["error" if result.is_error else "ok"] += 1
    if result.is_error:
        message = clear_error(tool, result)
        assert expect != "ok", f"a valid call was refused: {tool} {arguments!r}: {message}"
        assert after == before, "a refused call changed the store"
        return None
    assert expect != "fail", f"an invalid call succeeded: {tool} {arguments!r}"
    assert result.structured_content is not None
    return result.structured_content
