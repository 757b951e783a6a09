"""Builds Mem0's `Memory` offline: telemetry off, files in our data dir, our store and embedder plugged in."""

from __future__ import annotations

import logging
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from mem0 import Memory

    from .embedder import Embedder
    from .store import SQLiteVectorStore
    from .store.fusion import Ranking

DB_FILE = "memories.db"
HISTORY_FILE = "history.db"
PLACEHOLDER = "expiring_memory_placeholder"


def prepare_environment(data_dir: Path) -> None:
    """Mem0 reads these once, at import: no telemetry (no network, no ~/.mem0), its files in our data dir."""
    os.environ["MEM0_TELEMETRY"] = "False"
    os.environ["MEM0_DIR"] = str(private_dir(data_dir / "mem0"))


def private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


class Placeholder:
    """Stands in for Mem0's LLM (never called: memories are stored with infer=False) and, until it is set, its embedder."""

    def __init__(self, config: object = None) -> None:
        self.config = config

    def _unavailable(self, *args: object, **kwargs: object) -> NoReturn:
        raise RuntimeError("expiring-memory-mcp configures no LLM and sets its own embedder")

    generate_response = embed = embed_batch = _unavailable


def register_placeholder() -> None:
    """Mem0 validates provider names and builds its parts in __init__: register ours so it can be named."""
    from mem0.utils.factory import EmbedderFactory, LlmFactory

    LlmFactory.register_provider(PLACEHOLDER, f"{__name__}.Placeholder")
    EmbedderFactory.provider_to_class.setdefault(PLACEHOLDER, f"{__name__}.Placeholder")


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
        # called), and then given our store and embedder. This is the one place that reaches into Mem0.
        register_placeholder()
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
        memory.vector_store = store
        memory._entity_store = entities
        share_history(memory, data_dir / HISTORY_FILE)
        model = loading.result() if loading is not None else embedder
        memory.embedding_model = model
    for collection in (store, entities):
        collection.use_embedder(name, model.encode)
    return memory, store


def share_history(memory: Memory, path: Path) -> None:
    """Mem0's history SQLite, private and safe for every process sharing the data dir."""
    from .store import make_private

    if not hasattr(getattr(memory, "db", None), "connection") or not path.exists():
        return
    make_private(path)  # before journal_mode, so its -wal and -shm files are private too
    memory.db.connection.execute("PRAGMA journal_mode = WAL")
    memory.db.connection.execute("PRAGMA busy_timeout = 30000")
    memory.db.connection.execute("PRAGMA secure_delete = ON")


def forget_history(memory: Memory, memory_ids: list[str]) -> None:
    """Drop Mem0's history rows (which hold old texts) for memories that are gone, so no copy of them lingers."""
    db = getattr(memory, "db", None)
    if not memory_ids or not hasattr(db, "connection"):  # a history store other than Mem0's SQLite keeps its rows
        return
    with db._lock:
        for start in range(0, len(memory_ids), 500):
            chunk = memory_ids[start : start + 500]
            db.connection.execute(f"DELETE FROM history WHERE memory_id IN ({', '.join('?' * len(chunk))})", chunk)
        db.connection.commit()
        db.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the deleted rows' old pages are in the WAL


def forget_orphaned_history(memory: Memory, store: SQLiteVectorStore) -> int:
    """Drop history rows of memories the store does not have; returns for how many memories.

    Mem0 commits its history and the store commits the memory separately, so a `kill -9` between the two leaves
    history rows (with the text) of a memory that was never stored, or was already forgotten or swept. This runs
    holding the store's write lock: every write of a memory holds it too, so no process is between its commits.
    """
    db = memory.db
    with store.transaction(), db._lock:
        logged = {i for (i,) in db.connection.execute("SELECT DISTINCT memory_id FROM history")}
        orphans = sorted(logged - store.ids())
    forget_history(memory, orphans)
    return len(orphans)
