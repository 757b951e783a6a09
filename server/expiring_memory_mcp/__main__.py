"""Entry point: with no command (or `serve`), logging to stderr, settings, the service loading in the background,
then serve over stdio. Any other arguments go to the command line in cli.py, imported only then."""

from __future__ import annotations

import logging
import sys
from functools import partial

from .memories import MemoryService
from .retention import SystemClock
from .settings import Settings


def main() -> None:
    argv = sys.argv[1:]
    if argv not in ([], ["serve"]):
        from .cli import run  # reads Settings() itself, after parsing, so --help and bad settings stay one-liners

        sys.exit(run(argv))
    from .app import build_server  # the MCP SDK takes a second to import: only when serving

    settings = Settings()
    logging.basicConfig(
        stream=sys.stderr, level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from .mem0_setup import build_memory

    service = MemoryService(settings, SystemClock(), partial(build_memory, settings.data_dir))
    service.start_loading()
    build_server(service, settings).run("stdio")


if __name__ == "__main__":
    main()
