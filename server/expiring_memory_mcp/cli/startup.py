"""What a command runs against: settings from the environment, logging on stderr, and the memory service."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from pydantic import ValidationError

from ..errors import InvalidRequest
from ..memories import MemoryService
from ..retention import Clock, SystemClock
from ..settings import Settings

if TYPE_CHECKING:
    from ..backends import Backend

_PACKAGE = __name__.partition(".")[0]  # expiring_memory_mcp: the server's own loggers


def read_settings() -> Settings:
    """Settings from the environment; a bad one is an InvalidRequest naming its variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"EXPIRING_MEMORY_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidRequest(f"bad setting: {problems}") from None


def log_to_stderr(settings: Settings) -> None:
    """Warnings from libraries to stderr. This package's own lines (the server's log) only at DEBUG: the CLI
    reports every outcome itself. Left alone when logging is already set up, as under pytest."""
    root = logging.getLogger()
    if root.handlers:
        return
    debug = settings.log_level == "DEBUG"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    if not debug:
        handler.addFilter(lambda record: not record.name.startswith(_PACKAGE))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.WARNING)


def open_service(settings: Settings, clock: Clock | None, build: Callable[[], Backend] | None) -> MemoryService:
    """The service for one command, no sweep on load (so `sweep --dry-run` sees what a sweep would delete)."""
    if build is None:
        from ..backends import open_backend

        build = partial(open_backend, settings)
    return MemoryService.open(settings, clock or SystemClock(), build, sweep_on_load=False)
