"""What a command runs against: settings from the environment, logging on stderr, and the memory service."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from .. import bad_settings
from ..memories import MemoryService
from ..retention import Clock, SystemClock
from ..settings import Settings
from .parser import UsageError

if TYPE_CHECKING:
    from ..backends import Backend

_PACKAGE = __name__.partition(".")[0]  # expiring_memory_mcp: the server's own loggers


def read_settings(*, http: bool = False) -> Settings:
    """Settings from the environment; a bad one is a usage error, one line naming its variable (bad_settings.py).
    The HTTP-only settings are read only with `http` (the `ui` command, which serves like `serve --http`)."""
    try:
        return bad_settings.read_settings(http=http)
    except bad_settings.BadSetting as exc:
        raise UsageError(str(exc)) from None


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
