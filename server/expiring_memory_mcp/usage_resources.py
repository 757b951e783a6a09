"""Two MCP resources on what use teaches (issue 18): `memory://forgotten`, the ledger of swept and forgotten
memories (no text), and `memory://insights`, each memory type's figures with advice on its lifetime. JSON.

Registered by `register(server, service)` from `app.build_server`. Static resources get no Context in the SDK, so each
reads the service it was given, for the user the HTTP token maps to (as the tools do)."""

from __future__ import annotations

from collections.abc import Callable

import anyio.to_thread
from mcp.server import MCPServer
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver.exceptions import ResourceError
from pydantic import BaseModel

from .errors import InvalidRequest, Unavailable
from .memories import MemoryService

FORGOTTEN_URI = "memory://forgotten"
INSIGHTS_URI = "memory://insights"


def _user(service: MemoryService) -> MemoryService:
    token = get_access_token()
    return service.for_user(token.client_id) if token else service


async def _read(read: Callable[[], BaseModel]) -> str:
    try:
        result = await anyio.to_thread.run_sync(read)
    except (InvalidRequest, Unavailable) as exc:
        raise ResourceError(str(exc)) from exc
    return result.model_dump_json(indent=2)


def register(server: MCPServer[MemoryService], service: MemoryService) -> None:
    """Add the two resources to the server."""

    @server.resource(
        FORGOTTEN_URI,
        name="forgotten",
        title="What was forgotten",
        description="Memories swept when they expired or deleted by request, oldest first, within the ledger's window "
        "(EXPIRING_MEMORY_FORGOTTEN_LEDGER_DAYS): id, type, created, expiry, when it went, recall count, last recall "
        "and renewals. Never their text, which is gone for good.",
        mime_type="application/json",
    )
    async def forgotten() -> str:
        return await _read(_user(service).forgotten)

    @server.resource(
        INSIGHTS_URI,
        name="insights",
        title="Tier insights",
        description="Per memory type: created, expired, forgotten, renewed, made permanent, expired unused, recalled "
        "late and the median age at last recall, with a recommendation for its lifetime (or 'too little data').",
        mime_type="application/json",
    )
    async def insights() -> str:
        return await _read(_user(service).insights)
