"""recall and expiring_soon through a real MCP session, on both stores (tools/conftest.py): what expires is gone
from them the instant it expires and then from the files, what is found first, and the expiry window."""

from __future__ import annotations

import pytest
from mcp import Client

from support import call, contents

pytestmark = pytest.mark.anyio


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
