"""The prompts a user picks from the client's menu: review what will be forgotten soon, and save what the model learned
in this conversation. Both speak as the user, to the model."""

from __future__ import annotations

from typing import Annotated

from mcp.server import MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS
from pydantic import Field

from . import credentials
from .memories import MemoryService
from .memory_types import MEMORY_TYPES
from .models import MemoryRecord
from .resources import EXPIRING_DAYS, EXPIRING_LIMIT, caller, run
from .settings import Settings


def _days(text: str | None) -> float:
    """The review's window: a number of days above 0 and up to 36500 (as expiring_soon takes), 7 when left out."""
    if text is None or not text.strip():
        return EXPIRING_DAYS
    try:
        days = float(text)
    except ValueError:
        days = 0.0
    if not 0 < days <= 36500:
        raise MCPError(
            INVALID_PARAMS,
            f"days must be a number of days above 0 and up to 36500, such as 7; not {credentials.redacted(text, 60)!r}.",
        )
    return days


def _line(memory: MemoryRecord) -> str:
    expires = memory.expires_at.strftime("%Y-%m-%d %H:%M UTC") if memory.expires_at else "never"
    return f"- {memory.content} ({memory.memory_type}; expires {memory.expires_in}, {expires}; id {memory.id})"


def _days_text(days: float) -> str:
    return f"{days:g} day" + ("" if days == 1 else "s")


def review_text(memories: list[MemoryRecord], days: float) -> str:
    window = f"the next {_days_text(days)}"
    if not memories:
        return (
            f"Which of the memories you keep about me will be forgotten within {window}? Nothing expires in that "
            "time: tell me so in one sentence, and change nothing."
        )
    listing = "\n".join(_line(m) for m in memories)
    return (
        f"Help me review what you will forget about me within {window}. These memories expire then, soonest first:\n"
        f"{listing}\n\n"
        "Go through them with me, one at a time (or a few similar ones together if there are many): say what each "
        "one holds and when it will be forgotten, in plain words, and let me choose:\n"
        "- renew it: call renew_memory with its id, and with expires_in_days if I say for how long (without, it gets "
        "its type's usual lifetime from now);\n"
        "- make it permanent: call renew_memory with its id and permanent=true;\n"
        "- let it go: change nothing, and it will be forgotten on its own (or call forget with its id if I want it "
        "gone now).\n"
        "Change nothing I have not chosen. At the end, say in one line what you renewed, made permanent and let go."
    )


def preferences_text(settings: Settings, focus: str | None) -> str:
    permanent = [t for t in MEMORY_TYPES if t.permanent]
    temporary = [t for t in MEMORY_TYPES if not t.permanent]
    lasting = "; ".join(f"{t.name} for {t.what}" for t in permanent)
    stale = "; ".join(
        f"{t.name} for {t.what} ({_days_text(getattr(settings, t.setting))})" for t in temporary if t.setting
    )
    about = f" Pay most attention to {focus.strip()}." if focus and focus.strip() else ""
    return (
        "Look back over our conversation so far and save what you learned about me that will help you later, "
        f"following the rules in this memory server's instructions.{about}\n"
        f"- What stays true goes to remember_permanent, with the memory_type that fits: {lasting}.\n"
        f"- What goes stale goes to remember_temporary: {stale}. If you know when something stops being true (a "
        "preference only for one trip, a plan for one date), give expires_in_days or expires_at instead.\n"
        "- When unsure, prefer temporary: it is easier to renew a memory than to clean one up.\n"
        "- Write each memory as one self-contained statement that makes sense on its own later. Call recall first, "
        "and skip what is already saved.\n"
        "- Do not save passwords, secrets, or anything I asked you not to keep.\n"
        "Then list what you saved, each with whether it is permanent or when it expires."
    )


def register_prompts(server: MCPServer[MemoryService], service: MemoryService) -> None:
    """review-expiring and remember-preferences."""

    async def review_expiring(
        days: Annotated[
            str | None, Field(description="How many days ahead to look, such as 7 or 0.5 (the default is 7).")
        ] = None,
    ) -> str:
        window = _days(days)
        memories = await run(caller(service).expiring, window, None, EXPIRING_LIMIT)
        return review_text(memories, window)

    async def remember_preferences(
        focus: Annotated[
            str | None, Field(description="What to pay most attention to, such as 'travel plans' (optional).")
        ] = None,
    ) -> str:
        return preferences_text(service.settings, focus)

    server.prompt(
        name="review-expiring",
        title="Review what expires soon",
        description="Walk through the memories that will be forgotten soon, and renew, make permanent or let go of each.",
    )(review_expiring)
    server.prompt(
        name="remember-preferences",
        title="Remember what you learned",
        description="Save what the assistant learned about you in this conversation, as permanent or temporary "
        "memories by the server's rules.",
    )(remember_preferences)
