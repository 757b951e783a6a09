"""Serving the view: in the foreground for `expiring-memory-mcp ui`, or in the background of a stdio server for the
open_memory_view tool. Either way on loopback with a fresh random launch token, unless HTTP tokens are configured.

The background view is one per process and stops with it (a daemon thread). Its port and launch token are kept in a
small file in the data dir (mode 0600, written under a file lock), so a second server process on the same data
hands out the running view instead of starting another, once a health request shows the port is still that view."""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from filelock import FileLock
from starlette.applications import Starlette

from ..memories import MemoryService
from .app import NAME, ViewConfig, build_view, health_key
from .security import Access, check_binding, loopback_hosts, netloc, new_token

logger = logging.getLogger(__name__)
STATE_FILE = "memory-view.json"
LAUNCH_HINT = "Open the link that `expiring-memory-mcp ui` printed, or that your assistant gave you: it signs you in."
TOKENS_HINT = "Paste the access token you were given for this server (one of EXPIRING_MEMORY_HTTP_TOKENS)."


@dataclass(frozen=True)
class Prepared:
    app: Starlette
    url: str  # what to open: with the launch token, or without one when HTTP tokens are configured


def prepare(service: MemoryService, host: str, port: int, extra_hosts: list[str] | None = None) -> Prepared:
    """The view of `service`'s user on host:port: with the configured HTTP tokens (each its own user's memories),
    or else a fresh launch token for the configured user, loopback only."""
    settings = service.settings
    check_binding(settings.http_tokens, host)
    token = new_token()
    tokens = settings.http_tokens or {token: service.user_id}
    hosts = [netloc(host, port), *loopback_hosts(port), *(extra_hosts or []), *settings.allowed_hosts]
    hint = TOKENS_HINT if settings.http_tokens else LAUNCH_HINT
    config = ViewConfig(service, Access(tokens), hosts, settings.timezone, health_key(token), hint)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # a wildcard bind: loopback reaches it
    base = f"http://{netloc(shown, port)}/"
    return Prepared(build_view(config), base if settings.http_tokens else f"{base}?token={token}")


def server(app: Starlette) -> uvicorn.Server:
    """uvicorn with no access log: addresses would carry the sign-in token."""
    return uvicorn.Server(uvicorn.Config(app, access_log=False, log_level="warning", lifespan="off"))


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
    url: str
    port: int
    key: str
    user: str


_lock = threading.Lock()
_running: dict[tuple[Path, str], Running] = {}  # this process's views (one per data dir and user); they die with it


def _healthy(port: int, key: str) -> bool:
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
        return answer.status_code == 200 and answer.json() == {"view": NAME, "key": key}
    except (httpx.HTTPError, ValueError):
        return False


def _start(service: MemoryService) -> Running:
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    prepared = prepare(service, "127.0.0.1", port)
    background = server(prepared.app)
    threading.Thread(target=background.run, kwargs={"sockets": [sock]}, name="memory-view", daemon=True).start()
    deadline = time.monotonic() + 10
    while not background.started and time.monotonic() < deadline:
        time.sleep(0.01)
    token = prepared.url.partition("?token=")[2]
    return Running(prepared.url, port, health_key(token), service.user_id)


def _write_state(path: Path, running: Running) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump({"url": running.url, "port": running.port, "key": running.key, "user": running.user}, out)


def _read_state(path: Path) -> Running | None:
    try:
        return Running(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _forget_state(path: Path, port: int) -> None:
    state = _read_state(path)
    if state is not None and state.port == port:
        with contextlib.suppress(OSError):
            path.unlink()


def open_view(service: MemoryService) -> tuple[str, bool]:
    """The link to this user's view of this data dir, and whether it was already running (here or in another
    server process); starts one in this process if none answers. Blocking."""
    data_dir = service.settings.data_dir
    state_path = data_dir / STATE_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    with _lock, FileLock(data_dir / f"{STATE_FILE}.lock", timeout=30):
        state = _read_state(state_path)
        if state is not None and state.user == service.user_id and _healthy(state.port, state.key):
            return state.url, True
        mine = _running.get((data_dir, service.user_id))
        if mine is not None and _healthy(mine.port, mine.key):
            _write_state(state_path, mine)
            return mine.url, True
        mine = _running[(data_dir, service.user_id)] = _start(service)
        _write_state(state_path, mine)
        atexit.register(_forget_state, state_path, mine.port)
        logger.info("memory view started on 127.0.0.1:%d", mine.port)
        return mine.url, False
