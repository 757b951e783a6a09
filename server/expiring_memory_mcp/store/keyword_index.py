"""The keyword index in the file: the FTS5 table `vectors_fts`, its version, what each memory puts in it, BM25 top-k.

`keywords` decides the words (pure text in, text out); this module is where they meet SQLite. The table's rowid is
the memory's rowid in `vectors`; the store writes both in the same transaction.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from .keywords import TOKENIZER, index_text, quoted, terms

logger = logging.getLogger(__name__)

# The keyword index: its version is kept in `meta`, and an index of another version is rebuilt when a database is
# opened (1: porter unicode61; 2: diacritics folded, CJK runs indexed as character pairs).
KEYWORD_INDEX_VERSION = 2
KEYWORD_INDEX = f"CREATE VIRTUAL TABLE vectors_fts USING fts5 (text, tokenize = '{TOKENIZER}')"


def text_of(payload: Mapping[str, Any]) -> str:
    """What the keyword index holds for a memory."""
    return index_text(str(payload.get("data") or ""))


def term_queries(text: str | None) -> list[str]:
    """The FTS5 query of each term of any user text (`keywords.terms`), each safe on its own."""
    return [quoted(term) for term in terms(str(text or ""))]


def query_of(text: str | None) -> str | None:
    """The FTS5 query for any user text, its terms joined with OR; None when it has no word to look for."""
    return " OR ".join(term_queries(text)) or None


def ensure(db: sqlite3.Connection) -> None:
    """Create the keyword index, or rebuild it from the memories' text if it is of another version.

    Runs inside the caller's write transaction."""
    row = db.execute("SELECT value FROM meta WHERE key = 'keyword_index'").fetchone()
    exists = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'vectors_fts'").fetchone()
    version = row[0] if row else (1 if exists else None)
    if version == KEYWORD_INDEX_VERSION:
        return
    if exists:
        db.execute("DROP TABLE vectors_fts")
    db.execute(KEYWORD_INDEX)
    rows = db.execute("SELECT rowid, payload FROM vectors").fetchall()
    db.executemany(
        "INSERT INTO vectors_fts (rowid, text) VALUES (?, ?)", ((r, text_of(json.loads(p))) for r, p in rows)
    )
    db.execute("INSERT OR REPLACE INTO meta VALUES ('keyword_index', ?)", (KEYWORD_INDEX_VERSION,))
    if exists:
        logger.info(
            "rebuilt the keyword index of %d memories (version %s -> %d)", len(rows), version, KEYWORD_INDEX_VERSION
        )


def rare(rows_in_file: int) -> float:
    """The BM25 weight (IDF) of a word that only one memory has, as FTS5 computes it over this file's index."""
    return math.log((rows_in_file - 0.5) / 1.5) if rows_in_file > 1 else 0.0


def bm25(
    db: sqlite3.Connection,
    collection: str,
    match: str,
    top_k: int,
    also: Sequence[int],
    condition: str,
    params: Sequence[Any],
) -> dict[int, float]:
    """BM25 scores (positive, higher is better) of the `top_k` best keyword matches that pass the filters, and of
    the rows in `also` that match at all: one pass over the matches (the CTE is materialised once)."""
    rows = db.execute(
        "WITH hit AS MATERIALIZED (SELECT v.rowid AS r, -bm25(vectors_fts) AS s FROM vectors_fts"
        f" CROSS JOIN vectors v ON v.rowid = vectors_fts.rowid WHERE vectors_fts MATCH ? AND v.collection = ? AND {condition})"
        " SELECT r, s FROM (SELECT r, s FROM hit ORDER BY s DESC LIMIT ?)"
        " UNION SELECT r, s FROM hit WHERE r IN (SELECT value FROM json_each(?))",
        (match, collection, *params, int(top_k), json.dumps(also)),
    )
    return {int(r): float(score) for r, score in rows}


def term_matches(
    db: sqlite3.Connection, collection: str, queries: Sequence[str], condition: str, params: Sequence[Any]
) -> tuple[list[dict[int, float]], list[int], int]:
    """For each query term (`queries`, from `term_queries`): its BM25 share (positive) for every row that has it and passes the filters, and how many
    rows of the whole index have it; and how many rows pass the filters.

    FTS5's BM25 of an OR query is the sum of its terms' shares, each the term's weight over the whole file times how
    often the row has it (for its length): `fusion.local_bm25` re-weighs each share by how rare the term is among
    the rows searched, which this returns enough to know."""
    (searched,) = db.execute(
        f"SELECT count(*) FROM vectors WHERE collection = ? AND {condition}", (collection, *params)
    ).fetchone()
    shares: list[dict[int, float]] = []
    in_file: list[int] = []
    for match in queries:
        shares.append(
            {
                int(r): float(s)
                for r, s in db.execute(
                    "SELECT v.rowid, -bm25(vectors_fts) FROM vectors_fts CROSS JOIN vectors v"
                    f" ON v.rowid = vectors_fts.rowid WHERE vectors_fts MATCH ? AND v.collection = ? AND {condition}",
                    (match, collection, *params),
                )
            }
        )
        (n,) = db.execute("SELECT count(*) FROM vectors_fts WHERE vectors_fts MATCH ?", (match,)).fetchone()
        in_file.append(int(n))
    return shares, in_file, int(searched)
