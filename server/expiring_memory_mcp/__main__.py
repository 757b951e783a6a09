"""Entry point: with no command (or `serve`), logging to stderr, settings, the service loading in the background,
then serve over stdio, or over streamable HTTP with `serve --http`. Any other command goes to the command line
(the cli package), imported only then."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported in main(), once Ctrl-C is handled: they take a moment, and so does what follows
    from .memories import MemoryService


def serve_options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="expiring-memory-mcp serve", description="Serve MCP over stdio (the default) or streamable HTTP."
    )
    parser.add_argument("--http", action="store_true", help="serve streamable HTTP at http://HOST:PORT/mcp")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind with --http (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to bind with --http (default 8765)")
    return parser.parse_args(argv)


ON_A_TERMINAL = (
    "expiring-memory-mcp speaks MCP over stdin and stdout, and is waiting for a client such as Claude Desktop or "
    "Claude Code to start it (Ctrl-C stops it). To look at or change the memory yourself, use its commands: "
    "expiring-memory-mcp --help lists them (list, recall, remember, expiring, forget, renew, stats, export, ...).\n"
)


class StopOnCtrlC:
    """Ctrl-C stops the stdio server at once and quietly, with exit code 130, from the first thing `serve` does.

    Python's KeyboardInterrupt cannot do that here: the SDK reads stdin in a worker thread that cannot be cancelled,
    so the interrupt would wait for the next line of input and then print a long traceback; and before serving, it
    would print one from whatever import or store opening it interrupted. Instead the store (once there is one,
    `service`) is closed, waiting at most two seconds for a call in flight to finish its write (should one take
    longer, the store stays consistent anyway: SQLite's transactions survive `kill -9`, which the crash tests do at
    random moments), and the process exits without unwinding the threads that still wait on stdin or on a store
    still opening. A second Ctrl-C ends it at once.

    SIGINT is unblocked once this handles it: a Ctrl-C sent by a parent that started the server with SIGINT blocked
    arrives then, and not never."""

    def __init__(self) -> None:
        self.service: MemoryService | None = None
        signal.signal(signal.SIGINT, self._stop)
        if hasattr(signal, "pthread_sigmask"):  # POSIX only; Windows has no signal masks to inherit
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

    def _stop(self, signum: int, frame: object) -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if self.service is not None:
            closing = threading.Thread(target=self.service.close, name="close-on-ctrl-c", daemon=True)
            closing.start()
            closing.join(timeout=2)
        # No flushing here: the handler may have interrupted a write to stderr, and flushing it again would raise.
        # The log handler flushes every line as it writes it.
        os._exit(128 + signal.SIGINT)


def main() -> None:
    argv = sys.argv[1:]
    if argv and argv[0] != "serve":
        from .cli import run  # reads Settings() itself, after parsing, so --help and bad settings stay one-liners

        sys.exit(run(argv))
    options = serve_options(argv[1:])
    ctrl_c = None if options.http else StopOnCtrlC()  # with --http, uvicorn handles Ctrl-C once it serves
    from .bad_settings import BadSetting, read_settings
    from .memories import MemoryService
    from .retention import SystemClock

    try:
        settings = read_settings(http=options.http)
    except BadSetting as exc:  # one line where the host shows the server's log, as the commands word it
        sys.stderr.write(f"expiring-memory-mcp: error: {exc}\n")
        sys.exit(2)
    logging.basicConfig(
        stream=sys.stderr, level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from .backends import open_backend

    service = MemoryService.open(settings, SystemClock(), partial(open_backend, settings))
    if options.http:
        from .remote import check_binding, serve_http

        try:
            check_binding(settings, options.host)
        except ValueError as exc:
            sys.exit(f"expiring-memory-mcp: {exc}")
        service.start_loading()
        try:
            serve_http(service, settings, options.host, options.port)
        finally:
            service.close()
        return
    assert ctrl_c is not None
    ctrl_c.service = service
    from .app import build_server  # the MCP SDK takes a second to import: only when serving

    if sys.stdin.isatty():  # a person, not a client: say once what this is and where the commands are
        sys.stderr.write(ON_A_TERMINAL)
        sys.stderr.flush()
    service.start_loading()
    try:
        build_server(service, settings).run("stdio")
    finally:
        service.close()  # waits for a store still opening, then lets go of its files


if __name__ == "__main__":
    main()
