"""Who may see the view and change memories through it.

A token (the one-time launch token `ui` prints, or an `serve --http` bearer token) is presented once, in the link or
the sign-in form, and exchanged for a session cookie (HttpOnly, SameSite=Strict) naming the token's user, signed with
a secret that lives only in this process's memory. Every form that changes something carries a CSRF token derived from
the cookie; a POST whose Origin is not this page's own is refused; a request whose Host header is not one the view is
served as is refused (DNS rebinding). `Guard` applies the last two, and the security headers, to every request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "expiring_memory_view"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def new_token() -> str:
    """A launch token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


class Access:
    """Tokens to users, and the session cookies and CSRF tokens this process signs."""

    def __init__(self, tokens: Mapping[str, str]) -> None:
        self._users = [(hashlib.sha256(token.encode()).digest(), user) for token, user in tokens.items()]
        self._secret = secrets.token_bytes(32)

    def user_for_token(self, token: str) -> str | None:
        digest = hashlib.sha256(token.encode()).digest()
        user = None
        for known, owner in self._users:  # every one compared, in constant time
            if hmac.compare_digest(digest, known):
                user = owner
        return user

    def _sign(self, purpose: str, value: str) -> str:
        mac = hmac.new(self._secret, f"{purpose}\0{value}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def session(self, user: str) -> str:
        """The cookie's value for a user: the user id and its signature."""
        name = base64.urlsafe_b64encode(user.encode()).decode().rstrip("=")
        return f"{name}.{self._sign('session', name)}"

    def user_for_session(self, cookie: str | None) -> str | None:
        name, _, signature = (cookie or "").partition(".")
        if not name or not hmac.compare_digest(signature, self._sign("session", name)):
            return None
        try:
            return base64.urlsafe_b64decode(name + "=" * (-len(name) % 4)).decode()
        except ValueError:
            return None

    def csrf(self, cookie: str) -> str:
        """The token every changing form carries: bound to this session, unknowable from another site."""
        return self._sign("csrf", cookie)

    def csrf_ok(self, cookie: str | None, token: str) -> bool:
        return bool(cookie) and hmac.compare_digest(token, self.csrf(cookie or ""))


def host_allowed(host: str | None, allowed: Iterable[str]) -> bool:
    """The Host header is one the view is served as; 'name:*' allows any port, as the MCP SDK's setting does."""
    if not host:
        return False
    host = host.lower()
    for pattern in allowed:
        pattern = pattern.lower()
        if pattern.endswith(":*") and host.rpartition(":")[0] == pattern[:-2]:
            return True
        if host == pattern:
            return True
    return False


def same_origin(origin: str | None, host: str, scheme: str) -> bool:
    """A browser's Origin header names this page's own scheme and host. Without one (a client that is not a
    browser, which carries no cookie of ours either) the CSRF token alone decides."""
    if origin is None:
        return True
    parts = urlsplit(origin)
    return parts.scheme == scheme and parts.netloc.lower() == host.lower()


def loopback_hosts(port: int) -> list[str]:
    return [f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"]


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"  # an IPv6 address goes in brackets


def check_binding(tokens: Mapping[str, str], host: str) -> None:
    """Memories are served beyond this computer only behind tokens (EXPIRING_MEMORY_HTTP_TOKENS)."""
    if not tokens and not is_loopback(host):
        raise ValueError(
            f"refusing to serve memories on {host} without authentication: set EXPIRING_MEMORY_HTTP_TOKENS to a JSON "
            'object such as {"<long random token>": "<user id>"}, or bind to 127.0.0.1'
        )


SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    # The sign-in link's token never leaves in a Referer; no-referrer would make Chromium send `Origin: null`.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",  # memories are not kept in the browser's cache
}


class Guard:
    """Every request: a Host the view is served as (else 421, as the MCP endpoint answers), a POST only from this
    page's own origin (else 403), and the security headers on every response."""

    def __init__(self, app: ASGIApp, hosts: list[str]) -> None:
        self.app, self.hosts = app, hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        host = request.headers.get("host")
        if not host_allowed(host, self.hosts):
            await Response("Invalid Host header", 421)(scope, receive, send)
            return
        if request.method == "POST" and not same_origin(request.headers.get("origin"), host or "", request.url.scheme):
            await Response("Cross-origin request refused", 403)(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                known = {k.lower() for k, _ in message.get("headers", [])}
                for name, value in SECURITY_HEADERS.items():
                    if name.lower().encode() not in known:
                        message.setdefault("headers", []).append((name.lower().encode(), value.encode()))
            await send(message)

        await self.app(scope, receive, with_headers)
