"""Change notifications through real in-memory MCP sessions on the real stack, for both kinds of client: a 2026 client
hears them on its subscriptions/listen stream (`ctx.notify_*`), an earlier one (the legacy handshake) on its session
(`ctx.session.send_*`), resource-updated only for what it subscribed to. Tool changes and sweeps are announced."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp.shared.subscriptions import ResourcesListChanged, ResourceUpdated, ServerEvent
from mcp.types import INVALID_PARAMS, ResourceListChangedNotification, ResourceUpdatedNotification

from expiring_memory_mcp.app import build_server
from expiring_memory_mcp.memories import MemoryService
from expiring_memory_mcp.settings import Settings
from support import call

pytestmark = pytest.mark.anyio

STATS, EXPIRING, TYPES = "memory://stats", "memory://expiring-soon", "memory://types"


def memory(memory_id: str) -> str:
    return f"memory://memories/{memory_id}"


class Heard:
    """The notifications an earlier client's session received, as ("updated", uri) or ("list_changed", None)."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str | None]] = []
        self._arrived = anyio.Event()

    async def __call__(self, message: Any) -> None:
        if isinstance(message, ResourceUpdatedNotification):
            self.items.append(("updated", message.params.uri))
        elif isinstance(message, ResourceListChangedNotification):
            self.items.append(("list_changed", None))
        self._arrived.set()
        self._arrived = anyio.Event()

    async def list_changed(self, count: int = 1) -> list[tuple[str, str | None]]:
        """Waits for the count-th list-changed (the last notification each change sends); everything heard so far."""
        with anyio.fail_after(5):
            while sum(kind == "list_changed" for kind, _ in self.items) < count:
                await self._arrived.wait()
        return self.items


@asynccontextmanager
async def earlier_client(service: MemoryService, settings: Settings, heard: Heard) -> AsyncIterator[Client]:
    """A client speaking a protocol before 2026 (the initialize handshake), its notifications going to `heard`."""
    async with Client(build_server(service, settings), mode="legacy", message_handler=heard) as client:
        yield client


async def subscribe(client: Client, uri: str) -> None:
    with warnings.catch_warnings():  # resources/subscribe is what these clients speak, deprecated in 2026
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        await client.subscribe_resource(uri)


