"""Builds Mem0's `Memory` offline: telemetry off, files in our data dir, our store and embedder plugged in."""

from __future__ import annotations

import logging
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from . import mem0_compat
from .mem0_compat import PLACEHOLDER

if TYPE_CHECKING:
    from mem0 import Memory

    from .embedder import Embedder
    from .store import SQLiteVectorStore
    from .store.fusion import Ranking

DB_FILE = "memories.db"
HISTORY_FILE = "history.db"


def prepare_environment(data_dir: Path) -> None:
    """Mem0 reads these once, at import: no telemetry (no network, no ~/.mem0), its files in our data dir."""
    os.environ["MEM0_TELEMETRY"] = "False"
    os.environ["MEM0_DIR"] = str(private_dir(data_dir / "mem0"))


def private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def quiet_mem0() -> None:
    logging.getLogger("mem0.utils.spacy_models").setLevel(logging.ERROR)  # spaCy is optional; say nothing
    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        logging.getLogger("mem0").setLevel(logging.WARNING)  # Mem0 logs memory texts at INFO


def build_memory(
    data_dir: Path, embedder: Embedder | str = "minilm", ranking: Ranking | None = None
) -> tuple[Memory, SQLiteVectorStore]:
    """A Mem0 Memory on the SQLite store and a bundled embedder. Imports mem0, so call it off the event loop.

    `embedder` is a bundled embedder's name, loaded in a second thread while Mem0 is imported, or one already
    loaded. If the store's vectors come from another model, every memory is embedded again first.
    """
    private_dir(data_dir)
    prepare_environment(data_dir)
    from .embedder import EMBEDDERS, load_embedder

    name = embedder if isinstance(embedder, str) else embedder.name
    if name not in EMBEDDERS:
        raise ValueError(f"unknown embedder {name!r}; use one of {', '.join(EMBEDDERS)}")
    dims = EMBEDDERS[name][0].dims
    with ThreadPoolExecutor(1, thread_name_prefix="embedder") as pool:
        loading = pool.submit(load_embedder, name) if isinstance(embedder, str) else None
        from mem0 import Memory
        from mem0.configs.base import MemoryConfig
        from qdrant_client import QdrantClient

        from .store import SQLiteVectorStore

        quiet_mem0()
        # Mem0 validates provider names and builds its parts in __init__, so it is built with placeholders that
        # open no file, no connection and import nothing heavy (an in-memory Qdrant; an LLM that is never
        # called), and then given our store and embedder.
        mem0_compat.register_placeholder()
        config = MemoryConfig(
            vector_store={
                "provider": "qdrant",
                "config": {"client": QdrantClient(location=":memory:"), "embedding_model_dims": dims},
            },
            embedder={"provider": PLACEHOLDER},
            llm={"provider": PLACEHOLDER},
            history_db_path=str(data_dir / HISTORY_FILE),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            memory = Memory(config)
        store = SQLiteVectorStore(
            data_dir / DB_FILE, collection_name="memories", embedding_model_dims=dims, ranking=ranking
        )
        entities = SQLiteVectorStore(data_dir / DB_FILE, collection_name="entities", embedding_model_dims=dims)
        model: Embedder = embedder if loading is None else loading.result()  # type: ignore[assignment]
        mem0_compat.plug_in(memory, vector_store=store, entity_store=entities, embedder=model)
        share_history(memory, data_dir / HISTORY_FILE)
    for collection in (store, entities):
        collection.use_embedder(name, model.encode)
    return memory, store


def share_history(memory: Memory, path: Path) -> None:
    """Mem0's history SQLite, private and safe for every process sharing the data dir."""
    from .store import make_private

    connection = mem0_compat.history_connection(memory)
    if connection is None or not path.exists():
        return
    make_private(path)  # before journal_mode, so its -wal and -shm files are private too
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA busy_timeout = 30000")
    connection.execute("PRAGMA secure_delete = ON")


def forget_history(memory: Memory, memory_ids: list[str]) -> None:
    """Drop Mem0's history rows (which hold old texts) for memories that are gone, so no copy of them lingers."""
    if not memory_ids or mem0_compat.history_connection(memory) is None:  # another history store keeps its rows
        return
    with mem0_compat.history_locked(memory) as connection:
        for start in range(0, len(memory_ids), 500):
            chunk = memory_ids[start : start + 500]
            connection.execute(f"DELETE FROM history WHERE memory_id IN ({', '.join('?' * len(chunk))})", chunk)
        connection.commit()
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the deleted rows' old pages are in the WAL


def forget_orphaned_history(memory: Memory, store: SQLiteVectorStore) -> int:
    """Drop history rows of memories the store does not have; returns for how many memories.

    Mem0 commits its history and the store commits the memory separately, so a `kill -9` between the two leaves
    history rows (with the text) of a memory that was never stored, or was already forgotten or swept. This runs
    holding the store's write lock: every write of a memory holds it too, so no process is between its commits.
    """
    with store.transaction(), mem0_compat.history_locked(memory) as connection:
        logged = {i for (i,) in connection.execute("SELECT DISTINCT memory_id FROM history")}
        orphans = sorted(logged - store.ids())
    forget_history(memory, orphans)
    return len(orphans)
