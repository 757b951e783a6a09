"""The MCP server: seven tools over the memory service. Nothing heavy is imported here, so tools/list is instant."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from mcp.server import MCPServer
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations
from pydantic import Field

from . import __version__, type_words
from .errors import InvalidRequest, Unavailable
from .instructions import instructions
from .mcp_server import MemoryServer
from .memories import MemoryService
from .memory_types import DEFAULT_TEMPORARY_DAYS, PERMANENT_TYPES, TEMPORARY_TYPES
from .models import Deleted, MemoryList, MemoryRecord, MemoryViewLink, RecallResult, RememberedMemory
from .prompts import register_prompts
from .resources import caller, register_resources
from .settings import Settings

T = TypeVar("T")
Ctx = Context[MemoryService, Any]

Content = Annotated[
    str, Field(description="The memory itself: one self-contained statement, written so it makes sense later.")
]
Metadata = Annotated[
    dict[str, Any] | None,
    Field(description="Optional flat key/value pairs (string, number, boolean or null values) kept with the memory."),
]
ExpiresInDays = Annotated[
    float | None,
    Field(
        description="Expire after this many days; fractions allowed (0.5 is 12 hours). Leave out to use the type's tier."
    ),
]
ExpiresAt = Annotated[
    str | None,
    Field(
        description="Expire at this ISO 8601 time, such as '2026-12-24T18:00:00+01:00'. Without an offset it is read "
        "in the server's timezone; a date alone ('2026-12-24') lasts through the end of that day."
    ),
]
MemoryTypes = Annotated[
    list[str] | None,
    Field(description="Only these memory types, for example ['preference', 'fact']. Leave out for all types."),
]
MemoryId = Annotated[str, Field(description="The id of a memory, as returned by the other tools.", max_length=200)]


async def _call(method: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Runs a blocking service call in a worker thread; caller-facing errors become ToolErrors."""
    try:
        return await anyio.to_thread.run_sync(partial(method, *args, **kwargs))
    except (InvalidRequest, Unavailable) as exc:
        raise ToolError(str(exc)) from exc


def _check_tool_for_type(memory_type: str, *, permanent: bool, explicit_expiry: bool) -> None:
    """The wrong tool for a type is refused, and nothing is stored, with a message naming the right tool.

    A permanent type (preference, account, fact, milestone) on remember_temporary is allowed with an explicit
    expires_in_days or expires_at: a preference for one trip is meant to lapse. Without one, the model most likely
    picked the wrong tool, and a preference that silently expires after the default tier is the worst outcome.
    A temporary type (session, chat, reminder, cache) on remember_permanent is always refused: a permanent
    "session" contradicts its own type, every listing would show it among lasting memories, and the model can
    still keep one for good in two clear steps (remember_temporary, then renew_memory with permanent=true).
    Your own types are not judged. The type is compared as the service stores it (stripped, lowercase)."""
    kind = memory_type.strip().lower()
    if not permanent and kind in PERMANENT_TYPES and not explicit_expiry:
        raise ToolError(
            f"memory_type '{kind}' is permanent: use remember_permanent to keep it. To remember a {kind} only for a "
            "while (such as one for this trip), call remember_temporary again with expires_in_days or expires_at. "
            "Nothing was stored."
        )
    if permanent and kind in TEMPORARY_TYPES:
        raise ToolError(
            f"memory_type '{kind}' is temporary: use remember_temporary for it, or give remember_permanent a lasting "
            f"type such as {' or '.join(repr(t) for t in PERMANENT_TYPES[:2])}. To keep a {kind} memory for good, "
            "renew_memory it with permanent=true. Nothing was stored."
        )


def _service(ctx: Ctx) -> MemoryService:
    """The configured user's memories; over HTTP with tokens, the memories of the user the token maps to."""
    return caller(ctx.request_context.lifespan_context)


