"""Mem0's filter language in SQL: a filter dict becomes one SQL condition on the `vectors` table and its parameters.

Pure: builds text, runs nothing. The user, agent, run and memory type have their own indexed columns, the expiry
its own column in epoch seconds; any other payload key is read with json_extract.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

# Payload keys kept in their own indexed columns. Everything else is filtered with json_extract.
COLUMNS = {"user_id": "user_id", "agent_id": "agent_id", "run_id": "run_id", "type": "memory_type"}
EXPIRES_AT = "expires_at"  # payload key of the precise expiry instant (ISO 8601 or epoch seconds)
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def epoch(value: Any) -> float | None:
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


class Where:
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
            return epoch(value)
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
