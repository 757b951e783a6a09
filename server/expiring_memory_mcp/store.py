"""A Mem0 vector store on one SQLite file (WAL) and numpy.

Filters (user, type, expiry, any payload key) run in SQL; exact cosine top-k over the rows that pass
runs in numpy against a per-process vector cache. The cache follows other processes' commits through
`PRAGMA data_version` and a revision counter that every write transaction bumps, so it reloads only
the rows that changed. `keyword_search` is FTS5 BM25. No SQLite extension is loaded.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from mem0.vector_stores.base import VectorStoreBase
from pydantic import BaseModel

logger = logging.getLogger(__name__)

# Payload keys kept in their own indexed columns. Everything else is filtered with json_extract.
COLUMNS = {"user_id": "user_id", "agent_id": "agent_id", "run_id": "run_id", "type": "memory_type"}
EXPIRES_AT = "expires_at"  # payload key of the precise expiry instant (ISO 8601 or epoch seconds)
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_WORD = re.compile(r"\w+", re.UNICODE)
# Words left out of keyword queries: English function words (Mem0 drops them with spaCy, which is not installed
# here), and "user", which nearly every memory an assistant writes contains.
STOP_WORDS = frozenset(
    """a an the and or but if then else of to in on at by for with from into onto about over under as is am are was
    were be been being do does did doing have has had having i me my mine we us our you your yours he him his she her
    hers it its they them their theirs this that these those there here what which who whom whose when where why how
    all any some no not nor so than too very can could should would will shall may might must just also only own same
    such s t don doesn didn isn aren wasn weren won wouldn ll ve re d m up down out off again further once each few
    more most other both between through during before after above below user users""".split()
)
# Weight of the FTS5 BM25 score before Mem0 adds it to the cosine score. Tuned on bench/data (see bench/RESULTS.md):
# 1.0 let shared words outrank paraphrases (R@1 0.66); 0.35-0.5 is a plateau (R@1 0.71-0.72, keyword R@1 1.0 at 0.5).
BM25_WEIGHT = 0.5

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
CREATE VIRTUAL TABLE IF NOT EXISTS vectors_fts USING fts5 (text, tokenize = 'porter unicode61');
"""


class OutputData(BaseModel):
    id: str
    score: float | None = None
    payload: dict[str, Any]


