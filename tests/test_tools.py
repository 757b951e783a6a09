"""Every tool through a real in-memory MCP session on the real stack: Mem0 with the bundled embedder, on the embedded
SQLite store and again on Mem0's own pgvector store in a real Postgres (those runs are marked slow)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from expiring_memory_mcp.retention import iso, parse_iso
from expiring_memory_mcp.settings import Settings
from support import Database, PgDatabase, call, call_error, contents, serving, sqlite

pytestmark = pytest.mark.anyio

MEMORY_FIELDS = {
    "id",
    "content",
    "memory_type",
    "created_at",
    "expires_at",
    "expiration_date",
    "expires_in",
    "metadata",
}


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


async def test_the_six_tools_are_listed_with_their_annotations_and_output_schemas(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == {
        "remember_temporary",
        "remember_permanent",
        "recall",
        "expiring_soon",
        "forget",
        "renew_memory",
    }
    assert tools["recall"].annotations.read_only_hint is True
    assert tools["expiring_soon"].annotations.read_only_hint is True
    assert tools["forget"].annotations.destructive_hint is True
    assert tools["remember_temporary"].annotations.read_only_hint is False
    for tool in tools.values():
        assert tool.output_schema is not None, tool.name
        assert tool.description and "\n" not in tool.description.strip(), tool.name
    assert set(tools["remember_temporary"].input_schema["properties"]) == {
        "content",
        "memory_type",
        "expires_in_days",
        "expires_at",
        "metadata",
    }
    assert set(tools["recall"].input_schema["properties"]) == {"query", "memory_types", "limit"}
    assert "user_id" not in str([t.input_schema for t in tools.values()])


async def test_instructions_say_when_to_use_temporary_and_when_permanent(client: Client) -> None:
    text = client.instructions
    for word in (
        "remember_permanent",
        "preferences",
        "account",
        "milestones",
        "remember_temporary",
        "session",
        "browsing",
        "recent chat",
        "reminders",
        "cached",
    ):
        assert word in text


async def test_a_temporary_memory_gets_its_tier_expiry_and_every_field(client: Client, clock) -> None:
    memory = await call(client, "remember_temporary", content="Browsing electronics deals")
    assert set(memory) == MEMORY_FIELDS
    assert memory["memory_type"] == "session"
    assert memory["expires_at"] == iso(clock.now() + timedelta(days=7))
    assert memory["expiration_date"] == (clock.now() + timedelta(days=7)).date().isoformat()
    assert memory["expires_in"] == "in 7 days"
    assert memory["created_at"] == iso(clock.now())
    assert memory["metadata"] == {}


async def test_a_chat_memory_lasts_thirty_days_and_half_a_day_means_twelve_hours(client: Client, clock) -> None:
    chat = await call(client, "remember_temporary", content="We talked about Lisbon", memory_type="chat")
    assert chat["expires_at"] == iso(clock.now() + timedelta(days=30))
    short = await call(
        client, "remember_temporary", content="Cart has 3 items", memory_type="cache", expires_in_days=0.5
    )
    assert short["expires_at"] == iso(clock.now() + timedelta(hours=12))
    assert short["expires_in"] == "in 12 hours"


async def test_an_explicit_expiry_time_is_kept_exactly(client: Client, clock) -> None:
    moment = (clock.now() + timedelta(days=3)).replace(microsecond=0)
    memory = await call(
        client,
        "remember_temporary",
        content="Dentist on Thursday",
        memory_type="reminder",
        expires_at=moment.isoformat(),
    )
    assert memory["expires_at"] == iso(moment)


async def test_a_permanent_memory_has_no_expiry_and_keeps_its_metadata(client: Client) -> None:
    memory = await call(
        client, "remember_permanent", content="User prefers dark mode", metadata={"source": "settings", "weight": 2}
    )
    assert memory["expires_at"] is None
    assert memory["expiration_date"] is None
    assert memory["expires_in"] is None
    assert memory["memory_type"] == "preference"
    assert memory["metadata"] == {"source": "settings", "weight": 2}


async def test_session_memory_is_gone_after_eight_days_from_recall_and_the_file(client: Client, clock, db) -> None:
    await call(client, "remember_temporary", content="Browsing electronics: noise-cancelling headphones")
    await call(client, "remember_permanent", content="User prefers over-ear headphones")
    assert len((await call(client, "recall", query="headphones"))["memories"]) == 2

    clock.advance(days=8)
    recalled = await call(client, "recall", query="headphones")

    assert contents(recalled) == ["User prefers over-ear headphones"]
    assert db.count_rows() == 1
    assert b"noise-cancelling" not in db.raw_bytes()
    history = (db.path.parent / "history.db").read_bytes()
    assert b"noise-cancelling" not in history


async def test_a_memory_is_hidden_the_instant_it_expires_even_before_the_sweep(
    client: Client, clock, db, settings
) -> None:
    await call(client, "remember_temporary", content="Parking spot is B12", memory_type="cache", expires_in_days=1)
    clock.advance(days=1, microseconds=-1)
    assert contents(await call(client, "recall", query="parking spot")) == ["Parking spot is B12"]  # this call swept
    clock.advance(microseconds=1)
    assert (await call(client, "recall", query="parking spot"))["memories"] == []
    assert db.count_rows() == 1  # hidden, though still stored: the next sweep is not due for a while

    clock.advance(seconds=settings.sweep_interval_seconds)
    assert (await call(client, "expiring_soon", within_days=2))["memories"] == []
    assert db.count_rows() == 0  # and that sweep deleted it


@pytest.mark.slow  # 201 memories
@pytest.mark.parametrize("settings_overrides", [{"sweep_interval_seconds": 10**9}])
async def test_recall_never_starves_behind_two_hundred_closer_expired_memories(client: Client, clock, db) -> None:
    for i in range(200):
        await call(
            client,
            "remember_temporary",
            content=f"Shopping for a laptop: candidate model number {i}",
            memory_type="cache",
            expires_in_days=1,
        )
    clock.advance(days=2)
    await call(client, "remember_temporary", content="Looking at notebook computers for college", memory_type="session")
    assert db.count_rows() == 201  # the expired ones are still stored: no sweep has run

    recalled = await call(client, "recall", query="shopping for a laptop", limit=5)

    assert contents(recalled) == ["Looking at notebook computers for college"]


async def test_recall_orders_by_relevance_and_filters_by_type(client: Client) -> None:
    await call(client, "remember_permanent", content="User is allergic to peanuts", memory_type="fact")
    await call(client, "remember_permanent", content="User prefers window seats on flights")
    await call(client, "remember_temporary", content="Planning a flight to Tokyo in April", memory_type="session")

    recalled = await call(client, "recall", query="airplane seat preference", limit=3)
    assert recalled["memories"][0]["content"] == "User prefers window seats on flights"
    scores = [m["score"] for m in recalled["memories"]]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)

    only_sessions = await call(client, "recall", query="flight", memory_types=["session"])
    assert contents(only_sessions) == ["Planning a flight to Tokyo in April"]


async def test_recall_finds_a_rare_keyword(client: Client) -> None:
    await call(client, "remember_permanent", content="Electricity account number is ACC-88213", memory_type="account")
    for text in ("User likes jazz", "User works at a bakery", "User's cat is called Miso"):
        await call(client, "remember_permanent", content=text)
    assert contents(await call(client, "recall", query="ACC-88213", limit=1)) == [
        "Electricity account number is ACC-88213"
    ]


async def test_remembering_the_same_text_refreshes_instead_of_duplicating(client: Client, clock, db) -> None:
    first = await call(client, "remember_temporary", content="Reading about  sourdough starters", expires_in_days=2)
    again = await call(client, "remember_temporary", content="reading ABOUT sourdough starters ", expires_in_days=5)
    shorter = await call(client, "remember_temporary", content="Reading about sourdough starters", expires_in_days=1)

    assert first["id"] == again["id"] == shorter["id"]
    assert shorter["expires_at"] == iso(clock.now() + timedelta(days=5))  # the later expiry wins
    assert db.count_rows() == 1


async def test_a_refresh_keeps_the_first_created_at_and_merges_metadata(client: Client, clock) -> None:
    first = await call(client, "remember_temporary", content="Watching a cooking series", metadata={"a": 1})
    clock.advance(hours=1)
    again = await call(client, "remember_temporary", content="Watching a cooking series", metadata={"b": "x"})
    assert again["created_at"] == first["created_at"]
    assert again["metadata"] == {"a": 1, "b": "x"}


async def test_permanent_beats_temporary_in_a_refresh(client: Client, db) -> None:
    permanent = await call(client, "remember_permanent", content="Works from home on Fridays", memory_type="fact")
    temporary = await call(client, "remember_temporary", content="Works from home on Fridays", memory_type="fact")
    assert temporary["id"] == permanent["id"]
    assert temporary["expires_at"] is None
    upgraded = await call(client, "remember_temporary", content="Gym at 7", memory_type="reminder")
    made_permanent = await call(client, "remember_permanent", content="gym at 7", memory_type="reminder")
    assert made_permanent["id"] == upgraded["id"] and made_permanent["expires_at"] is None
    assert db.count_rows() == 2


async def test_the_same_text_with_another_type_is_a_separate_memory(client: Client, db) -> None:
    await call(client, "remember_temporary", content="Likes Italian food", memory_type="chat")
    await call(client, "remember_permanent", content="Likes Italian food", memory_type="preference")
    assert db.count_rows() == 2


@pytest.mark.parametrize("settings_overrides", [{"sweep_interval_seconds": 10**9}])
async def test_an_expired_twin_does_not_swallow_a_new_memory(client: Client, clock, db) -> None:
    old = await call(client, "remember_temporary", content="Trip to Oslo next week", expires_in_days=1)
    clock.advance(days=2)
    new = await call(client, "remember_temporary", content="Trip to Oslo next week")
    assert new["id"] != old["id"]
    assert db.count_rows() == 2  # a row of its own, beside the expired one no sweep has deleted yet
    assert new["expires_at"] == iso(clock.now() + timedelta(days=7))
    assert contents(await call(client, "recall", query="Oslo trip")) == ["Trip to Oslo next week"]


async def test_expiring_soon_lists_live_temporary_memories_in_the_window_soonest_first(client: Client, clock) -> None:
    await call(client, "remember_temporary", content="Chat about the garden", memory_type="chat")  # 30 days
    await call(client, "remember_temporary", content="Browsing tents", memory_type="session")  # 7 days
    await call(client, "remember_temporary", content="Call mum", memory_type="reminder")  # 1 day
    await call(client, "remember_temporary", content="Weather cache", memory_type="cache", expires_in_days=0.25)
    await call(client, "remember_permanent", content="Prefers metric units")

    week = await call(client, "expiring_soon")
    assert contents(week) == ["Weather cache", "Call mum", "Browsing tents"]
    assert [m["expires_in"] for m in week["memories"]] == ["in 6 hours", "in 1 day", "in 7 days"]

    assert contents(await call(client, "expiring_soon", within_days=60, memory_types=["chat", "cache"])) == [
        "Weather cache",
        "Chat about the garden",
    ]
    assert contents(await call(client, "expiring_soon", within_days=60, limit=2)) == ["Weather cache", "Call mum"]
    clock.advance(hours=7)
    assert contents(await call(client, "expiring_soon", within_days=1)) == ["Call mum"]


async def test_forget_deletes_a_memory_and_its_history(client: Client, db) -> None:
    memory = await call(client, "remember_permanent", content="Old address is 12 Elm Street", memory_type="account")
    assert await call(client, "forget", memory_id=memory["id"]) == {"deleted": memory["id"]}
    assert (await call(client, "recall", query="address"))["memories"] == []
    assert db.count_rows() == 0
    with sqlite(db.path.parent / "history.db") as history:
        assert history.execute("SELECT count(*) FROM history").fetchone() == (0,)
    assert "No memory with id" in await call_error(client, "forget", memory_id=memory["id"])


async def test_renew_extends_a_memory_or_makes_it_permanent(client: Client, clock) -> None:
    memory = await call(client, "remember_temporary", content="Comparing phone plans", expires_in_days=1)
    longer = await call(client, "renew_memory", memory_id=memory["id"], expires_in_days=10)
    assert longer["expires_at"] == iso(clock.now() + timedelta(days=10))

    clock.advance(days=5)
    tier = await call(client, "renew_memory", memory_id=memory["id"])
    assert tier["expires_at"] == iso(clock.now() + timedelta(days=7))  # the session tier starts again

    permanent = await call(client, "renew_memory", memory_id=memory["id"], permanent=True)
    assert permanent["expires_at"] is None and permanent["expiration_date"] is None
    clock.advance(days=365)
    assert contents(await call(client, "recall", query="phone plans")) == ["Comparing phone plans"]
    assert (await call(client, "expiring_soon", within_days=3650))["memories"] == []


async def test_renewing_without_a_new_expiry_never_shortens_a_memory(client: Client, clock) -> None:
    memory = await call(client, "remember_temporary", content="Tracking a refund", expires_in_days=30)

    renewed = await call(client, "renew_memory", memory_id=memory["id"])

    assert renewed["expires_at"] == memory["expires_at"]  # the session tier (7 days from now) would be sooner


async def test_an_expired_memory_cannot_be_renewed_or_forgotten(client: Client, clock) -> None:
    memory = await call(client, "remember_temporary", content="Flash sale ends tonight", memory_type="cache")
    clock.advance(days=1, seconds=1)
    assert "may have expired" in await call_error(client, "renew_memory", memory_id=memory["id"], permanent=True)
    assert "may have expired" in await call_error(client, "forget", memory_id=memory["id"])


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
# module writes bare NaN and Infinity, which test_fuzz.py sends through a raw stdio pipe. (The SDK's own client turns a
# float inf or nan into null before sending, so those arrive as "no expiry given".)
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


async def test_memories_are_scoped_to_the_configured_user(client: Client, settings, clock, embedder, db) -> None:
    mine = await call(client, "remember_permanent", content="Alice likes green tea")
    bob_settings = settings.model_copy(update={"user_id": "bob"})
    async with serving(bob_settings, clock, embedder) as bob:
        assert (await call(bob, "recall", query="green tea"))["memories"] == []
        assert "No memory with id" in await call_error(bob, "forget", memory_id=mine["id"])
        assert "No memory with id" in await call_error(bob, "renew_memory", memory_id=mine["id"], permanent=True)
        his = await call(bob, "remember_permanent", content="Alice likes green tea")
    assert db.count_rows() == 2
    assert db.users() == {mine["id"]: "alice", his["id"]: "bob"}
    assert contents(await call(client, "recall", query="green tea")) == ["Alice likes green tea"]


async def test_a_memory_made_at_the_start_of_a_test_is_created_at_the_real_time_and_found(client: Client) -> None:
    """The injected clock starts at the real time: Mem0 still checks its day-granular date against the real clock."""
    memory = await call(client, "remember_temporary", content="Checking the train times", memory_type="chat")
    created = parse_iso(memory["created_at"])

    assert created <= datetime.now(UTC) < created + timedelta(minutes=1)
    assert parse_iso(memory["expires_at"]) == created + timedelta(days=30)
    assert memory["expiration_date"] == (created + timedelta(days=30)).date().isoformat()
    assert contents(await call(client, "recall", query="train times")) == ["Checking the train times"]
