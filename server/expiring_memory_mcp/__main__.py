"""Entry point: with no command (or `serve`), logging to stderr, settings, the service loading in the background,
then serve over stdio, or over streamable HTTP with `serve --http`. Any other command goes to the command line
(the cli package), imported only then."""

from __future__ import annotations

import argparse
import logging
import sys
from functools import partial

from .memories import MemoryService
from .retention import SystemClock
from .settings import Settings


def serve_options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="expiring-memory-mcp serve", description="Serve MCP over stdio (the default) or streamable HTTP."
    )
    parser.add_argument("--http", action="store_true", help="serve streamable HTTP at http://HOST:PORT/mcp")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind with --http (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to bind with --http (default 8765)")
    return parser.parse_args(argv)


def main() -> None:
    argv = sys.argv[1:]
    if argv and argv[0] != "serve":
        from .cli import run  # reads Settings() itself, after parsing, so --help and bad settings stay one-liners

        sys.exit(run(argv))
    options = serve_options(argv[1:])
    settings = Settings()
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
    from .app import build_server  # the MCP SDK takes a second to import: only when serving

    service.start_loading()
    try:
        build_server(service, settings).run("stdio")
    finally:
        service.close()  # waits for a store still opening, then lets go of its files


if __name__ == "__main__":
    main()
