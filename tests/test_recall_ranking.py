"""How recall ranks, through a real MCP session: keywords and meaning fused, never starved by expired memories."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import Client

from expiring_memory_mcp.settings import Settings
from support import call, contents, serving

pytestmark = pytest.mark.anyio

ITEMS = ["standing desk", "office chair", "monitor arm", "desk lamp", "keyboard", "webcam", "headset", "laptop stand"]
# 200 orders that look alike; the embedder ranks the teapot below all but a few of them for "what was 88-1032?".
ORDERS = [
    f"Order {40 + i % 50}-{(i * 7919) % 9000 + 1000} was the {ITEMS[i % 8]}, delivered in week {i % 52 + 1}"
    for i in range(200)
]
TEAPOT = "Gift for Lena: a ceramic teapot, ref 88-1032"


@asynccontextmanager
async def ranked_by(settings: Settings, clock: Any, embedder: Any, method: str) -> AsyncIterator[Client]:
    """A second server on the same data dir that ranks another way."""
    async with serving(settings.model_copy(update={"recall_ranking": method}), clock, embedder) as client:
        yield client


@pytest.mark.slow  # 201 memories
async def test_a_memory_only_its_reference_number_finds_is_recalled_first(
    client: Client, settings, clock, embedder
) -> None:
    for text in [*ORDERS, TEAPOT]:
        await call(client, "remember_permanent", content=text, memory_type="account")

    recalled = await call(client, "recall", query="what was 88-1032?", limit=5)

    assert contents(recalled)[0] == TEAPOT
    async with ranked_by(settings, clock, embedder, "dense") as dense:  # meaning alone does not get there
        assert TEAPOT not in contents(await call(dense, "recall", query="what was 88-1032?", limit=10))


async def test_a_paraphrase_that_shares_no_word_is_still_found_by_meaning(client: Client) -> None:
    for text in ORDERS[:40]:
        await call(client, "remember_permanent", content=text, memory_type="account")
    await call(client, "remember_permanent", content="User is allergic to penicillin", memory_type="fact")

    recalled = await call(client, "recall", query="which antibiotic must I avoid?", limit=3)

    assert contents(recalled)[0] == "User is allergic to penicillin"


@pytest.mark.slow  # 200 memories and more
@pytest.mark.parametrize("settings_overrides", [{"sweep_interval_seconds": 10**9}])
async def test_two_hundred_expired_keyword_matches_hide_no_live_one_and_recall_is_never_short(
    client: Client, clock, db
) -> None:
    for i in range(200):
        await call(
            client,
            "remember_temporary",
            content=f"Parcel 88-1032 tracking update {i}: 88-1032 in transit",
            memory_type="cache",
            expires_in_days=1,
        )
    clock.advance(days=2)
    live = [f"Parcel 88-1032 arrived, box {k}" for k in range(12)]
    for text in live:
        await call(client, "remember_permanent", content=text, memory_type="fact")
    assert db.count_rows() == 212  # the expired ones are still stored: no sweep has run

    recalled = await call(client, "recall", query="88-1032", limit=10)

    assert len(recalled["memories"]) == 10 and set(contents(recalled)) <= set(live)
    everything = await call(client, "recall", query="parcel 88-1032", limit=50)
    assert sorted(contents(everything)) == sorted(live)


JAPANESE = [
    "夫は毎朝コーヒーを二杯飲む",
    "息子の健太は火曜日にサッカーの練習がある",
    "母の誕生日は三月十日",
    "歯医者の予約は木曜日の午後三時",
    "電車では窓側の席が好き",
    "犬の散歩は朝七時と夕方六時",
    "職場は渋谷の駅の近くにある",
    "来月、京都へ家族旅行に行く予定",
    "銀行の口座番号は別のメモにある",
    "週末は公園でジョギングをする",
    "妹は大阪で看護師として働いている",
    "猫の名前はモチ",
]


async def test_japanese_is_found_by_its_words_without_spaces(client: Client, settings, clock, embedder) -> None:
    for text in JAPANESE:
        await call(client, "remember_permanent", content=text, memory_type="fact")
    await call(client, "remember_permanent", content="娘の美咲はピーナッツアレルギーがある", memory_type="fact")

    async with ranked_by(settings, clock, embedder, "keyword") as keywords:  # the keyword index alone finds it
        for recaller in (client, keywords):
            for query in ("ピーナッツ", "美咲のアレルギーは？"):
                found = contents(await call(recaller, "recall", query=query, limit=1))
                assert found == ["娘の美咲はピーナッツアレルギーがある"]


async def test_accents_do_not_stop_a_keyword_match(client: Client, settings, clock, embedder) -> None:
    for city in ("Sevilla", "Córdoba", "Granada", "Cádiz", "Almería", "Jaén", "Huelva", "Ronda", "Marbella"):
        await call(client, "remember_permanent", content=f"Ferienwohnung in {city} angefragt", memory_type="fact")
    await call(client, "remember_permanent", content="Ferienwohnung in Málaga gebucht", memory_type="fact")

    async with ranked_by(settings, clock, embedder, "keyword") as keywords:
        for recaller in (client, keywords):
            for query in ("Malaga", "Málaga"):
                found = contents(await call(recaller, "recall", query=query, limit=1))
                assert found == ["Ferienwohnung in Málaga gebucht"]


FILLER = [
    "Booked the dentist for the 14th",
    "The router password sticker is under the shelf",
    "Likes long walks by the river on Sundays",
    "Car insurance renews in March",
    "The spare key is with the neighbour at number 12",
]


async def conversation(client: Client, clock: Any, question: str, reply: str, *, gap_minutes: float, reply_type: str):
    """A question and its reply remembered `gap_minutes` apart, after some older memories."""
    await call(client, "remember_temporary", content=question, memory_type="chat")
    clock.advance(minutes=gap_minutes)
    if reply_type == "chat":
        await call(client, "remember_temporary", content=reply, memory_type="chat")
    else:
        await call(client, "remember_permanent", content=reply, memory_type=reply_type)
    clock.advance(hours=3)


async def test_a_reply_remembered_just_after_its_question_is_recalled_with_it(client: Client, clock) -> None:
    for text in FILLER:
        await call(client, "remember_permanent", content=text, memory_type="fact")
    clock.advance(hours=3)
    await conversation(
        client,
        clock,
        "Kevin: what are your plans for new year's eve?",
        "Elise: same as every year, my aunt's place",
        gap_minutes=1,
        reply_type="chat",
    )
    await conversation(  # the same exchange, hours apart: not one sitting
        client,
        clock,
        "Kevin: what are your plans for the long weekend?",
        "Elise: same as every year, the lake house",
        gap_minutes=120,
        reply_type="chat",
    )
    await conversation(  # one minute apart, but the reply was remembered as a fact: not one conversation
        client,
        clock,
        "Kevin: what are your plans for your birthday?",
        "Elise: same as every year, my sister's flat",
        gap_minutes=1,
        reply_type="fact",
    )

    new_year = contents(await call(client, "recall", query="What are the plans for New Year's Eve?", limit=3))
    weekend = contents(await call(client, "recall", query="What are the plans for the long weekend?", limit=3))
    birthday = contents(await call(client, "recall", query="What are the plans for the birthday?", limit=3))

    assert new_year[:2] == [
        "Kevin: what are your plans for new year's eve?",
        "Elise: same as every year, my aunt's place",
    ]
    assert weekend[0] == "Kevin: what are your plans for the long weekend?"
    assert "Elise: same as every year, the lake house" not in weekend[:2]
    assert birthday[0] == "Kevin: what are your plans for your birthday?"
    assert "Elise: same as every year, my sister's flat" not in birthday[:2]
