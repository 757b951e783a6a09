"""Telling clients what changed. After a tool call or a resource read whose operations wrote, deleted or swept
memories, every resource whose content changed gets a resource-updated notification, and the resource list a
list-changed one, sent as the SDK asks for both kinds of client: to 2026 clients' subscriptions/listen streams
(`ctx.notify_*`), and to earlier ones on their session (`ctx.session.send_*`; resource-updated only for the URIs the
client subscribed to with resources/subscribe). Over HTTP with tokens, each user hears only of its own calls."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import anyio.lowlevel
from mcp.server import MCPServer
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.context import HandlerResult, ServerRequestContext
from mcp.server.lowlevel import NotificationOptions
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceNotFoundError
from mcp.server.session import ServerSession
from mcp.server.subscriptions import ServerEvent
from mcp.shared.exceptions import MCPError
from mcp.types import (
    INVALID_PARAMS,
    CallToolResult,
    EmptyResult,
    InputRequiredResult,
    SubscribeRequestParams,
    SubscriptionsListenRequestParams,
    UnsubscribeRequestParams,
)
from pydantic import AnyUrl

from .engine import Changes
from .memories import MemoryService
from .resources import RESOURCES, caller, changed_uris, memory_id_of, run

logger = logging.getLogger(__name__)
SUBSCRIBED = "expiring_memory.subscribed"  # the key of a connection's resources/subscribe URIs in its state


def _user() -> str | None:
    token = get_access_token()
    return token.client_id if token else None


class UserBus:
    """An in-process subscription bus like the SDK's default, delivering each event only to the listen streams of the
    user whose call published it: over HTTP with tokens, one user never hears when another's calls change memories."""

    def __init__(self) -> None:
        self._listeners: dict[object, tuple[str | None, Callable[[ServerEvent], None]]] = {}

    async def publish(self, event: ServerEvent) -> None:
        user = _user()
        for owner, listener in list(self._listeners.values()):
            if owner == user:
                try:
                    listener(event)
                except Exception:  # one bad listener must not starve the others or fail the call
                    logger.exception("a subscription listener raised")
        await anyio.lowlevel.checkpoint()  # lets listen streams drain between events, as the SDK's bus does

    def subscribe(self, listener: Callable[[ServerEvent], None]) -> Callable[[], None]:
        token = object()
        self._listeners[token] = (_user(), listener)

        def unsubscribe() -> None:
            self._listeners.pop(token, None)

        return unsubscribe


def _subscribed(session: ServerSession) -> set[str]:
    """The URIs this connection subscribed to with resources/subscribe, kept in the connection's own state."""
    state: dict[str, set[str]] = session._connection.state  # in mcp 2.3, a session reaches it only privately
    return state.setdefault(SUBSCRIBED, set())


async def _check_readable(ctx: ServerRequestContext[MemoryService], uri: str) -> None:
    """Refuses a URI the caller cannot read, as resources/read would, so no one watches another user's memory."""
    memory_id = memory_id_of(uri)
    if memory_id is not None:
        try:
            await run(caller(ctx.lifespan_context).get, memory_id)
        except ResourceNotFoundError as exc:
            raise MCPError(INVALID_PARAMS, str(exc), {"uri": uri}) from exc
    elif uri not in {r.uri for r in RESOURCES}:
        raise MCPError(INVALID_PARAMS, f"Unknown resource: {uri}", {"uri": uri})


async def _subscribe(ctx: ServerRequestContext[MemoryService], params: SubscribeRequestParams) -> EmptyResult:
    await _check_readable(ctx, params.uri)
    _subscribed(ctx.session).add(params.uri)
    return EmptyResult()


async def _unsubscribe(ctx: ServerRequestContext[MemoryService], params: UnsubscribeRequestParams) -> EmptyResult:
    _subscribed(ctx.session).discard(params.uri)
    return EmptyResult()


async def announce(context: Context[MemoryService, Any] | None, changes: Changes) -> None:
    """Resource-updated for every resource the changes touch, and resources list-changed, to both kinds of client."""
    if context is None or not changes:
        return
    uris = changed_uris([*changes.written, *changes.swept])
    for uri in uris:  # 2026: reaches the listen streams that asked for this URI
        await context.notify_resource_updated(uri)
    await context.notify_resources_changed()
    session = context.session  # earlier protocols (the SDK drops these on 2026 connections)
    subscribed = _subscribed(session)
    for uri in uris:
        if uri in subscribed:
            await session.send_resource_updated(uri)
    await session.send_resource_list_changed()


class NotifyingServer(MCPServer[MemoryService]):
    """The SDK's server, announcing what each tool call and resource read changed, serving resources/subscribe to
    earlier clients, and scoping the listen streams of 2026 clients to their user; both refuse to watch what the caller
    cannot read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, subscriptions=UserBus(), **kwargs)
        lowlevel = self._lowlevel_server
        listen = lowlevel.get_request_handler("subscriptions/listen")
        if listen is not None:  # the SDK's listen handler, after the check resources/subscribe makes too

            async def checked_listen(
                ctx: ServerRequestContext[MemoryService], params: SubscriptionsListenRequestParams
            ) -> HandlerResult:
                for uri in params.notifications.resource_subscriptions or ():
                    await _check_readable(ctx, uri)
                return await listen.handler(ctx, params)

            lowlevel.add_request_handler("subscriptions/listen", SubscriptionsListenRequestParams, checked_listen)
        lowlevel.add_request_handler("resources/subscribe", SubscribeRequestParams, _subscribe)
        lowlevel.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, _unsubscribe)
        # Earlier clients learn from the initialize result that resource list-changed notifications come.
        options = partial(lowlevel.create_initialization_options, NotificationOptions(resources_changed=True))
        lowlevel.create_initialization_options = options  # type: ignore[method-assign]

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[MemoryService, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        with MemoryService.recording() as changes:
            try:
                return await super().call_tool(name, arguments, context)
            finally:
                await announce(context, changes)

    async def read_resource(
        self, uri: AnyUrl | str, context: Context[MemoryService, Any] | None = None
    ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        with MemoryService.recording() as changes:  # a read sweeps too
            try:
                return await super().read_resource(uri, context)
            finally:
                await announce(context, changes)
