"""The meaning side of the store: unit vectors as stored, a per-process cache of them, and the exact cosine top-k.

Each row's vector is kept as float32 bytes of unit length, so a cosine is a dot product. The cache holds one
collection's vectors in a numpy matrix and follows other processes' commits through `PRAGMA data_version` and the
revision counter that every write transaction bumps, so it reloads only the rows that changed.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import Unavailable


class VectorCache:
    """Unit vectors of one collection by rowid, grown in place; rowids only ever increase (AUTOINCREMENT)."""

    def __init__(self, dims: int, model: str | None = None) -> None:
        self.dims = dims
        self.model = model  # the embedder this process embeds with, once the collection has recorded it
        self.rowids = np.empty(0, dtype=np.int64)
        self.matrix = np.empty((0, dims), dtype=np.float32)
        self.size = 0
        self.rows_in_file = 0  # every collection's: the keyword index's document count
        self.rev = -1
        self.data_version = -1

    def clear(self) -> None:
        self.__init__(self.dims, self.model)  # type: ignore[misc]

    def cosines(self, scores: np.ndarray, rowids: Sequence[int]) -> list[float]:
        """Each row's entry of `scores` (one per cached row); 0.0 for a row the cache does not hold."""
        held = self.rowids[: self.size]
        positions = np.minimum(np.searchsorted(held, rowids), max(self.size - 1, 0))
        return [float(scores[p]) if self.size and held[p] == r else 0.0 for p, r in zip(positions, rowids, strict=True)]

    def absorb(self, rows: Sequence[tuple[int, bytes]]) -> bool:
        """Add or overwrite rows; False if a row is out of order (then the caller reloads everything)."""
        for rowid, blob in rows:
            vector = np.frombuffer(blob, dtype=np.float32)
            if vector.shape != (self.dims,):
                raise Unavailable(
                    f"The memory store holds {vector.size}-d vectors, but this process's embedder makes {self.dims}-d "
                    f"ones: {ANOTHER_EMBEDDER}"
                )
            pos = int(np.searchsorted(self.rowids[: self.size], rowid))
            if pos < self.size and self.rowids[pos] == rowid:
                self.matrix[pos] = vector
                continue
            if pos != self.size:
                return False
            if self.size == len(self.rowids):
                capacity = max(1024, 2 * self.size)
                self.rowids = np.resize(self.rowids, capacity)
                grown = np.empty((capacity, self.dims), dtype=np.float32)
                grown[: self.size] = self.matrix[: self.size]
                self.matrix = grown
            self.rowids[self.size] = rowid
            self.matrix[self.size] = vector
            self.size += 1
        return True


@functools.cache
def one_blas_thread() -> None:
    """Score vectors with one BLAS thread. A matrix-vector product is bound by memory, not by cores, and OpenBLAS's
    idle threads spin after each product, taking the cores the query embedding needs next: with them, a recall over
    10,000 memories took twice as long as over 1,000 on two cores (bench/RESULTS.md)."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]  # no type information shipped

    threadpool_limits(limits=1, user_api="blas")


def unit_bytes(vector: Sequence[float] | np.ndarray, dims: int) -> bytes:
    """A vector as it is stored: float32 bytes, scaled to unit length (a zero vector stays zero)."""
    array = np.asarray(vector, dtype=np.float32)
    if array.shape != (dims,):
        raise ValueError(f"expected a {dims}-d vector, got shape {array.shape}")
    norm = float(np.linalg.norm(array))
    return (array / norm if norm > 0 else array).astype(np.float32).tobytes()


ANOTHER_EMBEDDER = (
    "another process re-embedded it with another EXPIRING_MEMORY_EMBEDDER on the same data dir, and vectors of two "
    "models never mix. Give every server and command on this data dir the same EXPIRING_MEMORY_EMBEDDER, then "
    "restart this one: it re-embeds every memory once, at start."
)


def check_model(db: sqlite3.Connection, model: str | None, collection: str) -> None:
    """Refuse to read or write vectors when the collection's recorded embedder is no longer this process's."""
    if model is None:
        return
    row = db.execute("SELECT value FROM meta WHERE key = ?", (f"embedder:{collection}",)).fetchone()
    if row is not None and row[0] != model:
        raise Unavailable(
            f"The memory store is now embedded by {row[0]!r}, but this process embeds with {model!r}: "
            + ANOTHER_EMBEDDER
        )


def refresh(db: sqlite3.Connection, cache: VectorCache, collection: str) -> None:
    """Bring the vector cache up to date with every committed write, ours or another process's."""
    (version,) = db.execute("PRAGMA data_version").fetchone()
    (rev,) = db.execute("SELECT value FROM meta WHERE key = 'rev'").fetchone()
    if version == cache.data_version and rev == cache.rev:
        return
    check_model(db, cache.model, collection)
    (live,) = db.execute("SELECT count(*) FROM vectors WHERE collection = ?", (collection,)).fetchone()
    (cache.rows_in_file,) = db.execute("SELECT count(*) FROM vectors").fetchone()
    if cache.size > 2 * live + 1024:  # deleted rows linger in the cache (harmless: SQL rejects them); drop them
        cache.clear()
    rows = db.execute(
        "SELECT rowid, vector FROM vectors WHERE collection = ? AND rev > ? ORDER BY rowid",
        (collection, cache.rev),
    ).fetchall()
    if not cache.absorb(rows):
        cache.clear()
        cache.absorb(
            db.execute(
                "SELECT rowid, vector FROM vectors WHERE collection = ? ORDER BY rowid", (collection,)
            ).fetchall()
        )
    cache.rev, cache.data_version = rev, version


def nearest(
    db: sqlite3.Connection,
    cache: VectorCache,
    collection: str,
    scores: np.ndarray,
    top_k: int,
    condition: str,
    params: Sequence[Any],
) -> list[int]:
    """Cache positions of the `top_k` best-scoring rows that pass the filter condition, best first.

    Candidates are taken best first and SQL decides which pass, in rounds that grow until top_k have passed or
    every row has been checked: the same result as filtering first and ranking after, never short.
    """
    order = np.argsort(-scores, kind="stable") if cache.size <= 4 * top_k else None
    passed: list[int] = []
    checked, batch = 0, max(2 * top_k, 64)
    while len(passed) < top_k and checked < cache.size:
        upto = min(cache.size, checked + batch)
        if order is None and upto < cache.size:
            head = np.argpartition(-scores, upto - 1)[:upto]
            ranked = head[np.argsort(-scores[head], kind="stable")]
        else:
            order = order if order is not None else np.argsort(-scores, kind="stable")
            ranked = order[:upto]
        candidates = ranked[checked:upto]
        passed += _passing(db, collection, cache.rowids[candidates], candidates, condition, params)
        checked, batch = upto, batch * 4
    return passed[:top_k]


def _passing(
    db: sqlite3.Connection,
    collection: str,
    rowids: np.ndarray,
    positions: np.ndarray,
    condition: str,
    params: Sequence[Any],
) -> list[int]:
    """The positions (best first) whose rows exist in this collection and pass the filter condition."""
    ok = {
        r
        for (r,) in db.execute(
            f"SELECT rowid FROM vectors NOT INDEXED WHERE rowid IN (SELECT value FROM json_each(?))"
            f" AND collection = ? AND {condition}",
            (json.dumps(rowids.tolist()), collection, *params),
        )
    }
    return [int(p) for r, p in zip(rowids.tolist(), positions.tolist(), strict=True) if r in ok]
