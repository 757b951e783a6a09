"""The prompts through a real in-memory MCP session on the real stack: listed with titles and arguments, and rendered
from the user's own memories and the configured lifetimes."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS

from expiring_memory_mcp.memory_types import MEMORY_TYPES
from support import call

pytestmark = pytest.mark.anyio


async def render(client: Client, name: str, **arguments: str) -> str:
    result = await client.get_prompt(name, arguments)
    [message] = result.messages
    assert message.role == "user"
    return message.content.text  # type: ignore[union-attr]


async def test_both_prompts_are_listed_with_titles_descriptions_and_optional_arguments(client: Client) -> None:
    prompts = {p.name: p for p in (await client.list_prompts()).prompts}
    assert list(prompts) == ["review-expiring", "remember-preferences"]
    assert prompts["review-expiring"].title == "Review what expires soon"
    assert prompts["remember-preferences"].title == "Remember what you learned"
    assert all(p.description for p in prompts.values())
    arguments = {name: [(a.name, a.required) for a in p.arguments or []] for name, p in prompts.items()}
    assert arguments == {"review-expiring": [("days", False)], "remember-preferences": [("focus", False)]}


async def test_review_expiring_lists_what_will_be_forgotten_with_ids_and_offers_the_three_choices(
    client: Client,
) -> None:
    soon = await call(client, "remember_temporary", content="Dentist on Thursday at 9", memory_type="reminder")
    later = await call(client, "remember_temporary", content="Talked about the move", memory_type="chat")
    await call(client, "remember_permanent", content="Prefers tea")

    text = await render(client, "review-expiring")
    assert "within the next 7 days" in text
    assert "- Dentist on Thursday at 9 (reminder; expires in 1 day, " in text and f"; id {soon['id']})" in text
    assert later["id"] not in text and "Prefers tea" not in text
    assert "renew_memory with its id and permanent=true" in text and "forget with its id" in text

    wider = await render(client, "review-expiring", days="31")
    assert "within the next 31 days" in wider and soon["id"] in wider and later["id"] in wider
    assert wider.index(soon["id"]) < wider.index(later["id"])  # soonest first


async def test_review_expiring_with_nothing_expiring_says_so(client: Client) -> None:
    await call(client, "remember_permanent", content="Prefers tea")
    text = await render(client, "review-expiring", days="0.5")
    assert "within the next 0.5 days" in text and "Nothing expires in that time" in text


async def test_review_expiring_expired_memories_are_not_offered(client: Client, clock: Any) -> None:
    stored = await call(client, "remember_temporary", content="Parking spot is B12", memory_type="cache")
    clock.advance(days=2)
    assert stored["id"] not in await render(client, "review-expiring")


@pytest.mark.parametrize("days", ["0", "-1", "soon", "40000"])
async def test_review_expiring_refuses_a_window_that_is_no_number_of_days(client: Client, days: str) -> None:
    with pytest.raises(MCPError) as refused:
        await client.get_prompt("review-expiring", {"days": days})
    assert refused.value.error.code == INVALID_PARAMS
    assert refused.value.error.message == (
        f"days must be a number of days above 0 and up to 36500, such as 7; not {days!r}."
    )


@pytest.mark.parametrize("settings_overrides", [{"ttl_session_days": 2, "ttl_reminder_days": 1}])
async def test_remember_preferences_names_every_type_with_the_configured_lifetimes(client: Client) -> None:
    text = await render(client, "remember-preferences")
    assert "remember_permanent" in text and "remember_temporary" in text
    assert "session for session context and what the user is browsing (2 days)" in text
    assert "reminder for reminders (1 day)" in text and "chat for recent chat (30 days)" in text
    assert all(t.name in text for t in MEMORY_TYPES)
    assert "prefer temporary" in text and "Call recall first" in text


async def test_remember_preferences_can_be_given_a_focus(client: Client) -> None:
    assert "Pay most attention to travel plans." in await render(client, "remember-preferences", focus="travel plans")
    assert "Pay most attention" not in await render(client, "remember-preferences")
