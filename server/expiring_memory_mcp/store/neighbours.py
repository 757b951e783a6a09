"""A memory's neighbours in time: the memories of the same type stored just before and just after it, among those a
search may return, within a sitting of each other. Recall lets them share evidence (see `fusion`)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any


def neighbours(
    db: sqlite3.Connection,
    collection: str,
    rowids: Sequence[int],
    condition: str,
    params: Sequence[Any],
    seconds: float,
) -> dict[int, list[int]]:
    """For each of `rowids`, the rows that pass the filter condition and come just before and just after it in the
    order memories were stored, when they are of the same type and were created at most `seconds` apart."""
    if not rowids:
        return {}
    # NOT INDEXED: walk the rowids from the row outwards (a step or two) rather than the user's rows in the filter
    # index (all of them, for each row).
    around = db.execute(
        "SELECT c.value,"
        f" (SELECT rowid FROM vectors NOT INDEXED WHERE collection = ? AND {condition} AND rowid < c.value"
        " ORDER BY rowid DESC LIMIT 1),"
        f" (SELECT rowid FROM vectors NOT INDEXED WHERE collection = ? AND {condition} AND rowid > c.value"
        " ORDER BY rowid LIMIT 1)"
        " FROM json_each(?) AS c",
        (collection, *params, collection, *params, json.dumps(list(rowids))),
    ).fetchall()
    pairs = {int(r): [int(n) for n in (before, after) if n is not None] for r, before, after in around}
    involved = sorted(set(pairs) | {n for found in pairs.values() for n in found})
    facts = {
        int(r): (kind, _moment(created))
        for r, kind, created in db.execute(
            "SELECT rowid, memory_type, json_extract(payload, '$.created_at') FROM vectors"
            " WHERE rowid IN (SELECT value FROM json_each(?))",
            (json.dumps(involved),),
        )
    }
    return {row: [n for n in found if _close(facts.get(row), facts.get(n), seconds)] for row, found in pairs.items()}


def _moment(value: Any) -> float | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo is not None else None


def _close(a: tuple[Any, float | None] | None, b: tuple[Any, float | None] | None, seconds: float) -> bool:
    if a is None or b is None or a[0] != b[0] or a[1] is None or b[1] is None:
        return False
    return abs(a[1] - b[1]) <= seconds
