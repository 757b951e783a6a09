"""Serving over MCP streamable HTTP: bearer tokens from the settings, each mapped to a user; DNS-rebinding
protection; no tokens only on a loopback address. The memory view is served beside it, at /ui."""

from __future__ import annotations

import hashlib
import hmac
import logging

import anyio
import uvicorn
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import AnyHttpUrl
from starlette.routing import Mount

from .app import build_server
from .memories import MemoryService
from .settings import Settings
from .web import security as web_security
from .web.launch import prepare

logger = logging.getLogger(__name__)
is_loopback, netloc = web_security.is_loopback, web_security.netloc


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


def allowed_hosts(settings: Settings, host: str, port: int) -> list[str]:
    """Host headers: the bound address and loopback names (any port), plus those configured."""
    return [netloc(host, port), "127.0.0.1:*", "localhost:*", "[::1]:*", *settings.allowed_hosts]


def security(settings: Settings, host: str, port: int) -> TransportSecuritySettings:
    hosts = allowed_hosts(settings, host, port)
    origins = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*", *settings.allowed_origins]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


def check_binding(settings: Settings, host: str) -> None:
    web_security.check_binding(settings.http_tokens, host)


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
    app = server.streamable_http_app(host=host, transport_security=security(settings, host, port))
    view = prepare(service, host, port, allowed_hosts(settings, host, port))
    app.router.routes.append(Mount("/ui", view.app))
    users = sorted(set(settings.http_tokens.values()))
    logger.info(
        "serving MCP over streamable HTTP at %s/mcp for %s",
        url,
        f"{len(users)} user(s) by bearer token" if users else f"user {settings.user_id!r}, loopback only, no token",
    )
    view_url = view.url.replace("/?", "/ui/?") if "?" in view.url else f"{view.url}ui/"
    logger.info(
        "the memory view is at %s%s",
        view_url,
        " (sign in with your bearer token, or open it with ?token=<your token> once)"
        if users
        else " (the link signs in one browser, once)",
    )
    # uvicorn as the SDK runs it, without the access log: the view's sign-in address carries a token.
    config = uvicorn.Config(app, host=host, port=port, log_level=settings.log_level.lower(), access_log=False)
    anyio.run(uvicorn.Server(config).serve)
