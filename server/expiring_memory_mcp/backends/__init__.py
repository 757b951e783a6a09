"""Where memories are kept. One typed interface (`base`), three backends: embedded (default), mem0 (any Mem0 OSS
config), platform (the hosted Mem0 Platform)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import PERMANENT_TS, Backend, Fact, NewMemory, Query, StoredMemory, UsageLog

if TYPE_CHECKING:
    from ..embedder import Embedder
    from ..settings import Settings

__all__ = ["PERMANENT_TS", "Backend", "Fact", "NewMemory", "Query", "StoredMemory", "UsageLog", "open_backend"]


def open_backend(settings: Settings, embedder: Embedder | None = None) -> Backend:
    """The configured backend, opened. Imports Mem0 (seconds): call it off the event loop."""
    match settings.chosen_backend():
        case "mem0":
            from .mem0_oss import open_mem0

            return open_mem0(settings, embedder)
        case "platform":
            from .platform import open_platform

            return open_platform(settings)
        case _:
            from .embedded import open_embedded

            return open_embedded(settings.data_dir, embedder or settings.embedder, settings.ranking())
