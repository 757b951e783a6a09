"""The SQLite file: one connection opened with its pragmas and tables, its transactions, and its upkeep.

Every collection's rows live in the one `vectors` table (WAL mode, owner-only permissions); `meta` holds a revision
counter that every write transaction bumps, the keyword index's version and per-collection counters.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from . import keyword_index, usage

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
-- A user's memories in listing order (soonest expiry first, permanent last), with their type: a limited listing
-- reads only its rows, and the memory view's counts read this index alone.
CREATE INDEX IF NOT EXISTS vectors_listing ON vectors (collection, user_id, expires_at IS NULL, expires_at, memory_type);
"""


def make_private(path: Path) -> None:
    """A database file and its -wal and -shm files, if there: readable and writable by the owner only."""
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            os.chmod(file, 0o600)
        except FileNotFoundError:  # -wal and -shm come and go with connections
            pass


class Database:
    """One connection to the file, shared by the threads of one store; `lock` guards it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.RLock()
        self._depth = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        make_private(path)  # before journal_mode: SQLite gives the -wal and -shm files the database's mode
        self.connection.execute("PRAGMA busy_timeout = 30000")
        self.connection.execute("PRAGMA auto_vacuum = INCREMENTAL")  # takes effect only on a new file
        self.connection.execute("PRAGMA journal_mode = WAL")
        self.connection.execute("PRAGMA synchronous = NORMAL")  # in WAL: durable across process crashes
        self.connection.execute("PRAGMA secure_delete = ON")  # deleted memories are zeroed, not left in free pages
        with self.transaction():
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self.connection.execute(statement)
            keyword_index.ensure(self.connection)
            usage.ensure(self.connection)  # usage counters and the ledger of what was forgotten
        make_private(path)  # again, for -wal and -shm files an older version left readable

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (BEGIN IMMEDIATE); nested calls join the outer one.

        Held across a read-then-write (such as Mem0 refreshing a twin), it makes that sequence atomic
        across every process sharing the file.
        """
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.connection.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._depth = 0
                self.connection.execute("ROLLBACK")
                raise
            self._depth = 0
            self.connection.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[None]:
        """A consistent snapshot across the statements of one read (joins a write transaction if one is open).

        The caller holds `lock`."""
        if self._depth:
            yield
            return
        self.connection.execute("BEGIN")
        try:
            yield
        finally:
            self.connection.execute("COMMIT")

    def next_rev(self) -> int:
        """Bump the file's revision counter (inside a write transaction); every row written is stamped with it."""
        (rev,) = self.connection.execute(
            "UPDATE meta SET value = value + 1 WHERE key = 'rev' RETURNING value"
        ).fetchone()
        return int(rev)

    def compact(self) -> None:
        """Merge the FTS index, give free pages back to the file system and fold the WAL into the file."""
        with self.lock:
            self.connection.execute("INSERT INTO vectors_fts (vectors_fts) VALUES ('optimize')")
            self.connection.executescript("PRAGMA incremental_vacuum;")  # execute() would step once: one page
            self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def size_bytes(self) -> int:
        """The database file's size on disk, its write-ahead log included."""
        files = (self.path, self.path.with_name(self.path.name + "-wal"))
        return sum(f.stat().st_size for f in files if f.exists())

    def close(self) -> None:
        with self.lock:
            self.connection.close()