async def remember_temporary(
    ctx: Ctx,
    content: Content,
    memory_type: Annotated[  # build_server puts the lifetimes configured in this description
        str, Field(description=type_words.temporary_type(type_words.DEFAULT_LIFETIMES, DEFAULT_TEMPORARY_DAYS))
    ] = "session",
    expires_in_days: ExpiresInDays = None,
    expires_at: ExpiresAt = None,
    metadata: Metadata = None,
) -> RememberedMemory:
    """Remember something that goes stale: session context and what the user is browsing, recent chat, reminders, cached data."""
    explicit = expires_in_days is not None or expires_at is not None
    _check_tool_for_type(memory_type, permanent=False, explicit_expiry=explicit)
    service = _service(ctx)
    return await _call(
        service.remember,
        content,
        memory_type,
        metadata,
        permanent=False,
        expires_in_days=expires_in_days,
        expires_at=expires_at,
    )


async def remember_permanent(
    ctx: Ctx,
    content: Content,
    memory_type: Annotated[str, Field(description=type_words.permanent_type())] = "preference",
    metadata: Metadata = None,
) -> RememberedMemory:
    """Remember something that stays true: preferences and settings, account info, important facts, milestones."""
    _check_tool_for_type(memory_type, permanent=True, explicit_expiry=False)
    service = _service(ctx)
    return await _call(service.remember, content, memory_type, metadata, permanent=True)


async def recall(
    ctx: Ctx,
    query: Annotated[str, Field(description="What to look for, in plain words.")],
    memory_types: MemoryTypes = None,
    limit: Annotated[int, Field(ge=1, le=50, description="How many memories at most (1-50).")] = 5,
) -> RecallResult:
    """Search live memories by meaning and keywords, best match first; expired memories never appear."""
    service = _service(ctx)
    return RecallResult(memories=await _call(service.recall, query, memory_types, limit))


async def expiring_soon(
    ctx: Ctx,
    within_days: Annotated[float, Field(gt=0, le=36500, description="The window to look ahead, in days.")] = 7,
    memory_types: Annotated[
        list[str] | None,
        Field(description="Only these memory types, for example ['session', 'reminder']. Leave out for all types."),
    ] = None,
    limit: Annotated[int, Field(ge=1, le=200, description="How many memories at most (1-200).")] = 20,
) -> MemoryList:
    """List temporary memories that will expire within the window, soonest first, to renew or let go."""
    service = _service(ctx)
    return MemoryList(memories=await _call(service.expiring, within_days, memory_types, limit))


async def forget(ctx: Ctx, memory_id: MemoryId) -> Deleted:
    """Delete a memory for good, when the user asks you to forget it or it is wrong."""
    service = _service(ctx)
    return Deleted(deleted=await _call(service.forget, memory_id))


async def renew_memory(
    ctx: Ctx,
    memory_id: MemoryId,
    expires_in_days: Annotated[
        float | None, Field(description="New lifetime from now, in days (0.5 is 12 hours).")
    ] = None,
    expires_at: ExpiresAt = None,
    permanent: Annotated[bool, Field(description="Make the memory permanent instead.")] = False,
) -> MemoryRecord:
    """Keep a memory longer or make it permanent; with no new expiry it gets its type's tier from now, unless it already lasts longer."""
    service = _service(ctx)
    return await _call(service.renew, memory_id, expires_in_days, expires_at, permanent)


async def open_memory_view(ctx: Ctx) -> MemoryViewLink:
    """Start, or reuse, a private web page on this computer where the user can see, search, renew and forget what you remember, and return its link; use it when the user asks to see, browse or manage their memories."""
    if get_access_token() is not None:
        raise ToolError(
            "Over HTTP the memory view is served at /ui on this same server: tell the user to open that address in a "
            "browser and sign in with their access token."
        )
    from .web.launch import open_view  # Starlette, Jinja2 and uvicorn load only when a view is asked for

    url, running = await _call(open_view, _service(ctx))
    return MemoryViewLink(url=url, already_running=running)


