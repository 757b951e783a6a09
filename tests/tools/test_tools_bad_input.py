"""Bad input to every tool through a real MCP session, on both stores (tools/conftest.py): a clear error that says
what was wrong, and nothing stored or changed."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from support import call, call_error, contents

pytestmark = pytest.mark.anyio


BAD_CALLS = [
    ("remember_temporary", {"content": ""}, "content is empty"),
    ("remember_temporary", {"content": "   \n\t "}, "content is empty"),
    ("remember_temporary", {"content": "x" * 5001}, "the limit is 5000"),
    ("remember_temporary", {"content": "a", "expires_in_days": 0}, "positive"),
    ("remember_temporary", {"content": "a", "expires_in_days": -2}, "positive"),
    ("remember_temporary", {"content": "a", "expires_in_days": 1e9}, "at most 3650"),
    ("remember_temporary", {"content": "a", "expires_in_days": 1, "expires_at": "2099-01-01"}, "not both"),
    ("remember_temporary", {"content": "a", "expires_at": "2001-01-01T00:00:00Z"}, "not in the future"),
    ("remember_temporary", {"content": "a", "expires_at": "tomorrow-ish"}, "not an ISO 8601"),
    ("remember_temporary", {"content": "a", "metadata": {"tags": ["x", "y"]}}, "string, number, boolean or null"),
    ("remember_temporary", {"content": "a", "metadata": {"nested": {"k": 1}}}, "string, number, boolean or null"),
    ("remember_temporary", {"content": "a", "metadata": {"type": "x"}}, "reserved"),
    ("remember_temporary", {"content": "a", "memory_type": "Not A Type!"}, "memory_type"),
    ("remember_permanent", {"content": "nul \x00 byte"}, "NUL"),
    ("recall", {"query": "  "}, "query is empty"),
    ("recall", {"query": "x", "limit": 0}, "greater than or equal to 1"),
    ("recall", {"query": "x", "limit": 51}, "less than or equal to 50"),
    ("expiring_soon", {"within_days": 0}, "greater than 0"),
    ("expiring_soon", {"limit": 500}, "less than or equal to 200"),
    ("forget", {"memory_id": "no-such-id"}, "No memory with id"),
    ("renew_memory", {"memory_id": "no-such-id", "permanent": True}, "No memory with id"),
]


@pytest.mark.parametrize(("tool", "arguments", "message"), BAD_CALLS, ids=[f"{t}-{m}" for t, _, m in BAD_CALLS])
async def test_bad_input_gets_a_clear_error_and_stores_nothing(
    client: Client, db, tool: str, arguments: dict, message: str
) -> None:
    kept = await call(client, "remember_permanent", content="A memory that must survive")
    assert message in await call_error(client, tool, **arguments)
    assert db.count_rows() == 1
    assert contents(await call(client, "recall", query="memory that must survive")) == [kept["content"]]


async def test_renew_refuses_permanent_together_with_a_new_expiry(client: Client) -> None:
    memory = await call(client, "remember_temporary", content="Temporary thing")
    assert "not both" in await call_error(
        client, "renew_memory", memory_id=memory["id"], permanent=True, expires_in_days=3
    )
    assert "not in the future" in await call_error(
        client, "renew_memory", memory_id=memory["id"], expires_at="2001-01-01"
    )


# JSON has no NaN or Infinity. A client can still send them as strings, which the schema reads as floats; Python's json
# module writes bare NaN and Infinity, which test_fuzz_raw_json.py sends through a raw stdio pipe. (The SDK's own client
# turns a float inf or nan into null before sending, so those arrive as "no expiry given".)
NOT_FINITE = ["inf", "-inf", "Infinity", "-Infinity", "nan", "NaN"]


@pytest.mark.parametrize("days", NOT_FINITE, ids=[repr(d) for d in NOT_FINITE])
async def test_a_non_finite_expiry_is_refused_and_changes_nothing(client: Client, db, days: Any) -> None:
    kept = await call(client, "remember_temporary", content="Watering the plants", expires_in_days=2)
    before = await call(client, "expiring_soon", within_days=3)

    for tool, arguments in [
        ("remember_temporary", {"content": "Watering the plants", "expires_in_days": days}),
        ("remember_temporary", {"content": "Another thing to remember", "expires_in_days": days}),
        ("renew_memory", {"memory_id": kept["id"], "expires_in_days": days}),
    ]:
        assert "positive number of days" in await call_error(client, tool, **arguments), (tool, days)

    assert await call(client, "expiring_soon", within_days=3) == before
    assert db.count_rows() == 1


async def test_an_expiry_too_far_ahead_for_any_date_is_refused_and_changes_nothing(client: Client, db) -> None:
    kept = await call(client, "remember_temporary", content="Watering the plants", expires_in_days=2)
    before = await call(client, "expiring_soon", within_days=3)

    assert "at most 3650" in await call_error(client, "remember_temporary", content="a", expires_in_days=1e308)
    assert "at most 3650" in await call_error(client, "renew_memory", memory_id=kept["id"], expires_in_days=1e308)

    assert await call(client, "expiring_soon", within_days=3) == before
    assert db.count_rows() == 1
