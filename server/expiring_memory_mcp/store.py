"""A Mem0 vector store on one SQLite file (WAL) and numpy.

Filters (user, type, expiry, any payload key) run in SQL; exact cosine top-k over the rows that pass
runs in numpy against a per-process vector cache. The cache follows other processes' commits through
`PRAGMA data_version` and a revision counter that every write transaction bumps, so it reloads only
the rows that changed. `search` also takes the FTS5 BM25 top-k and fuses both sides (see `fusion`).
No SQLite extension is loaded.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from mem0.vector_stores.base import VectorStoreBase
from pydantic import BaseModel

from .fusion import Candidate, Ranking, fuse
from .keywords import TOKENIZER, index_text, match_query, words

logger = logging.getLogger(__name__)

# Payload keys kept in their own indexed columns. Everything else is filtered with json_extract.
COLUMNS = {"user_id": "user_id", "agent_id": "agent_id", "run_id": "run_id", "type": "memory_type"}
EXPIRES_AT = "expires_at"  # payload key of the precise expiry instant (ISO 8601 or epoch seconds)
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('rev', 0);
CREATE TABLE IF NOT EXISTS vectors (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    user_id TEXT,
    agent_id TEXT,
    run_id TEXT,
    memory_type TEXT,
    expires_at REAL,
    payload TEXT NOT NULL,
    vector BLOB NOT NULL,
    rev INTEGER NOT NULL,
    UNIQUE (collection, id)
);
CREATE INDEX IF NOT EXISTS vectors_filter ON vectors (collection, user_id, memory_type, expires_at);
CREATE INDEX IF NOT EXISTS vectors_expiry ON vectors (collection, expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS vectors_rev ON vectors (collection, rev);
CREATE INDEX IF NOT EXISTS vectors_dedup ON vectors (collection, user_id, json_extract(payload, '$.dedup_key'));
"""
# The keyword index: its version is kept in `meta`, and an index of another version is rebuilt when a database is
# opened (1: porter unicode61; 2: diacritics folded, CJK runs indexed as character pairs).
KEYWORD_INDEX_VERSION = 2
KEYWORD_INDEX = f"CREATE VIRTUAL TABLE vectors_fts USING fts5 (text, tokenize = '{TOKENIZER}')"


class OutputData(BaseModel):
    id: str
    score: float | None = None
    payload: dict[str, Any]


