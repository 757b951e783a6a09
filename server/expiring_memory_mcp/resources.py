"""The resources: what a client reads without calling a tool, as JSON. Each holds the same data as its tool or command,
read through the same operation; over HTTP with tokens, each token's user reads only its own memories. A new resource
is one more entry in RESOURCES."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import anyio.to_thread
from mcp.server import MCPServer
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from pydantic import BaseModel, Field

from .errors import InvalidRequest, Unavailable
from .memories import MemoryService
from .memory_types import MEMORY_TYPES
from .models import MemoryList, MemoryStats

T = TypeVar("T")

EXPIRING_DAYS = 7.0  # memory://expiring-soon is expiring_soon with within_days=7 ...
EXPIRING_LIMIT = 200  # ... and as many memories as that tool lists at most
MEMORY_TEMPLATE = "memory://memories/{id}"
JSON = "application/json"


def caller(service: MemoryService) -> MemoryService:
    """The configured user's memories; over HTTP with tokens, the memories of the user the token maps to."""
    token = get_access_token()
    return service.for_user(token.client_id) if token else service


def memory_uri(memory_id: str) -> str:
    return MEMORY_TEMPLATE.replace("{id}", memory_id)


def memory_id_of(uri: str) -> str | None:
    """The id in a memory://memories/{id} URI; None for any other URI."""
    prefix = MEMORY_TEMPLATE.removesuffix("{id}")
    return uri.removeprefix(prefix) if uri.startswith(prefix) else None


class TypeLifetime(BaseModel):
    name: str
    permanent: bool
    lifetime_days: float | None = Field(description="How long a memory of this type lives; null if permanent.")
    setting: str | None = Field(description="The environment variable that sets the lifetime; null if permanent.")
    live: int = Field(description="Live memories of this type.")


class MemoryTypes(BaseModel):
    types: list[TypeLifetime]
    other_lifetime_days: float = Field(description="How long a temporary memory of any other type lives.")
    other_live: dict[str, int] = Field(description="Live memories of other types, per memory_type.")


def expiring_soon(service: MemoryService) -> MemoryList:
    """As the expiring_soon tool with within_days=7 and its largest limit."""
    return MemoryList(memories=service.expiring(EXPIRING_DAYS, None, EXPIRING_LIMIT))


def stats(service: MemoryService) -> MemoryStats:
    """As the `stats` command."""
    return service.stats()


def memory_types(service: MemoryService) -> MemoryTypes:
    """Each memory type with its configured lifetime, and the live count from the stats."""
    live = service.stats().by_type
    settings = service.settings
    known = [
        TypeLifetime(
            name=t.name,
            permanent=t.permanent,
            lifetime_days=None if t.setting is None else getattr(settings, t.setting),
            setting=t.env,
            live=live.get(t.name, 0),
        )
        for t in MEMORY_TYPES
    ]
    names = {t.name for t in MEMORY_TYPES}
    return MemoryTypes(
        types=known,
        other_lifetime_days=settings.ttl_default_days,
        other_live={name: n for name, n in live.items() if name not in names},
    )


@dataclass(frozen=True)
class Listed:
    """A resource with a fixed URI; `read` is the blocking operation whose result it shows."""

    uri: str
    name: str
    title: str
    description: str
    read: Callable[[MemoryService], BaseModel]


RESOURCES: list[Listed] = [
    Listed(
        "memory://expiring-soon",
        "expiring-soon",
        "Memories expiring soon",
        "Temporary memories that expire within the next 7 days, soonest first (as expiring_soon).",
        expiring_soon,
    ),
    Listed(
        "memory://stats",
        "stats",
        "Memory stats",
        "Live memories by type and lifetime, what expires within 24 hours, 7 and 30 days, and the store's size.",
        stats,
    ),
    Listed(
        "memory://types",
        "types",
        "Memory types",
        "Each memory type: permanent or temporary, its configured lifetime, and how many live memories it has.",
        memory_types,
    ),
    Listed(
        "memory://forgotten",
        "forgotten",
        "What was forgotten",
        "Memories swept when they expired or deleted by request, oldest first, within the ledger's window "
        "(EXPIRING_MEMORY_FORGOTTEN_LEDGER_DAYS): id, type, created, expiry, when it went, recall count, last recall "
        "and renewals. Never their text, which is gone for good.",
        lambda service: service.forgotten(),
    ),
    Listed(
        "memory://insights",
        "insights",
        "Tier insights",
        "Per memory type: created, expired, forgotten, renewed, made permanent, expired unused, recalled late and the "
        "median age at last recall, with a recommendation for its lifetime (or 'too little data').",
        lambda service: service.insights(),
    ),
]


def changed_uris(memory_ids: Iterable[str]) -> list[str]:
    """The URIs whose content changes when these memories are written or deleted: every listed resource's, and each
    memory's own."""
    return list(dict.fromkeys([*(r.uri for r in RESOURCES), *(memory_uri(i) for i in memory_ids)]))


async def run(method: Callable[..., T], /, *args: Any) -> T:
    """Runs a blocking operation in a worker thread; an unknown memory is not found, an outage a resource error."""
    try:
        return await anyio.to_thread.run_sync(partial(method, *args))
    except InvalidRequest as exc:
        raise ResourceNotFoundError(str(exc)) from exc
    except Unavailable as exc:
        raise ResourceError(str(exc)) from exc


def _reader(service: MemoryService, read: Callable[[MemoryService], BaseModel]) -> Callable[[], object]:
    async def read_resource() -> str:
        return (await run(read, caller(service))).model_dump_json(indent=2)

    return read_resource


def register_resources(server: MCPServer[MemoryService], service: MemoryService) -> None:
    """Every resource in RESOURCES, and each memory by its id (memory://memories/{id})."""
    for listed in RESOURCES:
        server.resource(
            listed.uri, name=listed.name, title=listed.title, description=listed.description, mime_type=JSON
        )(_reader(service, listed.read))

    async def memory(id: str) -> str:
        return (await run(caller(service).get, id)).model_dump_json(indent=2)

    server.resource(
        MEMORY_TEMPLATE,
        name="memory",
        title="One memory",
        description="One live memory by its id, as the tools show it; an expired or forgotten one is not found.",
        mime_type=JSON,
    )(memory)
