"""Tool arguments the schema refuses, in one line a model can act on: what the argument is, what to send, and what
was sent. Pure: it reads pydantic's errors and the tool's published input schema, nothing else.

The SDK validates a call's arguments against the tool function's signature before the tool runs and reports a
failure as pydantic's own text ("1 validation error for recallArguments ... https://errors.pydantic.dev/...").
`app.py` catches that failure and raises `ToolError(explain(...))` instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from . import credentials

# What each argument is (a noun phrase, completing "<name> must be ..."), and an example of a good value. The range
# of a number, and the longest text, come from the schema, so they cannot drift from what the schema enforces.
EXPECTED: dict[str, tuple[str, str]] = {
    "content": ("the memory itself as text", '"Prefers window seats"'),
    "query": ("text saying what to look for", '"travel preferences"'),
    "memory_type": ("one short lowercase word as a string", '"session"'),
    "memory_types": ("a list of type names", '["session"] or ["preference", "fact"]'),
    "expires_in_days": ("a positive number of days", "3, or 0.5 for 12 hours"),
    "expires_at": ("an ISO 8601 time or date as a string", '"2026-12-24T18:00:00+01:00" or "2026-12-24"'),
    "metadata": ("an object of flat key/value pairs", '{"trip": "Lisbon"}'),
    "memory_id": ("a memory's id as text (recall and expiring_soon give each memory's id)", ""),
    "permanent": ("true or false", ""),
    "within_days": ("a number of days", "7"),
    "limit": ("a whole number", ""),
}
_SHOWN = 60  # at most this much of a sent value is echoed back


def explain(error: ValidationError, arguments: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    """One sentence per refused argument (in the order the schema lists them), on one line."""
    properties: Mapping[str, Any] = schema.get("properties", {})
    refused: dict[str, bool] = {}  # argument -> whether it was missing
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else ""
        refused[name] = refused.get(name, False) or problem["type"] == "missing"
    order = list(properties)
    names = sorted(refused, key=lambda n: order.index(n) if n in order else len(order))
    return " ".join(_sentence(name, refused[name], arguments.get(name), properties.get(name, {})) for name in names)


def unknown(tool: str, sent: Sequence[str], schemas: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The arguments `tool` does not take, and which tool does, or None when every one is known. Without this, the
    SDK would drop them silently: remember_permanent would ignore expires_in_days and keep the memory for good."""
    known = list(schemas[tool].get("properties", {}))
    extra = [name for name in sent if name not in known]
    if not extra:
        return None
    listed = ", ".join(repr(credentials.redacted(name, 80)) for name in extra)
    text = f"{tool} has no argument {listed}; it takes {', '.join(known)}."
    for name in extra:
        others = [other for other, schema in schemas.items() if name in schema.get("properties", {})]
        if others:
            text += f" {' and '.join(others)} {'takes' if len(others) == 1 else 'take'} {name}."
    return text + " Nothing was changed."


def _sentence(name: str, missing: bool, value: Any, prop: Mapping[str, Any]) -> str:
    noun, example = EXPECTED.get(name, ("a value of the type the tool's input schema gives", ""))
    expected = f"{noun}{_bounds(prop)}" + (f", such as {example}" if example else "")
    if missing:
        return f"{name} is required: {expected}."
    return f"{name} must be {expected}; you sent {_shown(value)}."


def _bounds(prop: Mapping[str, Any]) -> str:
    """The schema's range or length limit in words: ', from 1 to 50', ', above 0 and at most 36500'."""
    parts = []
    if "minimum" in prop and "maximum" in prop:
        return f", from {prop['minimum']:g} to {prop['maximum']:g}"
    if "exclusiveMinimum" in prop:
        parts.append(f"above {prop['exclusiveMinimum']:g}")
    if "minimum" in prop:
        parts.append(f"at least {prop['minimum']:g}")
    if "maximum" in prop:
        parts.append(f"at most {prop['maximum']:g}")
    if "maxLength" in prop:
        parts.append(f"at most {prop['maxLength']} characters long")
    return ", " + " and ".join(parts) if parts else ""


def _shown(value: Any) -> str:
    """The sent value as JSON (json writes NaN as NaN), its secrets redacted, cut short; a long string by its length
    alone."""
    if isinstance(value, str) and len(value) > _SHOWN:
        return f"a string of {len(value)} characters"
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except ValueError:  # a circular structure: only possible in process
        text = repr(value)
    text = credentials.redact(text)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"
