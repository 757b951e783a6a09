"""Errors for people: one line on stderr that says what went wrong and what to do, and the exit code.

The CLI has no server log: a failure that would point there says instead where the data is and how to see the full
error (EXPIRING_MEMORY_LOG_LEVEL=DEBUG puts this package's log, tracebacks included, on stderr).
"""

from __future__ import annotations

import re
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InvalidRequest, NotOpened, Unavailable
from .parser import PROG

if TYPE_CHECKING:
    from ..settings import Settings

FULL_ERROR = "Run it again with EXPIRING_MEMORY_LOG_LEVEL=DEBUG to see the full error on stderr."
_SERVER_LOG = re.compile(r",\s*and see the server log[^.;]*|\s*\bsee the server log\b[^.;]*\.?", re.IGNORECASE)
_SQLITE_HEADER = b"SQLite format 3\x00"
_DAMAGED = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


# The service words a few refusals for the MCP tools; at the command line they name the commands instead.
_TOOL_WORDS = (
    (
        "Use recall or expiring_soon to find current memory ids.",
        f"Run `{PROG} list` or `{PROG} expiring` to find them.",
    ),
    ("use remember_permanent for lasting memories", "use `remember --permanent` for lasting memories"),
)


def cli_words(message: str) -> str:
    """A refusal with the tools' names for things replaced by the command line's."""
    for tool_words, command_words in _TOOL_WORDS:
        message = message.replace(tool_words, command_words)
    return message


def error(message: str) -> None:
    """One line on stderr; stdout stays for results (and, when serving, for JSON-RPC alone)."""
    sys.stderr.write(f"{PROG}: error: {message}\n")


def fail(message: str, code: int) -> int:
    """Reports the error and returns the exit code."""
    error(message)
    return code


def explain(exc: Exception, settings: Settings | None) -> str:
    """The message for a refusal or failure."""
    if isinstance(exc, Unavailable) and settings is not None:
        return _unavailable(exc, settings, exc.__cause__ if isinstance(exc, NotOpened) else None)
    if isinstance(exc, sqlite3.Error):
        damaged = _damaged(exc, settings.data_dir) if settings is not None else None
        return damaged or f"database error: {exc}"
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)
    return cli_words(str(exc))


def _unavailable(exc: Unavailable, settings: Settings, opening: BaseException | None) -> str:
    """The store could not be used: worded here from what opening it raised (`opening`, if that is what failed),
    not from the service's message."""
    damaged = _damaged(opening or exc, settings.data_dir)
    if damaged:
        return damaged
    if opening is None or isinstance(opening, InvalidRequest | Unavailable):  # a backend's words for the caller
        text, pointers = _SERVER_LOG.subn("", cli_words(str(opening or exc)))
        return f"{text} {FULL_ERROR}" if pointers else text
    return (
        f"could not open the memory store ({settings.chosen_backend()} backend, data dir {settings.data_dir}): "
        f"{(str(opening) or type(opening).__name__).rstrip('.')}. {FULL_ERROR}"
    )


def _damaged(exc: BaseException, data_dir: Path) -> str | None:
    """For a database that is damaged or not a database at all: which file, and what to do about it."""
    cause = next((e for e in _chain(exc) if isinstance(e, sqlite3.DatabaseError) and _is_damage(e)), None)
    if cause is None:
        return None
    files = [path for path in sorted(data_dir.glob("*.db")) if _not_sqlite(path)]
    if not files:
        return (
            f"a database in {data_dir} is damaged ({cause}). Check the .db files there, or move them aside "
            f"(with any -wal and -shm files beside them) to start afresh. {FULL_ERROR}"
        )
    it = "it" if len(files) == 1 else "them"
    return (
        f"{' and '.join(map(str, files))} {'is' if len(files) == 1 else 'are'} damaged or not an SQLite database "
        f"({cause}). Check {it}, or move {it} aside (with any -wal and -shm files beside {it}) to start afresh. "
        f"{FULL_ERROR}"
    )


def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    return exc.sqlite_errorcode & 0xFF in _DAMAGED  # extended codes keep the primary one in the low byte


def _not_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            head = file.read(len(_SQLITE_HEADER))
    except OSError:
        return False
    return bool(head) and head != _SQLITE_HEADER  # an empty file is an empty database


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    """The exception, then what it was raised from or while handling."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__
