"""The command line, for people: look inside the memory, change it, sweep it, export and import it.

It goes through the same MemoryService as the MCP tools. Tables by default, `--json` for scripts; errors are
one line on stderr and a non-zero exit code. Imported only when the console script is given a command, so
serving over stdio never loads it. `parser` reads the command, `startup` opens the service, `commands` and
`transfer` do the work, `views` shows it and `failures` words what went wrong.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from contextlib import redirect_stdout
from typing import IO, TYPE_CHECKING

from ..errors import InvalidRequest, Unavailable
from .commands import HANDLERS
from .failures import explain, fail
from .parser import PROG, UsageError, build_parser
from .startup import log_to_stderr, open_service, read_settings
from .views import View

if TYPE_CHECKING:
    from ..backends import Backend
    from ..memories import MemoryService
    from ..retention import Clock
    from ..settings import Settings

__all__ = ["run"]


def run(
    argv: Sequence[str],
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    build: Callable[[], Backend] | None = None,
    stdout: IO[str] | None = None,
) -> int:
    """Runs one command and returns the exit code: 0 done, 1 refused or failed, 2 bad usage.

    Settings are read from the environment unless given; tests may also give a clock and a Mem0 builder.
    """
    out = stdout or sys.stdout
    service: MemoryService | None = None
    try:
        args = build_parser().parse_args(argv)
        if args.command in (None, "serve"):
            raise UsageError(f"serving options go after the command: {PROG} serve [--http --host H --port P]")
        if settings is None:
            settings = read_settings(http=args.command == "ui")  # `ui` serves, with the HTTP tokens
        log_to_stderr(settings)
        service = open_service(settings, clock, build)
        view = View(out, args.json, settings.timezone)
        with redirect_stdout(sys.stderr):  # a stray print in a library never mixes into our output
            code = HANDLERS[args.command](args, service, view) or 0
        out.flush()
        return code
    except UsageError as exc:
        return fail(str(exc), 2)
    except BrokenPipeError:  # the reader went away (`export | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
        return 1
    except (InvalidRequest, Unavailable, OSError, sqlite3.Error) as exc:
        return fail(explain(exc, settings), 1)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    finally:
        if service is not None:
            service.close()