def _epoch(value: Any) -> float | None:
    """An expiry as epoch seconds: accepts ISO 8601 text, a datetime or a number."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{EXPIRES_AT} must be a time, not {value!r}")  # noqa: TRY004 -- bad data, like a bad string
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError(f"{EXPIRES_AT} {value!r} needs a timezone")
    return moment.timestamp()


def _text_of(payload: Mapping[str, Any]) -> str:
    """What the keyword index holds for a memory."""
    return index_text(str(payload.get("data") or ""))


def make_private(path: Path) -> None:
    """A database file and its -wal and -shm files, if there: readable and writable by the owner only."""
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            os.chmod(file, 0o600)
        except FileNotFoundError:  # -wal and -shm come and go with connections
            pass


class _Where:
    """Translates Mem0's filter dicts into a SQL condition and its parameters."""

    def __init__(self) -> None:
        self.params: list[Any] = []

    def build(self, filters: Mapping[str, Any] | None) -> str:
        if not filters:
            return "1"
        parts = [self._item(key, value) for key, value in filters.items()]
        return " AND ".join(f"({p})" for p in parts) or "1"

    def _item(self, key: str, value: Any) -> str:
        logical = key.upper().lstrip("$")
        if logical in ("AND", "OR", "NOT"):
            conditions = value if isinstance(value, list) else [value]
            inner = [self.build(c) for c in conditions]
            if logical == "OR":
                return " OR ".join(f"({c})" for c in inner) or "0"
            joined = " AND ".join(f"({c})" for c in inner) or "1"
            # A missing key makes a comparison NULL, which counts as false; NOT of it is then true, as on Qdrant.
            return f"NOT coalesce({joined}, 0)" if logical == "NOT" else joined
        column = self._column(key)
        if isinstance(value, dict):
            return " AND ".join(self._op(key, column, op, arg) for op, arg in value.items()) or "1"
        if value == "*":
            return f"{column} IS NOT NULL"
        return self._op(key, column, "eq", value)

    @staticmethod
    def _column(key: str) -> str:
        if key in COLUMNS:
            return COLUMNS[key]
        if key == EXPIRES_AT:
            return "expires_at"
        if not _KEY.match(key):
            raise ValueError(f"unsupported filter key {key!r}")
        return f"json_extract(payload, '$.{key}')"

    def _value(self, key: str, value: Any) -> Any:
        if key == EXPIRES_AT:
            return _epoch(value)
        if isinstance(value, bool):
            return int(value)
        return value

    def _op(self, key: str, column: str, op: str, arg: Any) -> str:
        compare = {"eq": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
        if op in compare:
            self.params.append(self._value(key, arg))
            return f"{column} {compare[op]} ?"
        if op == "ne":
            return f"NOT coalesce({self._op(key, column, 'eq', arg)}, 0)"
        if op in ("in", "nin"):
            values = list(arg) if isinstance(arg, list | tuple | set) else [arg]
            if not values:
                return "0" if op == "in" else "1"
            self.params.extend(self._value(key, v) for v in values)
            test = f"{column} IN ({', '.join('?' * len(values))})"
            return test if op == "in" else f"NOT coalesce({test}, 0)"
        if op in ("contains", "icontains"):
            self.params.append(str(arg))
            if op == "contains":
                return f"instr({column}, ?) > 0"
            return f"instr(lower({column}), lower(?)) > 0"
        raise ValueError(f"unsupported filter operator {op!r}")


class _VectorCache:
    """Unit vectors of one collection by rowid, grown in place; rowids only ever increase (AUTOINCREMENT)."""

    def __init__(self, dims: int) -> None:
        self.dims = dims
        self.rowids = np.empty(0, dtype=np.int64)
        self.matrix = np.empty((0, dims), dtype=np.float32)
        self.size = 0
        self.rows_in_file = 0  # every collection's: the keyword index's document count
        self.rev = -1
        self.data_version = -1

    def clear(self) -> None:
        self.__init__(self.dims)  # type: ignore[misc]

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
                raise RuntimeError(
                    f"the memory store holds {vector.size}-d vectors but this embedder makes {self.dims}-d ones: "
                    "another process is using another EXPIRING_MEMORY_EMBEDDER on the same data dir"
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
def _one_blas_thread() -> None:
    """Score vectors with one BLAS thread. A matrix-vector product is bound by memory, not by cores, and OpenBLAS's
    idle threads spin after each product, taking the cores the query embedding needs next: with them, a recall over
    10,000 memories took twice as long as over 1,000 on two cores (bench/RESULTS.md)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


class SQLiteVectorStore(VectorStoreBase):
    """Implements Mem0's VectorStoreBase. One instance per collection; many may share one file."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        collection_name: str = "memories",
        embedding_model_dims: int = 384,
        ranking: Ranking | None = None,
    ):
        self.path = Path(path)
        self.collection_name = collection_name
        self.dims = embedding_model_dims
        self.ranking = ranking or Ranking()
        _one_blas_thread()
        self._lock = threading.RLock()
        self._depth = 0
        self._cache = _VectorCache(self.dims)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        make_private(self.path)  # before journal_mode: SQLite gives the -wal and -shm files the database's mode
        self._db.execute("PRAGMA busy_timeout = 30000")
        self._db.execute("PRAGMA auto_vacuum = INCREMENTAL")  # takes effect only on a new file
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")  # in WAL: durable across process crashes
        self._db.execute("PRAGMA secure_delete = ON")  # deleted memories are zeroed, not left in free pages
        with self.transaction():
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._keyword_index()
        make_private(self.path)  # again, for -wal and -shm files an older version left readable

    # -- transactions ----------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (BEGIN IMMEDIATE); nested calls join the outer one.

        Held across a read-then-write (such as Mem0 refreshing a twin), it makes that sequence atomic
        across every process sharing the file.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._depth = 0
                self._db.execute("ROLLBACK")
                raise
            self._depth = 0
            self._db.execute("COMMIT")

    def _keyword_index(self) -> None:
        """Create the keyword index, or rebuild it from the memories' text if it is of another version."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'keyword_index'").fetchone()
        exists = self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'vectors_fts'").fetchone()
        version = row[0] if row else (1 if exists else None)
        if version == KEYWORD_INDEX_VERSION:
            return
        if exists:
            self._db.execute("DROP TABLE vectors_fts")
        self._db.execute(KEYWORD_INDEX)
        rows = self._db.execute("SELECT rowid, payload FROM vectors").fetchall()
        self._db.executemany(
            "INSERT INTO vectors_fts (rowid, text) VALUES (?, ?)", ((r, _text_of(json.loads(p))) for r, p in rows)
        )
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('keyword_index', ?)", (KEYWORD_INDEX_VERSION,))
        if exists:
            logger.info(
                "rebuilt the keyword index of %d memories (version %s -> %d)", len(rows), version, KEYWORD_INDEX_VERSION
            )

    def use_embedder(self, name: str, encode: Callable[[list[str]], np.ndarray]) -> int:
        """Record which model writes this collection's vectors; if another one wrote them, embed every memory again
        with `encode`, in one transaction, so vectors of two models never mix. Returns how many were re-embedded."""
        key = f"embedder:{self.collection_name}"
        with self.transaction():
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
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
            rev = self._next_rev()
            for start in range(0, len(rows), 256):
                chunk = rows[start : start + 256]
                vectors = encode([str(json.loads(payload).get("data") or "") for _, payload in chunk])
                self._db.executemany(
                    "UPDATE vectors SET vector = ?, rev = ? WHERE rowid = ?",
                    [(self._unit_bytes(v), rev, rowid) for v, (rowid, _) in zip(vectors, chunk, strict=True)],
                )
                logger.info("re-embedded %d of %d memories", start + len(chunk), len(rows))
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, name))
        self._cache.clear()
        return len(rows)

    def _next_rev(self) -> int:
        (rev,) = self._db.execute("UPDATE meta SET value = value + 1 WHERE key = 'rev' RETURNING value").fetchone()
        return int(rev)

    # -- writes ----------------------------------------------------------------------------------

    def _unit_bytes(self, vector: Sequence[float] | np.ndarray) -> bytes:
        array = np.asarray(vector, dtype=np.float32)
        if array.shape != (self.dims,):
            raise ValueError(f"expected a {self.dims}-d vector, got shape {array.shape}")
        norm = float(np.linalg.norm(array))
        return (array / norm if norm > 0 else array).astype(np.float32).tobytes()

    def _row(self, vector: Sequence[float], payload: Mapping[str, Any]) -> tuple[Any, ...]:
        return (
            payload.get("user_id"),
            payload.get("agent_id"),
            payload.get("run_id"),
            payload.get("type"),
            _epoch(payload.get(EXPIRES_AT)),
            json.dumps(payload, ensure_ascii=False, allow_nan=False),
            self._unit_bytes(vector),
        )

    def insert(self, vectors, payloads=None, ids=None):  # Mem0's signature
        payloads = payloads or [{} for _ in vectors]
        if ids is None:
            raise ValueError("ids are required")
        with self.transaction():
            rev = self._next_rev()
            for vector, payload, vector_id in zip(vectors, payloads, ids, strict=True):
                row = self._row(vector, payload)
                (rowid,) = self._db.execute(
                    "INSERT INTO vectors (collection, id, user_id, agent_id, run_id, memory_type, expires_at,"
                    " payload, vector, rev) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING rowid",
                    (self.collection_name, str(vector_id), *row, rev),
                ).fetchone()
                self._db.execute("INSERT INTO vectors_fts (rowid, text) VALUES (?, ?)", (rowid, _text_of(payload)))

    def update(self, vector_id, vector=None, payload=None):  # Mem0's signature
        with self.transaction():
            found = self._db.execute(
                "SELECT rowid, payload, vector FROM vectors WHERE collection = ? AND id = ?",
                (self.collection_name, str(vector_id)),
            ).fetchone()
            if found is None:
                raise KeyError(f"no vector with id {vector_id}")
            rowid, old_payload, old_vector = found
            new_payload = payload if payload is not None else json.loads(old_payload)
            new_vector = vector if vector is not None else np.frombuffer(old_vector, dtype=np.float32)
            row = self._row(new_vector, new_payload)
            self._db.execute(
                "UPDATE vectors SET user_id = ?, agent_id = ?, run_id = ?, memory_type = ?, expires_at = ?,"
                " payload = ?, vector = ?, rev = ? WHERE rowid = ?",
                (*row, self._next_rev(), rowid),
            )
            self._db.execute("UPDATE vectors_fts SET text = ? WHERE rowid = ?", (_text_of(new_payload), rowid))

    def delete(self, vector_id):  # Mem0's signature
        with self.transaction():
            self._delete_rowids(
                [
                    r
                    for (r,) in self._db.execute(
                        "SELECT rowid FROM vectors WHERE collection = ? AND id = ?",
                        (self.collection_name, str(vector_id)),
                    )
                ]
            )

    def _delete_rowids(self, rowids: list[int]) -> None:
        for start in range(0, len(rowids), 500):
            chunk = rowids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            self._db.execute(f"DELETE FROM vectors WHERE rowid IN ({marks})", chunk)
            self._db.execute(f"DELETE FROM vectors_fts WHERE rowid IN ({marks})", chunk)

    def purge_expired(self, now: datetime) -> list[str]:
        """Delete every memory whose expiry has passed (an indexed range scan); return their ids.

        The FTS index is then rewritten and freed pages are zeroed and returned to the file system,
        so the text of an expired memory is gone from the file, not just hidden.
        """
        with self.transaction():
            rows = self._db.execute(
                "SELECT rowid, id FROM vectors WHERE collection = ? AND expires_at IS NOT NULL AND expires_at <= ?",
                (self.collection_name, now.timestamp()),
            ).fetchall()
            self._delete_rowids([rowid for rowid, _ in rows])
            if rows:  # a running total for `stats`, one meta row per collection
                self._db.execute(
                    "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = value + excluded.value",
                    (self._purged_key, len(rows)),
                )
        if rows:
            self.compact()
        return [vector_id for _, vector_id in rows]

    @property
    def _purged_key(self) -> str:
        return f"purged:{self.collection_name}"

    def purged_total(self) -> int:
        """How many expired memories purge_expired has deleted from this collection, ever."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (self._purged_key,)).fetchone()
        return 0 if row is None else int(row[0])

    def size_bytes(self) -> int:
        """The database file's size on disk, its write-ahead log included."""
        files = (self.path, self.path.with_name(self.path.name + "-wal"))
        return sum(f.stat().st_size for f in files if f.exists())

    def compact(self) -> None:
        """Merge the FTS index, give free pages back to the file system and fold the WAL into the file."""
        with self._lock:
            self._db.execute("INSERT INTO vectors_fts (vectors_fts) VALUES ('optimize')")
            self._db.executescript("PRAGMA incremental_vacuum;")  # execute() would step once: one page
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- reads -----------------------------------------------------------------------------------

    def _refresh(self) -> None:
        """Bring the vector cache up to date with every committed write, ours or another process's."""
        (version,) = self._db.execute("PRAGMA data_version").fetchone()
        (rev,) = self._db.execute("SELECT value FROM meta WHERE key = 'rev'").fetchone()
        cache = self._cache
        if version == cache.data_version and rev == cache.rev:
            return
        (live,) = self._db.execute(
            "SELECT count(*) FROM vectors WHERE collection = ?", (self.collection_name,)
        ).fetchone()
        (cache.rows_in_file,) = self._db.execute("SELECT count(*) FROM vectors").fetchone()
        if cache.size > 2 * live + 1024:  # deleted rows linger in the cache (harmless: SQL rejects them); drop them
            cache.clear()
        rows = self._db.execute(
            "SELECT rowid, vector FROM vectors WHERE collection = ? AND rev > ? ORDER BY rowid",
            (self.collection_name, cache.rev),
        ).fetchall()
        if not cache.absorb(rows):
            cache.clear()
            cache.absorb(
                self._db.execute(
                    "SELECT rowid, vector FROM vectors WHERE collection = ? ORDER BY rowid", (self.collection_name,)
                ).fetchall()
            )
        cache.rev, cache.data_version = rev, version

    def _payloads(self, rowids: Sequence[int]) -> dict[int, tuple[str, dict[str, Any]]]:
        marks = ", ".join("?" * len(rowids))
        rows = self._db.execute(f"SELECT rowid, id, payload FROM vectors WHERE rowid IN ({marks})", list(rowids))
        return {rowid: (vector_id, json.loads(payload)) for rowid, vector_id, payload in rows}

    def search(self, query, vectors, top_k=5, filters=None):  # Mem0's signature
        """The best `top_k` rows that pass the filters, by meaning and keywords fused (see `fusion`); scores in [0, 1].

        Candidates come from both sides: the exact cosine top-k and the BM25 top-k among the rows that pass the
        filters. Each candidate then gets both its exact cosine and its exact BM25 score, and `fuse` orders them.
        Neither side ever comes back short while rows pass the filters.
        """
        if top_k <= 0:
            return []
        where = _Where()
        condition = where.build(filters)
        probe = np.asarray(vectors, dtype=np.float32)
        probe = probe / max(float(np.linalg.norm(probe)), 1e-12)
        match = match_query(str(query or "")) if self.ranking.uses_keywords else None
        with self._lock, self._read():
            self._refresh()
            cache = self._cache
            scores = cache.matrix[: cache.size] @ probe
            dense = self._nearest(scores, top_k, condition, where.params) if self.ranking.uses_vectors else []
            near = [int(cache.rowids[i]) for i in dense]
            bm25 = self._bm25(match, top_k, near, condition, where.params) if match else {}
            rowids = near + sorted(set(bm25) - set(near))
            cosines = cache.cosines(scores, rowids)
            candidates = [Candidate(r, c, bm25.get(r, 0.0)) for r, c in zip(rowids, cosines, strict=True)]
            ranked = fuse(candidates, self.ranking, rare=self._rare(), words=len(words(str(query or ""))))[:top_k]
            found = self._payloads([r for r, _ in ranked])
        return [OutputData(id=found[r][0], score=score, payload=found[r][1]) for r, score in ranked if r in found]

    def _nearest(self, scores: np.ndarray, top_k: int, condition: str, params: list[Any]) -> list[int]:
        """Cache positions of the `top_k` best-scoring rows that pass the filter condition, best first.

        Candidates are taken best first and SQL decides which pass, in rounds that grow until top_k have passed or
        every row has been checked: the same result as filtering first and ranking after, never short.
        """
        cache = self._cache
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
            passed += self._passing(cache.rowids[candidates], candidates, condition, params)
            checked, batch = upto, batch * 4
        return passed[:top_k]

    def _passing(self, rowids: np.ndarray, positions: np.ndarray, condition: str, params: list[Any]) -> list[int]:
        """The positions (best first) whose rows exist in this collection and pass the filter condition."""
        ok = {
            r
            for (r,) in self._db.execute(
                f"SELECT rowid FROM vectors NOT INDEXED WHERE rowid IN (SELECT value FROM json_each(?))"
                f" AND collection = ? AND {condition}",
                (json.dumps(rowids.tolist()), self.collection_name, *params),
            )
        }
        return [int(p) for r, p in zip(rowids.tolist(), positions.tolist(), strict=True) if r in ok]

    def _rare(self) -> float:
        """The BM25 weight (IDF) of a word that only one memory has, as FTS5 computes it over this file's index."""
        total = self._cache.rows_in_file
        return math.log((total - 0.5) / 1.5) if total > 1 else 0.0

    def _bm25(self, match: str, top_k: int, also: list[int], condition: str, params: list[Any]) -> dict[int, float]:
        """BM25 scores (positive, higher is better) of the `top_k` best keyword matches that pass the filters, and of
        the rows in `also` that match at all: one pass over the matches (the CTE is materialised once)."""
        rows = self._db.execute(
            "WITH hit AS MATERIALIZED (SELECT v.rowid AS r, -bm25(vectors_fts) AS s FROM vectors_fts"
            f" CROSS JOIN vectors v ON v.rowid = vectors_fts.rowid WHERE vectors_fts MATCH ? AND v.collection = ? AND {condition})"
            " SELECT r, s FROM (SELECT r, s FROM hit ORDER BY s DESC LIMIT ?)"
            " UNION SELECT r, s FROM hit WHERE r IN (SELECT value FROM json_each(?))",
            (match, self.collection_name, *params, int(top_k), json.dumps(also)),
        )
        return {int(r): float(score) for r, score in rows}

    def keyword_matches(self, query: str, top_k: int = 5, filters: Mapping[str, Any] | None = None) -> list[OutputData]:
        """BM25 over memory text alone (FTS5); scores are positive, higher is better."""
        match = match_query(str(query or ""))
        if match is None or top_k <= 0:
            return []
        where = _Where()
        condition = where.build(filters)
        with self._lock, self._read():
            scores = dict(sorted(self._bm25(match, top_k, [], condition, where.params).items(), key=lambda i: -i[1]))
            found = self._payloads(list(scores))
        return [OutputData(id=found[r][0], score=s, payload=found[r][1]) for r, s in scores.items() if r in found]

    def keyword_search(self, query, top_k=5, filters=None):  # Mem0's signature
        """Mem0's hook for adding its own BM25 boost to `search` results: nothing, on purpose.

        `search` has already fused keywords with meaning and calibrated the score per query; a second boost from
        Mem0 (a fixed sigmoid over raw BM25, only for vector candidates) would count the words twice. With no
        keyword results, Mem0 passes `search`'s scores through unchanged.
        """
        return []

    def get(self, vector_id):  # Mem0's signature
        with self._lock:
            row = self._db.execute(
                "SELECT id, payload FROM vectors WHERE collection = ? AND id = ?",
                (self.collection_name, str(vector_id)),
            ).fetchone()
        return None if row is None else OutputData(id=row[0], payload=json.loads(row[1]))

    def list(self, filters=None, top_k=None):  # Mem0's signature
        """Rows that pass the filters, soonest expiry first, permanent ones last."""
        where = _Where()
        condition = where.build(filters)
        limit = -1 if top_k is None else int(top_k)
        with self._lock, self._read():
            rows = self._db.execute(
                f"SELECT id, payload FROM vectors WHERE collection = ? AND {condition}"
                " ORDER BY expires_at IS NULL, expires_at, rowid LIMIT ?",
                (self.collection_name, *where.params, limit),
            ).fetchall()
        return [[OutputData(id=i, payload=json.loads(p)) for i, p in rows]]

    def count(self, filters: Mapping[str, Any] | None = None) -> int:
        where = _Where()
        condition = where.build(filters)
        with self._lock:
            (n,) = self._db.execute(
                f"SELECT count(*) FROM vectors WHERE collection = ? AND {condition}",
                (self.collection_name, *where.params),
            ).fetchone()
        return int(n)

    def ids(self) -> set[str]:
        """Every id in this collection."""
        with self._lock, self._read():
            rows = self._db.execute("SELECT id FROM vectors WHERE collection = ?", (self.collection_name,))
            return {i for (i,) in rows}

    @contextmanager
    def _read(self) -> Iterator[None]:
        """A consistent snapshot across the statements of one read (joins a write transaction if one is open)."""
        if self._depth:
            yield
            return
        self._db.execute("BEGIN")
        try:
            yield
        finally:
            self._db.execute("COMMIT")

    # -- collections -----------------------------------------------------------------------------

    def create_col(self, name, vector_size, distance):  # Mem0's signature
        """Collections are rows' `collection` values; nothing to create."""

    def list_cols(self):
        with self._lock:
            return [name for (name,) in self._db.execute("SELECT DISTINCT collection FROM vectors")]

    def delete_col(self):
        with self.transaction():
            rowids = [
                r
                for (r,) in self._db.execute("SELECT rowid FROM vectors WHERE collection = ?", (self.collection_name,))
            ]
            self._delete_rowids(rowids)
        self._cache.clear()

    def col_info(self):
        return {"name": self.collection_name, "count": self.count(), "path": str(self.path)}

    def reset(self):
        self.delete_col()

    def close(self) -> None:
        with self._lock:
            self._db.close()
