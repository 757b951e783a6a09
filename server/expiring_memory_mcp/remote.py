"""Serving over MCP streamable HTTP: bearer tokens from the settings, each mapped to a user; DNS-rebinding
protection; no tokens only on a loopback address."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
from functools import partial

import anyio
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import AnyHttpUrl

from .app import build_server
from .memories import MemoryService
from .settings import Settings

logger = logging.getLogger(__name__)
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


class StaticTokens:
    """The SDK's TokenVerifier over the configured tokens; the access token's client_id is the user id."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self._users = [(hashlib.sha256(token.encode()).digest(), user) for token, user in tokens.items()]

    async def verify_token(self, token: str) -> AccessToken | None:
        digest = hashlib.sha256(token.encode()).digest()
        user = None
        for known, owner in self._users:  # every one compared, in constant time
            if hmac.compare_digest(digest, known):
                user = owner
        return AccessToken(token=token, client_id=user, scopes=[]) if user else None


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"  # an IPv6 address goes in brackets


def security(settings: Settings, host: str, port: int) -> TransportSecuritySettings:
    """Host headers: the bound address and loopback names (any port), plus those configured."""
    hosts = [netloc(host, port), "127.0.0.1:*", "localhost:*", "[::1]:*", *settings.allowed_hosts]
    origins = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*", *settings.allowed_origins]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


def check_binding(settings: Settings, host: str) -> None:
    if not settings.http_tokens and not is_loopback(host):
        raise ValueError(
            f"refusing to serve memories on {host} without authentication: set EXPIRING_MEMORY_HTTP_TOKENS to a JSON "
            'object such as {"<long random token>": "<user id>"}, or bind to 127.0.0.1'
        )


def serve_http(service: MemoryService, settings: Settings, host: str, port: int) -> None:
    check_binding(settings, host)
    url = f"http://{netloc(host, port)}"
    verifier = StaticTokens(settings.http_tokens) if settings.http_tokens else None
    auth = (
        AuthSettings(
            issuer_url=AnyHttpUrl(url),
            resource_server_url=AnyHttpUrl(f"{url}/mcp"),
            # The SDK asks whether to refuse tokens issued for another resource (RFC 8707). No authorization server
            # issues ours: each is a secret configured for this server alone, so StaticTokens accepting it is the
            # audience check, as the SDK's own guidance puts it ("False if your TokenVerifier validates the token's
            # audience itself"). Saying so also keeps its MCPDeprecationWarning off every start.
            validate_token_resource=False,
        )
        if verifier
        else None
    )
    server = build_server(service, settings, token_verifier=verifier, auth=auth)
    users = sorted(set(settings.http_tokens.values()))
    logger.info(
        "serving MCP over streamable HTTP at %s/mcp for %s",
        url,
        f"{len(users)} user(s) by bearer token" if users else f"user {settings.user_id!r}, loopback only, no token",
    )
    anyio.run(
        partial(
            server.run_streamable_http_async, host=host, port=port, transport_security=security(settings, host, port)
        )
    )