def _epoch(value: Any) -> float | None:
    """An expiry as epoch seconds: accepts ISO 8601 text, a datetime or a number."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{EXPIRES_AT} must be a time, not {value!r}")
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
    return str(payload.get("data") or "")


def fts_query(text: str) -> str | None:
    """Any user text as a safe FTS5 query: each word but stop words quoted, joined with OR. None when none is left."""
    words = [w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]
    return " OR ".join(f'"{w}"' for w in dict.fromkeys(words)) or None


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
        self.rev = -1
        self.data_version = -1

    def clear(self) -> None:
        self.__init__(self.dims)  # type: ignore[misc]

    def absorb(self, rows: Sequence[tuple[int, bytes]]) -> bool:
        """Add or overwrite rows; False if a row is out of order (then the caller reloads everything)."""
        for rowid, blob in rows:
            vector = np.frombuffer(blob, dtype=np.float32)
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


class SQLiteVectorStore(VectorStoreBase):
    """Implements Mem0's VectorStoreBase. One instance per collection; many may share one file."""

    def __init__(self, path: str | os.PathLike[str], collection_name: str = "memories", embedding_model_dims: int = 384):
        self.path = Path(path)
        self.collection_name = collection_name
        self.dims = embedding_model_dims
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

    def _next_rev(self) -> int:
        (rev,) = self._db.execute("UPDATE meta SET value = value + 1 WHERE key = 'rev' RETURNING value").fetchone()
        return int(rev)

    # -- writes ----------------------------------------------------------------------------------

    def _row(self, vector: Sequence[float], payload: Mapping[str, Any]) -> tuple[Any, ...]:
        array = np.asarray(vector, dtype=np.float32)
        if array.shape != (self.dims,):
            raise ValueError(f"expected a {self.dims}-d vector, got shape {array.shape}")
        norm = float(np.linalg.norm(array))
        unit = array / norm if norm > 0 else array
        return (
            payload.get("user_id"),
            payload.get("agent_id"),
            payload.get("run_id"),
            payload.get("type"),
            _epoch(payload.get(EXPIRES_AT)),
            json.dumps(payload, ensure_ascii=False, allow_nan=False),
            unit.astype(np.float32).tobytes(),
        )

    def insert(self, vectors, payloads=None, ids=None):  # noqa: ANN001 - Mem0's signature
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

    def update(self, vector_id, vector=None, payload=None):  # noqa: ANN001 - Mem0's signature
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

    def delete(self, vector_id):  # noqa: ANN001 - Mem0's signature
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
        (live,) = self._db.execute("SELECT count(*) FROM vectors WHERE collection = ?", (self.collection_name,)).fetchone()
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

    def search(self, query, vectors, top_k=5, filters=None):  # noqa: ANN001 - Mem0's signature
        """Exact cosine top-k among the rows that pass the filters; scores in [0, 1].

        Every cached vector is scored (one matrix product), then candidates are taken best first and SQL decides
        which pass the filters, in rounds that grow until top_k have passed or every row has been checked. The
        result is the same as filtering first and ranking after, and it never comes back short while rows pass.
        """
        if top_k <= 0:
            return []
        where = _Where()
        condition = where.build(filters)
        probe = np.asarray(vectors, dtype=np.float32)
        probe = probe / max(float(np.linalg.norm(probe)), 1e-12)
        with self._lock, self._read():
            self._refresh()
            cache = self._cache
            scores = cache.matrix[: cache.size] @ probe
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
                passed += self._passing(cache.rowids[candidates], candidates, condition, where.params)
                checked, batch = upto, batch * 4
            chosen = passed[:top_k]
            found = self._payloads([int(cache.rowids[i]) for i in chosen])
        return [
            OutputData(id=found[r][0], score=max(0.0, float(scores[i])), payload=found[r][1])
            for i in chosen
            if (r := int(cache.rowids[i])) in found
        ]

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

    def keyword_search(self, query, top_k=5, filters=None):  # noqa: ANN001 - Mem0's signature
        """BM25 over memory text (FTS5, porter stemming); scores are positive, higher is better."""
        match = fts_query(str(query or ""))
        if match is None or top_k <= 0:
            return []
        where = _Where()
        condition = where.build(filters)
        with self._lock, self._read():
            rows = self._db.execute(
                "SELECT v.id, v.payload, -bm25(vectors_fts) * ? AS score FROM vectors_fts"
                " JOIN vectors v ON v.rowid = vectors_fts.rowid"
                f" WHERE vectors_fts MATCH ? AND v.collection = ? AND {condition}"
                " ORDER BY score DESC LIMIT ?",
                (BM25_WEIGHT, match, self.collection_name, *where.params, int(top_k)),
            ).fetchall()
        return [OutputData(id=i, score=float(s), payload=json.loads(p)) for i, p, s in rows]

    def get(self, vector_id):  # noqa: ANN001 - Mem0's signature
        with self._lock:
            row = self._db.execute(
                "SELECT id, payload FROM vectors WHERE collection = ? AND id = ?",
                (self.collection_name, str(vector_id)),
            ).fetchone()
        return None if row is None else OutputData(id=row[0], payload=json.loads(row[1]))

    def list(self, filters=None, top_k=None):  # noqa: ANN001 - Mem0's signature
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

    def create_col(self, name, vector_size, distance):  # noqa: ANN001 - Mem0's signature
        """Collections are rows' `collection` values; nothing to create."""

    def list_cols(self):
        with self._lock:
            return [name for (name,) in self._db.execute("SELECT DISTINCT collection FROM vectors")]

    def delete_col(self):
        with self.transaction():
            rowids = [
                r for (r,) in self._db.execute("SELECT rowid FROM vectors WHERE collection = ?", (self.collection_name,))
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
