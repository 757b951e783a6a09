"""Usage counters and the ledger of what was forgotten, in the memory file beside the memories, never in them.

`usage` holds, per memory id, how often recall returned it, when it last did, and how often it was renewed; the
counters are added to (never overwritten), so any number of processes can flush their batches into one file. `ledger`
holds one row per memory that was swept or forgotten: its id, owner, type, times and counters, and no text. Rows here
are written inside the caller's transaction (the sweep's, so a memory and its ledger entry go together) or by
`UsageWriter` on a connection of its own, off the recall path.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS usage (
    id TEXT PRIMARY KEY,
    recall_count INTEGER NOT NULL DEFAULT 0,
    last_recalled_at REAL,
    renewed INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ledger (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    user_id TEXT,
    memory_type TEXT,
    reason TEXT NOT NULL,
    created_at TEXT,
    expires_at REAL,
    gone_at REAL NOT NULL,
    recall_count INTEGER NOT NULL,
    last_recalled_at REAL,
    renewed INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_by_user ON ledger (user_id, gone_at);
CREATE INDEX IF NOT EXISTS ledger_by_time ON ledger (gone_at);
"""

_UPSERT = (
    "INSERT INTO usage (id, recall_count, last_recalled_at, renewed) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE"
    " SET recall_count = recall_count + excluded.recall_count,"
    " last_recalled_at = coalesce(max(last_recalled_at, excluded.last_recalled_at), last_recalled_at,"
    " excluded.last_recalled_at),"
    " renewed = renewed + excluded.renewed"
)


def ensure(connection: sqlite3.Connection) -> None:
    """Create the tables (inside the file's setup transaction)."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            connection.execute(statement)


@dataclass(frozen=True)
class UsageRow:
    recall_count: int
    last_recalled_at: float | None  # epoch seconds
    renewed: int


@dataclass(frozen=True)
class LedgerRow:
    id: str
    user_id: str | None
    memory_type: str
    reason: str  # "expired" or "forgotten"
    created_at: str | None  # as the memory's payload had it, ISO 8601
    expires_at: float | None
    gone_at: float
    recall_count: int
    last_recalled_at: float | None
    renewed: int


def retire(connection: sqlite3.Connection, rowids: Sequence[int], reason: str, now: datetime) -> None:
    """Append a ledger entry for each of these `vectors` rows and drop their counters; inside the transaction that
    deletes the rows. Only ids, owners, types, times and counts are copied: never the payload's text."""
    for start in range(0, len(rowids), 500):
        chunk = list(rowids[start : start + 500])
        marks = ", ".join("?" * len(chunk))
        connection.execute(
            "INSERT INTO ledger (id, user_id, memory_type, reason, created_at, expires_at, gone_at, recall_count,"
            " last_recalled_at, renewed) SELECT v.id, v.user_id, v.memory_type, ?,"
            " json_extract(v.payload, '$.created_at'), v.expires_at, ?, coalesce(u.recall_count, 0),"
            " u.last_recalled_at, coalesce(u.renewed, 0)"
            f" FROM vectors v LEFT JOIN usage u ON u.id = v.id WHERE v.rowid IN ({marks}) ORDER BY v.rowid",
            (reason, now.timestamp(), *chunk),
        )
        connection.execute(
            f"DELETE FROM usage WHERE id IN (SELECT id FROM vectors WHERE rowid IN ({marks}))",
            chunk,
        )


@dataclass(frozen=True)
class Gone:
    """What the ledger keeps of a memory deleted by request: no text."""

    id: str
    user_id: str | None
    memory_type: str
    created_at: str | None  # ISO 8601
    expires_at: float | None  # epoch seconds; None: permanent


def retire_one(connection: sqlite3.Connection, gone: Gone, reason: str, now: datetime) -> None:
    """Append a ledger entry for a memory already deleted, from what was known of it, with its counters; drop the
    counters. Inside a write transaction."""
    connection.execute(
        "INSERT INTO ledger (id, user_id, memory_type, reason, created_at, expires_at, gone_at, recall_count,"
        " last_recalled_at, renewed) SELECT ?, ?, ?, ?, ?, ?, ?, coalesce(sum(recall_count), 0), max(last_recalled_at),"
        " coalesce(sum(renewed), 0) FROM usage WHERE id = ?",
        (gone.id, gone.user_id, gone.memory_type, reason, gone.created_at, gone.expires_at, now.timestamp(), gone.id),
    )
    connection.execute("DELETE FROM usage WHERE id = ?", (gone.id,))


