"""Serving the view: in the foreground for `expiring-memory-mcp ui`, or in the background of a stdio server for the
open_memory_view tool. Either way on loopback with a launch token that signs in once, unless HTTP tokens are configured.

The background view is one per process and stops with it (a daemon thread). Its port and a secret are kept in a small
file in the data dir (mode 0600, written under a file lock), so a second server process on the same data uses the
running view instead of starting another, once a health request shows the port is still that view: it asks the view
for a fresh link (a loopback-only POST to /launch carrying the secret). Every `open_memory_view` call gets a new link,
since the first sign-in uses a link up."""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from filelock import FileLock
from starlette.applications import Starlette

from ..errors import Unavailable
from ..memories import MemoryService
from .app import NAME, ViewConfig, build_view, health_key
from .security import Access, check_binding, loopback_hosts, netloc, new_token

logger = logging.getLogger(__name__)
STATE_FILE = "memory-view.json"
LAUNCH_HINT = (
    "Open the link that `expiring-memory-mcp ui` printed, or that your assistant gave you: it signs you in once. "
    "For another browser, ask your assistant to open the memory view again, or start `expiring-memory-mcp ui` again."
)
TOKENS_HINT = "Paste the access token you were given for this server (one of EXPIRING_MEMORY_HTTP_TOKENS)."
START_TIMEOUT = 30.0  # seconds: a view that has not started by then is reported as not started


@dataclass(frozen=True)
class Prepared:
    app: Starlette
    url: str  # what to open: with a launch token, or without one when HTTP tokens are configured
    access: Access
    secret: str  # authorizes POST /launch (a fresh link), from loopback only; never shown


def prepare(service: MemoryService, host: str, port: int, extra_hosts: list[str] | None = None) -> Prepared:
    """The view of `service`'s user on host:port: with the configured HTTP tokens (each its own user's memories),
    or else a launch token for the configured user that signs in once, loopback only."""
    settings = service.settings
    check_binding(settings.http_tokens, host)
    access = Access(settings.http_tokens)
    secret = new_token()
    hosts = [netloc(host, port), *loopback_hosts(port), *(extra_hosts or []), *settings.allowed_hosts]
    hint = TOKENS_HINT if settings.http_tokens else LAUNCH_HINT
    launch = None if settings.http_tokens else secret
    config = ViewConfig(service, access, hosts, settings.timezone, health_key(secret), hint, launch)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # a wildcard bind: loopback reaches it
    base = f"http://{netloc(shown, port)}/"
    url = base if settings.http_tokens else f"{base}?token={access.mint(service.user_id)}"
    return Prepared(build_view(config), url, access, secret)


class _Server(uvicorn.Server):
    """uvicorn, which says when it is listening (or has given up), for a thread that waits on it."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.settled = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets)
        finally:
            self.settled.set()

    def run_then_settle(self, sock: socket.socket) -> None:
        try:
            self.run(sockets=[sock])
        except BaseException:  # uvicorn exits (SystemExit) when it cannot serve: the waiting thread says so
            logger.exception("the memory view stopped")
        finally:
            self.settled.set()


def server(app: Starlette) -> _Server:
    """uvicorn with no access log: addresses would carry the sign-in token."""
    return _Server(uvicorn.Config(app, access_log=False, log_level="warning", lifespan="off"))


def serve_foreground(
    service: MemoryService, host: str, port: int, announce: Callable[[str], None]
) -> None:  # pragma: no cover - the console script's tests run it
    """`expiring-memory-mcp ui`: serve until Ctrl-C, after saying where."""
    prepared = prepare(service, host, port)
    with socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        announce(prepared.url)
        server(prepared.app).run(sockets=[sock])


# -- in the background of a stdio server -----------------------------------------------------------------------------


@dataclass
class Running:
    port: int
    user: str
    secret: str  # for POST /launch; in the 0600 state file, never in a link or a log
    access: Access | None = field(default=None, compare=False)  # this process's own view: links minted directly

    def state(self) -> dict[str, object]:
        return {"port": self.port, "user": self.user, "secret": self.secret}


_lock = threading.Lock()
_running: dict[tuple[Path, str], Running] = {}  # this process's views (one per data dir and user); they die with it


def _healthy(port: int, secret: str) -> bool:
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
        return answer.status_code == 200 and answer.json() == {"view": NAME, "key": health_key(secret)}
    except (httpx.HTTPError, ValueError):
        return False


def _fresh_link(running: Running) -> str | None:
    """A new sign-in link from the running view: minted here for this process's own, else asked of the view."""
    if running.access is not None:
        return f"http://127.0.0.1:{running.port}/?token={running.access.mint(running.user)}"
    try:
        answer = httpx.post(
            f"http://127.0.0.1:{running.port}/launch", headers={"Authorization": f"Bearer {running.secret}"}, timeout=5
        )
        url = answer.json().get("url") if answer.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    return url if isinstance(url, str) and url.startswith(f"http://127.0.0.1:{running.port}/?token=") else None


def _start(service: MemoryService, port: int = 0) -> tuple[Running, str]:
    """Starts this user's view on 127.0.0.1:port (0: any free port) in a daemon thread; returns it once it listens,
    with its first link. Raises Unavailable when it cannot."""
    try:
        sock = socket.create_server(("127.0.0.1", port))
    except OSError as exc:
        raise Unavailable(
            f"The memory view could not start: port {port} on 127.0.0.1 cannot be used ({exc.strerror or exc}). "
            "Tell the user to close what uses it, or to set EXPIRING_MEMORY_VIEW_PORT to another port (0 picks a free "
            "one) and restart the server."
        ) from None
    port = sock.getsockname()[1]
    prepared = prepare(service, "127.0.0.1", port)
    background = server(prepared.app)
    threading.Thread(target=background.run_then_settle, args=(sock,), name="memory-view", daemon=True).start()
    if not background.settled.wait(START_TIMEOUT) or not background.started:
        background.should_exit = True
        sock.close()
        raise Unavailable(
            "The memory view could not start on 127.0.0.1 (the server's log on stderr says why). Try again, or run "
            "`expiring-memory-mcp ui` in a terminal instead."
        )
    return Running(port, service.user_id, prepared.secret, prepared.access), prepared.url


def _write_state(path: Path, running: Running) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump(running.state(), out)


def _read_state(path: Path) -> Running | None:
    try:
        state = json.loads(path.read_text())
        return Running(int(state["port"]), str(state["user"]), str(state["secret"]))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _forget_state(path: Path, port: int) -> None:
    state = _read_state(path)
    if state is not None and state.port == port:
        with contextlib.suppress(OSError):
            path.unlink()


def open_view(service: MemoryService) -> tuple[str, bool]:
    """A new sign-in link to this user's view of this data dir, and whether the view was already running (here or in
    another server process); starts one in this process (on EXPIRING_MEMORY_VIEW_PORT) if none answers. Blocking."""
    data_dir = service.settings.data_dir
    state_path = data_dir / STATE_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    with _lock, FileLock(data_dir / f"{STATE_FILE}.lock", timeout=30):
        mine = _running.get((data_dir, service.user_id))
        state = _read_state(state_path)
        for known in (mine, state if state is not None and state.user == service.user_id else None):
            if known is not None and _healthy(known.port, known.secret) and (url := _fresh_link(known)):
                if known is mine:
                    _write_state(state_path, known)
                return url, True
        mine, url = _start(service, service.settings.view_port)
        _running[(data_dir, service.user_id)] = mine
        _write_state(state_path, mine)
        atexit.register(_forget_state, state_path, mine.port)
        logger.info("memory view started on 127.0.0.1:%d", mine.port)
        return url, False