# Hosts act on these: Claude Code's plan mode runs a read-only tool without asking. Each hint is meant exactly.
# - Closed world (open_world_hint=False) for every tool, on every backend: a memory tool's domain is the user's own
#   memories (the MCP spec's own example of a closed world), even when the Mem0 Platform keeps them.
# - recall and expiring_soon are read-only, although the sweep that runs at most every SWEEP_INTERVAL_SECONDS during
#   any tool call (engine.py) may delete expired memories during one: those memories are already gone for every
#   tool, resource and command, which never return them; the sweep only frees their space, on a timer, whatever
#   the call. No memory changes, nothing any tool returns changes, and calling them twice has no further effect
#   (idempotent). recall does count what it returns (EXPIRING_MEMORY_COUNT_RECALLS, on by default): a usage
#   counter kept beside the memories, which only `insights`, the ledger and the memory view read. We still call it
#   read-only, as a web server that keeps access logs is: no tool's answer and no memory changes, and a recall that
#   asked first in plan mode would make the memory useless there. With recall-aware expiry
#   (EXPIRING_MEMORY_EXTEND_ON_RECALL) recall may lengthen what it returns: then it is neither read-only nor
#   idempotent.
# - remember_temporary adds a memory, or refreshes its twin (same text and type): the later expiry wins, so nothing
#   is shortened or deleted; the one value it can replace is a metadata key the call itself gives again. Not
#   destructive. Not idempotent: the tier counts from now, so a second call moves the expiry later.
# - remember_permanent is additive in the same way, and idempotent: a second call finds its twin already permanent.
#   With EXPIRING_MEMORY_INFER it is not (build_server says so): Mem0's LLM may store the same text again.
# - forget is destructive, and idempotent: a second call finds nothing to delete and changes nothing.
# - renew_memory is destructive: a new expiry may be sooner than the old one, and may end a permanent memory. Not
#   idempotent: a lifetime from now moves with each call.
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)
TOOLS: list[tuple[Callable[..., Any], str, ToolAnnotations]] = [
    (remember_temporary, "Remember temporarily", WRITE),
    (remember_permanent, "Remember permanently", WRITE.model_copy(update={"idempotent_hint": True})),
    (recall, "Recall memories", READ_ONLY),
    (expiring_soon, "Memories expiring soon", READ_ONLY),
    (
        forget,
        "Forget a memory",
        ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False),
    ),
    (
        renew_memory,
        "Renew a memory",
        ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=False),
    ),
    # Not read-only: it starts a local web server (a loopback port and a small file in the data dir), though it
    # changes no memory itself; idempotent: asked again, it hands out the view already running.
    (
        open_memory_view,
        "Open the memory view",
        ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False),
    ),
]


def _tool(fn: Callable[..., Any], title: str, hints: ToolAnnotations, settings: Settings) -> Tool:
    """A tool as the server lists it, for these settings: remember_temporary's memory_type names the lifetimes
    configured, with EXPIRING_MEMORY_INFER remembering is not idempotent, and with recall-aware expiry a recall may
    move an expiry, so it is neither read-only nor idempotent."""
    if settings.infer and fn is remember_permanent:
        hints = hints.model_copy(update={"idempotent_hint": False})
    if settings.extend_on_recall and fn is recall:
        hints = hints.model_copy(update={"read_only_hint": False, "idempotent_hint": False})
    tool = Tool.from_function(fn, title=title, annotations=hints, structured_output=True)
    if fn is remember_temporary:
        described = type_words.temporary_type(settings.tier_days(), settings.ttl_default_days)
        tool.parameters["properties"]["memory_type"]["description"] = described
    return tool


def build_server(
    service: MemoryService,
    settings: Settings,
    *,
    token_verifier: TokenVerifier | None = None,
    auth: AuthSettings | None = None,
) -> MCPServer[MemoryService]:
    """The MCP server with every tool, resource and prompt registered; the service reaches tools as the lifespan
    context."""

    @asynccontextmanager
    async def lifespan(_: MCPServer[MemoryService]) -> AsyncIterator[MemoryService]:
        yield service

    server = MemoryServer(
        "expiring-memory",
        version=__version__,
        instructions=instructions(settings),
        lifespan=lifespan,
        log_level=settings.log_level,
        token_verifier=token_verifier,
        auth=auth,
        tools=[_tool(fn, title, hints, settings) for fn, title, hints in TOOLS],
    )
    register_resources(server, service)
    register_prompts(server, service)
    return server