def prune(connection: sqlite3.Connection, ledger_before: datetime) -> int:
    """Drop ledger entries older than `ledger_before`, and counters whose memory is gone by another road (a Mem0
    rewrite, an interrupted write); inside a write transaction. Returns how many ledger entries went."""
    gone = connection.execute("DELETE FROM ledger WHERE gone_at < ?", (ledger_before.timestamp(),)).rowcount
    connection.execute("DELETE FROM usage WHERE id NOT IN (SELECT id FROM vectors)")
    return int(gone)


def read_usage(connection: sqlite3.Connection, ids: Iterable[str]) -> dict[str, UsageRow]:
    wanted = list(dict.fromkeys(ids))
    found: dict[str, UsageRow] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        rows = connection.execute(
            f"SELECT id, recall_count, last_recalled_at, renewed FROM usage WHERE id IN ({marks})", chunk
        )
        found.update({i: UsageRow(int(c), last, int(r)) for i, c, last, r in rows})
    return found


def read_ledger(connection: sqlite3.Connection, user_id: str, since: datetime) -> list[LedgerRow]:
    """This user's entries since `since`, oldest first."""
    rows = connection.execute(
        "SELECT id, user_id, memory_type, reason, created_at, expires_at, gone_at, recall_count, last_recalled_at,"
        " renewed FROM ledger WHERE user_id = ? AND gone_at >= ? ORDER BY gone_at, seq",
        (user_id, since.timestamp()),
    )
    return [LedgerRow(r[0], r[1], r[2] or "", *r[3:]) for r in rows]


class UsageWriter:
    """Counts in memory, written in batches on a connection of its own by a background thread, so a recall only
    adds to a dict. Every process adds its own counts to the file's (an upsert that sums), so processes sharing the
    file never lose each other's. A `kill -9` loses at most the last batch; SQLite's transaction keeps the file whole.
    """

    def __init__(self, path: str, interval: float = 2.0, batch: int = 1000) -> None:
        self._path = path
        self._interval = interval
        self._batch = batch
        self._pending: dict[str, list[float]] = {}  # id -> [recalls, last recalled (epoch), renewals]
        self._lock = threading.Lock()  # guards _pending
        self._write_lock = threading.Lock()  # one flush at a time on the writer's connection
        self._start_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._connection: sqlite3.Connection | None = None

    def recalled(self, ids: Iterable[str], now: datetime) -> None:
        moment = now.timestamp()
        with self._lock:
            for memory_id in ids:
                counts = self._pending.setdefault(memory_id, [0, 0.0, 0])
                counts[0] += 1
                counts[1] = max(counts[1], moment)
            size = len(self._pending)
        self._started()
        if size >= self._batch:
            self._wake.set()

    def renewed(self, memory_id: str) -> None:
        with self._lock:
            self._pending.setdefault(memory_id, [0, 0.0, 0])[2] += 1
        self._started()

    def _started(self) -> None:
        if self._thread is None and not self._stopped:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="usage-writer", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait(self._interval)
            self._wake.clear()
            try:
                self.flush()
            except sqlite3.Error:  # kept for the next round; a lost count is no harm, a crash of the thread would be
                logger.warning("could not write usage counters; will retry", exc_info=True)

    def flush(self) -> None:
        """Write what is pending now (the caller's thread); counts that fail to write are kept for the next flush."""
        with self._write_lock:
            with self._lock:
                pending, self._pending = self._pending, {}
            if not pending:
                return
            rows = [(i, int(c), last or None, int(r)) for i, (c, last, r) in pending.items()]
            try:
                connection = self._connect()
                connection.execute("BEGIN IMMEDIATE")
                try:
                    connection.executemany(_UPSERT, rows)
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
            except BaseException:
                with self._lock:  # put them back, merged with what came meanwhile
                    for memory_id, (c, last, r) in pending.items():
                        counts = self._pending.setdefault(memory_id, [0, 0.0, 0])
                        counts[0] += c
                        counts[1] = max(counts[1], last)
                        counts[2] += r
                raise

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False, timeout=30)
            self._connection.execute("PRAGMA busy_timeout = 30000")
            self._connection.execute("PRAGMA synchronous = NORMAL")
        return self._connection

    def close(self) -> None:
        """Write what is pending and stop the thread."""
        self._stopped = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.flush()
        except sqlite3.Error:  # counts lost, which is allowed; closing must still let go of the file
            logger.warning("could not write the last usage counters", exc_info=True)
        finally:
            with self._write_lock:
                if self._connection is not None:
                    self._connection.close()
                    self._connection = None
