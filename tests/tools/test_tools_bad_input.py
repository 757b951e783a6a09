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
    ("recall", {"query": "x", "limit": 0}, "limit must be a whole number, from 1 to 50; you sent 0."),
    ("recall", {"query": "x", "limit": 51}, "from 1 to 50; you sent 51."),
    ("expiring_soon", {"within_days": 0}, "above 0 and at most 36500"),
    ("expiring_soon", {"limit": 500}, "from 1 to 200; you sent 500."),
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


# One argument the schema refuses, for every argument of every tool: what the message must say. Each is the model's
# mistake to correct, so it gets one line that names the argument, says what to send and shows what was sent.
SCHEMA_REFUSALS = [
    ("remember_temporary", {}, "content is required: the memory itself as text"),
    ("remember_temporary", {"content": 42}, "content must be the memory itself as text"),
    ("remember_temporary", {"content": "a", "memory_type": ["session"]}, 'such as "session"; you sent ["session"]'),
    (
        "remember_temporary",
        {"content": "a", "expires_in_days": "soon"},
        'such as 3, or 0.5 for 12 hours; you sent "soon"',
    ),
    ("remember_temporary", {"content": "a", "expires_at": 20261224}, 'or "2026-12-24"; you sent 20261224.'),
    ("remember_temporary", {"content": "a", "metadata": "trip"}, 'such as {"trip": "Lisbon"}; you sent "trip".'),
    ("remember_permanent", {"content": None}, "content must be the memory itself as text"),
    ("remember_permanent", {"content": "a", "memory_type": 3}, "memory_type must be one short lowercase word"),
    ("remember_permanent", {"content": "a", "metadata": [1]}, "metadata must be an object"),
    ("recall", {"limit": 3}, "query is required: text saying what to look for"),
    (
        "recall",
        {"query": "x", "memory_types": "session"},
        'memory_types must be a list of type names, such as ["session"]',
    ),
    ("recall", {"query": "x", "memory_types": [1]}, "memory_types must be a list of type names"),
    ("recall", {"query": "x", "limit": "many"}, 'limit must be a whole number, from 1 to 50; you sent "many".'),
    ("expiring_soon", {"within_days": "NaN"}, "within_days must be a number of days, above 0 and at most 36500, such"),
    ("expiring_soon", {"memory_types": "chat"}, 'memory_types must be a list of type names, such as ["session"]'),
    ("expiring_soon", {"limit": 0}, "limit must be a whole number, from 1 to 200; you sent 0."),
    ("forget", {}, "memory_id is required: a memory's id as text"),
    ("forget", {"memory_id": "x" * 201}, "at most 200 characters long; you sent a string of 201 characters."),
    ("renew_memory", {"memory_id": 7}, "memory_id must be a memory's id as text"),
    ("renew_memory", {"memory_id": "a", "expires_in_days": [2]}, "expires_in_days must be a positive number"),
    ("renew_memory", {"memory_id": "a", "expires_at": {"day": 1}}, "expires_at must be an ISO 8601 time or date"),
    ("renew_memory", {"memory_id": "a", "permanent": "maybe"}, 'permanent must be true or false; you sent "maybe".'),
]


@pytest.mark.parametrize(
    ("tool", "arguments", "message"), SCHEMA_REFUSALS, ids=[f"{t}-{a}" for t, a, _ in SCHEMA_REFUSALS]
)
async def test_an_argument_the_schema_refuses_gets_one_line_that_says_what_to_send(
    client: Client, db, tool: str, arguments: dict, message: str
) -> None:
    kept = await call(client, "remember_permanent", content="A memory that must survive")
    refused = await call_error(client, tool, **arguments)
    assert message in refused
    assert "\n" not in refused and "pydantic" not in refused and "validation error" not in refused
    assert db.count_rows() == 1
    assert contents(await call(client, "recall", query="memory that must survive")) == [kept["content"]]


async def test_every_argument_of_every_tool_has_its_refusal_worded(client: Client) -> None:
    covered = {(tool, name) for tool, arguments, _ in SCHEMA_REFUSALS for name in arguments}
    covered |= {(tool, message.split(" ")[0]) for tool, _, message in SCHEMA_REFUSALS}
    listed = {
        (tool.name, name) for tool in (await client.list_tools()).tools for name in tool.input_schema["properties"]
    }
    assert listed <= covered


async def test_nan_for_within_days_gets_the_range_instead_of_pydantics_input_value(client: Client) -> None:
    # the SDK's client sends a float NaN as null; a string "NaN" is read as one (a bare NaN: test_fuzz_raw_json.py)
    refused = await call_error(client, "expiring_soon", within_days="NaN")
    assert (
        refused
        == 'Error executing tool expiring_soon: within_days must be a number of days, above 0 and at most 36500, such as 7; you sent "NaN".'
    )


async def test_an_argument_a_tool_does_not_take_is_refused_naming_the_tool_that_takes_it(client: Client, db) -> None:
    await call(client, "remember_temporary", content="Browsing teapots")
    refused = await call_error(client, "remember_permanent", content="Likes tea", expires_in_days=3)
    assert refused == (
        "Error executing tool remember_permanent: remember_permanent has no argument 'expires_in_days'; it takes content, memory_type, metadata. "
        "remember_temporary and renew_memory take expires_in_days. Nothing was changed."
    )
    assert db.count_rows() == 1


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
