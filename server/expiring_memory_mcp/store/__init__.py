"""A Mem0 vector store on one SQLite file (WAL) and numpy.

Filters (user, type, expiry, any payload key) run in SQL; exact cosine top-k over the rows that pass
runs in numpy against a per-process vector cache. The cache follows other processes' commits through
`PRAGMA data_version` and a revision counter that every write transaction bumps, so it reloads only
the rows that changed. `search` also takes the FTS5 BM25 top-k, each term weighed among the rows searched, and the
candidates' neighbours in time, and fuses them (see `fusion`).
No SQLite extension is loaded.

The modules, each depending only on those listed before it:

- `keywords`: the words of any text, as the keyword index holds them and as a query looks for them (pure).
- `fusion`: how recall ranks, from each candidate's cosine and BM25 score and its neighbours' (pure).
- `filters`: Mem0's filter dicts as one SQL condition and its parameters (pure).
- `keyword_index`: the FTS5 table in the file: its version and rebuild, what each memory puts in it, BM25 top-k
  and each query term's BM25 share.
- `neighbours`: each memory's neighbours in time, the memories of the same type stored just before and after it.
- `vectors`: unit vectors as stored, the per-process cache that follows the file, the exact cosine top-k.
- `database`: the file itself: the connection with its pragmas, the tables, transactions, compaction.
- `collection`: one collection of the file and what the embedded backend asks of it besides Mem0's interface.
- `sqlite`: `SQLiteVectorStore`, Mem0's `VectorStoreBase` on top of a collection.

Importing this package (or `fusion`, which the settings need) loads neither numpy nor Mem0: the names below are
loaded from their modules on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .collection import OutputData
    from .database import make_private
    from .sqlite import SQLiteVectorStore

__all__ = ["OutputData", "SQLiteVectorStore", "make_private"]

_HOMES = {"OutputData": "collection", "SQLiteVectorStore": "sqlite", "make_private": "database"}


def __getattr__(name: str) -> Any:
    """The public names, imported from their modules on first use (PEP 562)."""
    if name in _HOMES:
        return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