async def unsubscribe(client: Client, uri: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        await client.unsubscribe_resource(uri)


async def next_event(events: AsyncIterator[ServerEvent], wanted: Callable[[ServerEvent], bool]) -> list[ServerEvent]:
    """The events of a listen stream up to and including the first one `wanted`."""
    seen = []
    with anyio.fail_after(5):
        async for event in events:
            seen.append(event)
            if wanted(event):
                return seen
    raise AssertionError(f"the stream ended after {seen}")


# -- earlier clients: resources/subscribe and the session's notifications -------------------------------------------


async def test_earlier_clients_learn_that_resources_can_be_subscribed_and_their_list_changes(
    service: MemoryService, settings: Settings
) -> None:
    async with earlier_client(service, settings, Heard()) as client:
        assert client.protocol_version < "2026"
        resources = client.server_capabilities.resources
        assert resources is not None and resources.subscribe and resources.list_changed


async def test_an_earlier_client_hears_of_each_change_to_what_it_subscribed_to(
    service: MemoryService, settings: Settings
) -> None:
    heard = Heard()
    async with earlier_client(service, settings, heard) as client:
        await subscribe(client, STATS)
        stored = await call(client, "remember_temporary", content="Comparing laptops")
        assert await heard.list_changed(1) == [("updated", STATS), ("list_changed", None)]  # types: not subscribed

        await subscribe(client, memory(stored["id"]))
        await call(client, "renew_memory", memory_id=stored["id"], expires_in_days=3)
        await call(client, "forget", memory_id=stored["id"])
        assert (await heard.list_changed(3))[2:] == [
            ("updated", STATS),
            ("updated", memory(stored["id"])),
            ("list_changed", None),
        ] * 2


async def test_an_earlier_client_that_unsubscribed_hears_only_that_the_list_changed(
    service: MemoryService, settings: Settings
) -> None:
    heard = Heard()
    async with earlier_client(service, settings, heard) as client:
        await subscribe(client, STATS)
        await unsubscribe(client, STATS)
        await call(client, "remember_permanent", content="Prefers tea")
        assert await heard.list_changed() == [("list_changed", None)]


async def test_a_call_that_changes_nothing_sends_nothing(service: MemoryService, settings: Settings) -> None:
    heard = Heard()
    async with earlier_client(service, settings, heard) as client:
        await subscribe(client, STATS)
        await call(client, "recall", query="laptops")
        await call(client, "expiring_soon")
        await client.read_resource(STATS)
        await client.call_tool("forget", {"memory_id": "not-an-id"})  # refused
        await call(client, "remember_permanent", content="Prefers tea")  # the first change: all that is heard
        assert await heard.list_changed() == [("updated", STATS), ("list_changed", None)]


async def test_an_earlier_client_cannot_subscribe_to_a_memory_it_cannot_read(
    service: MemoryService, settings: Settings
) -> None:
    async with earlier_client(service, settings, Heard()) as client:
        stored = await call(client, "remember_permanent", content="Prefers tea")
        await call(client, "forget", memory_id=stored["id"])
        for uri, message in [(memory(stored["id"]), "No memory with id"), ("memory://nothing", "Unknown resource")]:
            with pytest.raises(MCPError) as refused:
                await subscribe(client, uri)
            assert refused.value.error.code == INVALID_PARAMS and message in refused.value.error.message


async def test_an_earlier_client_hears_when_a_sweep_deletes_what_it_subscribed_to(
    service: MemoryService, settings: Settings, clock: Any
) -> None:
    heard = Heard()
    async with earlier_client(service, settings, heard) as client:
        stored = await call(client, "remember_temporary", content="Parking spot is B12", memory_type="cache")
        await subscribe(client, memory(stored["id"]))
        await heard.list_changed(1)
        clock.advance(days=2)
        await call(client, "recall", query="parking")  # read-only, but its sweep deletes the expired memory
        assert (await heard.list_changed(2))[1:] == [("updated", memory(stored["id"])), ("list_changed", None)]

        stored = await call(client, "remember_temporary", content="Gate code is 1234", memory_type="cache")
        await subscribe(client, memory(stored["id"]))
        clock.advance(days=2)
        await client.read_resource(STATS)  # a resource read sweeps too
        assert (await heard.list_changed(4))[-2:] == [("updated", memory(stored["id"])), ("list_changed", None)]


# -- 2026 clients: subscriptions/listen ------------------------------------------------------------------------------


async def test_a_2026_client_hears_tool_changes_on_its_listen_stream(client: Client) -> None:
    assert client.protocol_version >= "2026"
    async with client.listen(resources_list_changed=True, resource_subscriptions=[EXPIRING, TYPES]) as events:
        stored = await call(client, "remember_temporary", content="Comparing laptops")
        heard = await next_event(events, lambda e: isinstance(e, ResourcesListChanged))
        assert heard == [ResourceUpdated(uri=EXPIRING), ResourceUpdated(uri=TYPES), ResourcesListChanged()]

    async with client.listen(resource_subscriptions=[memory(stored["id"])]) as events:
        await call(client, "forget", memory_id=stored["id"])
        assert await next_event(events, lambda e: True) == [ResourceUpdated(uri=memory(stored["id"]))]


async def test_a_2026_client_hears_when_a_sweep_deletes_a_memory(client: Client, clock: Any) -> None:
    stored = await call(client, "remember_temporary", content="Parking spot is B12", memory_type="cache")
    async with client.listen(resource_subscriptions=[memory(stored["id"])]) as events:
        clock.advance(days=2)
        await call(client, "expiring_soon")  # read-only, but its sweep deletes the expired memory
        assert await next_event(events, lambda e: True) == [ResourceUpdated(uri=memory(stored["id"]))]


async def test_a_2026_client_cannot_listen_to_a_memory_it_cannot_read(client: Client) -> None:
    stored = await call(client, "remember_permanent", content="Prefers tea")
    await call(client, "forget", memory_id=stored["id"])
    for uri, message in [(memory(stored["id"]), "No memory with id"), ("memory://nothing", "Unknown resource")]:
        with pytest.raises(MCPError) as refused:
            async with client.listen(resource_subscriptions=[STATS, uri]):
                pass
        assert refused.value.error.code == INVALID_PARAMS and message in refused.value.error.message
    async with client.listen(resource_subscriptions=[STATS]) as events:  # the session carries on
        await call(client, "remember_permanent", content="Prefers green tea")
        assert await next_event(events, lambda e: True) == [ResourceUpdated(uri=STATS)]
