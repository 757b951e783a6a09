"""The Platform's add, which v3 queues: the new memory's id from the add's answer when it has one, otherwise from
the add's event (GET /v1/event/{event_id}/), polled until it has SUCCEEDED."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import mem0_compat
from ..errors import Unavailable
from .platform_api import memories_in

if TYPE_CHECKING:
    from mem0 import MemoryClient

EVENT_TIMEOUT_SECONDS = 30.0  # how long an add may stay queued on the Platform before we give up waiting


def added_now(answer: Any) -> str | None:
    """The new memory's id where the Platform answered the add synchronously; None where it queued it."""
    added = [r for r in memories_in(answer) if r.get("id") and r.get("event", "ADD") == "ADD" and "event_id" not in r]
    return str(added[0]["id"]) if added else None


def event_of(answer: Any) -> str:
    """The queued add's event id."""
    event_id = (answer.get("event_id") if isinstance(answer, Mapping) else None) or next(
        (r["event_id"] for r in memories_in(answer) if r.get("event_id")), None
    )
    if not event_id:
        raise Unavailable(
            "The Mem0 Platform accepted the memory but returned neither its id nor an event id. See the server log."
        )
    return str(event_id)


def await_event(poll: Callable[[], dict[str, Any]], event_id: str, delays: Sequence[float]) -> list[dict[str, Any]]:
    """Poll the add's event (`poll` fetches it once) until it has SUCCEEDED, waiting `delays` between polls (the
    last one repeats); its results."""
    deadline = time.monotonic() + EVENT_TIMEOUT_SECONDS
    pending = iter(delays)
    while True:
        event = poll()
        status = str(event.get("status", "")).upper()
        if status == "SUCCEEDED":
            return memories_in(event)
        if status == "FAILED":
            raise Unavailable(
                f"The Mem0 Platform could not store the memory (event {event_id} failed). Try again later."
            )
        if time.monotonic() >= deadline:
            raise Unavailable(
                f"The Mem0 Platform has not finished storing the memory after {EVENT_TIMEOUT_SECONDS:.0f} seconds "
                f"(event {event_id} is {status or 'unknown'}). It may still appear; recall it before trying again."
            )
        time.sleep(next(pending, delays[-1]))


def added_id(results: list[dict[str, Any]]) -> str | None:
    """The new memory's id among the event's results, if they name it."""
    for result in results:
        memory_id = result.get("id") or result.get("memory_id")
        if memory_id and str(result.get("event", "ADD")).upper() == "ADD":
            return str(memory_id)
    return None


def get_event(client: MemoryClient, *, event_id: str) -> dict[str, Any]:
    """GET /v1/event/{event_id}/, which MemoryClient has no method for, on its authenticated HTTP client."""
    response = mem0_compat.http_client(client).get(f"/v1/event/{event_id}/")
    response.raise_for_status()
    return dict(response.json())
