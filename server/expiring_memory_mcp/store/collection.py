"""One collection of the file, with what the embedded backend asks of it besides Mem0's interface.

Transactions, counts, ids, keyword-only matches, sweeping expired memories (and keeping a running total), upkeep of
the file, and re-embedding every memory when the embedder changes. `sqlite.SQLiteVectorStore` adds Mem0's
`VectorStoreBase` methods on top.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from . import keyword_index, usage
from .database import Database
from .filters import Where
from .fusion import Ranking
from .vectors import VectorCache, check_model, one_blas_thread, unit_bytes

logger = logging.getLogger(__name__)


class OutputData(BaseModel):
    """One result, in the shape Mem0 reads: `id`, `score` (None outside a search) and `payload`."""

    id: str
    score: float | None = None
    payload: dict[str, Any]


class Collection:
    """One collection's rows in the file (every collection shares the `vectors` table); many may share one file."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        collection_name: str = "memories",
        embedding_model_dims: int = 384,
        ranking: Ranking | None = None,
    ) -> None:
        self.path = Path(path)
        self.collection_name = collection_name
        self.dims = embedding_model_dims
        self.ranking = ranking or Ranking()
        one_blas_thread()
        self._cache = VectorCache(self.dims)
        self._file = Database(self.path)
        self._db = self._file.connection
        self._lock = self._file.lock

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (BEGIN IMMEDIATE) on the file; nested calls join the outer one.

        Held across a read-then-write (such as Mem0 refreshing a twin), it makes that sequence atomic
        across every process sharing the file. Refused if another process has since re-embedded the collection
        with another model: this one's vectors would mix with it.
        """
        with self._file.transaction():
            check_model(self._db, self._cache.model, self.collection_name)
            yield

    def expiries(self, filters: Mapping[str, Any] | None = None) -> list[tuple[str | None, float | None]]:
        """Each row's memory type and expiry (epoch seconds; None: permanent) that passes the filters, soonest expiry
        first: what a summary counts, from the indexed columns alone, no payload read."""
        where = Where()
        condition = where.build(filters)
        with self._lock, self._file.read():
            rows = self._db.execute(
                f"SELECT memory_type, expires_at FROM vectors WHERE collection = ? AND {condition}"
                " ORDER BY expires_at IS NULL, expires_at, rowid",
                (self.collection_name, *where.params),
            ).fetchall()
        return [(kind, expiry) for kind, expiry in rows]

    def use_embedder(self, name: str, encode: Callable[[list[str]], np.ndarray]) -> int:
        """Record which model writes this collection's vectors; if another one wrote them, embed every memory again
        with `encode`, in one transaction, so vectors of two models never mix. Returns how many were re-embedded."""
        key = f"embedder:{self.collection_name}"
        with self.transaction():
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            self._cache.model = name  # from here on, reads and writes check that the collection is still this one's
            if row and row[0] == name:  # the usual start: nothing read but this one row
                return 0
            if row is None and not self.count():  # a new collection: this model is its first
                self._db.execute("INSERT INTO meta VALUES (?, ?)", (key, name))
                return 0
            current = row[0] if row else "minilm"  # the only model before the model was recorded
            if current == name:
                self._db.execute("INSERT INTO meta VALUES (?, ?)", (key, name))
                return 0
            rows = self._db.execute(
                "SELECT rowid, payload FROM vectors WHERE collection = ? ORDER BY rowid", (self.collection_name,)
            ).fetchall()
            logger.warning(
                "re-embedding %d memories: the store's vectors come from %s, the embedder is now %s",
                len(rows),
                current,
                name,
            )
            rev = self._file.next_rev()
            for start in range(0, len(rows), 256):
                chunk = rows[start : start + 256]
                vectors = encode([str(json.loads(payload).get("data") or "") for _, payload in chunk])
                self._db.executemany(
                    "UPDATE vectors SET vector = ?, rev = ? WHERE rowid = ?",
                    [(unit_bytes(v, self.dims), rev, rowid) for v, (rowid, _) in zip(vectors, chunk, strict=True)],
                )
                logger.info("re-embedded %d of %d memories", start + len(chunk), len(rows))
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, name))
        self._cache.clear()
        return len(rows)

    # -- deletes and upkeep ----------------------------------------------------------------------

    def _delete_rowids(self, rowids: list[int]) -> None:
        for start in range(0, len(rowids), 500):
            chunk = rowids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            self._db.execute(f"DELETE FROM vectors WHERE rowid IN ({marks})", chunk)
            self._db.execute(f"DELETE FROM vectors_fts WHERE rowid IN ({marks})", chunk)

    def sweep(self, now: datetime) -> list[str]:
        """Delete every memory whose expiry has passed (an indexed range scan); return their ids.

        The FTS index is then rewritten and freed pages are zeroed and returned to the file system,
        so the text of an expired memory is gone from the file, not just hidden.
        """
        with self.transaction():
            rows = self._db.execute(
                "SELECT rowid, id FROM vectors WHERE collection = ? AND expires_at IS NOT NULL AND expires_at <= ?",
                (self.collection_name, now.timestamp()),
            ).fetchall()
            usage.retire(self._db, [rowid for rowid, _ in rows], "expired", now)  # ids and counts, never text
            self._delete_rowids([rowid for rowid, _ in rows])
            if rows:  # a running total for `stats`, one meta row per collection
                self._db.execute(
                    "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = value + excluded.value",
                    (self._swept_key, len(rows)),
                )
        if rows:
            self.compact()
        return [vector_id for _, vector_id in rows]

    @property
    def _swept_key(self) -> str:
        return f"purged:{self.collection_name}"  # the key older versions wrote: files keep their count

    def swept_total(self) -> int:
        """How many expired memories sweep has deleted from this collection, ever."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (self._swept_key,)).fetchone()
        return 0 if row is None else int(row[0])

    def marked(self, name: str) -> bool:
        """Whether the one-time task `name` has run on this file (a row in `meta`)."""
        with self._lock:
            return self._db.execute("SELECT 1 FROM meta WHERE key = ?", (f"done:{name}",)).fetchone() is not None

    def mark(self, name: str) -> None:
        """Record in the file that the one-time task `name` has run."""
        with self.transaction():
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, 1)", (f"done:{name}",))

    # -- usage counters and the ledger of what was forgotten (store/usage.py) ----------------------

    def record_forgotten(self, gone: usage.Gone, now: datetime) -> None:
        """A ledger entry for a memory just deleted on request, with its counters (which are then dropped)."""
        with self.transaction():
            usage.retire_one(self._db, gone, "forgotten", now)

    def prune_usage(self, ledger_before: datetime) -> int:
        """Drop ledger entries older than `ledger_before` and counters of memories no longer here."""
        with self.transaction():
            return usage.prune(self._db, ledger_before)

    def read_usage(self, ids: Sequence[str]) -> dict[str, usage.UsageRow]:
        with self._lock, self._file.read():
            return usage.read_usage(self._db, ids)

    def read_ledger(self, user_id: str, since: datetime) -> list[usage.LedgerRow]:
        with self._lock, self._file.read():
            return usage.read_ledger(self._db, user_id, since)

    def size_bytes(self) -> int:
        """The database file's size on disk, its write-ahead log included."""
        return self._file.size_bytes()

    def compact(self) -> None:
        """Merge the FTS index, give free pages back to the file system and fold the WAL into the file."""
        self._file.compact()

    def close(self) -> None:
        self._file.close()

    # -- reads -----------------------------------------------------------------------------------

    def _payloads(self, rowids: Sequence[int]) -> dict[int, tuple[str, dict[str, Any]]]:
        marks = ", ".join("?" * len(rowids))
        rows = self._db.execute(f"SELECT rowid, id, payload FROM vectors WHERE rowid IN ({marks})", list(rowids))
        return {rowid: (vector_id, json.loads(payload)) for rowid, vector_id, payload in rows}

    def keyword_matches(self, query: str, top_k: int = 5, filters: Mapping[str, Any] | None = None) -> list[OutputData]:
        """BM25 over memory text alone (FTS5); scores are positive, higher is better."""
        match = keyword_index.query_of(query)
        if match is None or top_k <= 0:
            return []
        where = Where()
        condition = where.build(filters)
        with self._lock, self._file.read():
            found_scores = keyword_index.bm25(self._db, self.collection_name, match, top_k, [], condition, where.params)
            scores = dict(sorted(found_scores.items(), key=lambda i: -i[1]))
            found = self._payloads(list(scores))
        return [OutputData(id=found[r][0], score=s, payload=found[r][1]) for r, s in scores.items() if r in found]

    def count(self, filters: Mapping[str, Any] | None = None) -> int:
        where = Where()
        condition = where.build(filters)
        with self._lock:
            (n,) = self._db.execute(
                f"SELECT count(*) FROM vectors WHERE collection = ? AND {condition}",
                (self.collection_name, *where.params),
            ).fetchone()
        return int(n)

    def ids(self) -> set[str]:
        """Every id in this collection."""
        with self._lock, self._file.read():
            rows = self._db.execute("SELECT id FROM vectors WHERE collection = ?", (self.collection_name,))
            return {i for (i,) in rows}
