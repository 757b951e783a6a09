"""Who may see the view and change memories through it.

A token is presented in the link or the sign-in form and exchanged for a session: a launch token (what `ui` prints
and `open_memory_view` returns) signs in once and is then used up; an `serve --http` bearer token signs in every time.
A session is a random id the cookie holds (HttpOnly, SameSite=Strict) and this process maps to its user, in memory
only: at most MAX_SESSIONS (the oldest dropped), ended by signing out or by SESSION_IDLE without a request. Every form
that changes something carries a CSRF token derived from the session id; a POST whose Origin is not this page's own is
refused; a request whose Host header is not one the view is served as is refused (DNS rebinding). `Guard` applies the
last two, and the security headers, to every request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "expiring_memory_view"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
MAX_SESSIONS = 1000  # signed-in browsers kept; the oldest is signed out beyond this
MAX_LAUNCH = 100  # launch links handed out and not yet used; the oldest stops working beyond this
SESSION_IDLE = 12 * 3600.0  # seconds without a request after which a session has ended


def new_token() -> str:
    """A launch token, a session id or a secret: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass
class SignIn:
    """What a token was worth: the new session's id, or why there is none."""

    session: str | None
    used: bool = False  # a launch token that already signed someone in


@dataclass
class _Session:
    user: str
    seen: float


class Access:
    """Who a token signs in, and the sessions of this view: both in this process's memory only.

    `now` (seconds, monotonic) is injectable so tests can move past SESSION_IDLE without waiting."""

    def __init__(self, tokens: Mapping[str, str], now: Callable[[], float] = time.monotonic) -> None:
        self._users = [(_digest(token), user) for token, user in tokens.items()]  # reusable bearer tokens
        self._launch: OrderedDict[bytes, str] = OrderedDict()  # single-use tokens' digests, to their users
        self._used: OrderedDict[bytes, None] = OrderedDict()  # spent launch tokens, to say so when one comes back
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._secret = secrets.token_bytes(32)
        self._now = now
        self._lock = threading.Lock()  # launch tokens are minted from another thread (open_memory_view)

    def mint(self, user: str) -> str:
        """A new launch token for `user`: it signs in once."""
        token = new_token()
        with self._lock:
            self._launch[_digest(token)] = user
            while len(self._launch) > MAX_LAUNCH:
                self._launch.popitem(last=False)
        return token

    def sign_in(self, token: str) -> SignIn:
        """A new session for the token's user; a launch token is used up by it."""
        digest = _digest(token)
        user = None
        for known, owner in self._users:  # every one compared, in constant time
            if hmac.compare_digest(digest, known):
                user = owner
        with self._lock:
            if user is None:
                user = self._launch.pop(digest, None)  # a dict lookup by a SHA-256 digest: no timing oracle
                if user is not None:
                    self._used[digest] = None
                    while len(self._used) > MAX_LAUNCH:
                        self._used.popitem(last=False)
            if user is None:
                return SignIn(None, used=digest in self._used)
            session = new_token()
            self._sessions[session] = _Session(user, self._now())
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        return SignIn(session)

    def user_for_session(self, session: str | None) -> str | None:
        """The user of a live session, which this request keeps alive; None for an unknown, ended or idle one."""
        with self._lock:
            found = self._sessions.get(session or "")
            if found is None:
                return None
            now = self._now()
            if now - found.seen > SESSION_IDLE:
                del self._sessions[session or ""]
                return None
            found.seen = now
            self._sessions.move_to_end(session or "")
            return found.user

    def sign_out(self, session: str) -> None:
        with self._lock:
            self._sessions.pop(session, None)

    def csrf(self, session: str) -> str:
        """The token every changing form carries: this session's own, unknowable from another site or session."""
        mac = hmac.new(self._secret, f"csrf\0{session}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def csrf_ok(self, session: str | None, token: str) -> bool:
        return bool(session) and hmac.compare_digest(token, self.csrf(session or ""))


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
