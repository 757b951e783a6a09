"""Entry point: logging to stderr, settings, the service loading in the background, then serve over stdio."""

from __future__ import annotations

import logging
import sys
from functools import partial

from .app import build_server
from .memories import MemoryService
from .retention import SystemClock
from .settings import Settings


def main() -> None:
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
