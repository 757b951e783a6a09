"""What callers may send, checked before anything is stored, and when two texts are the same memory. Pure."""

from __future__ import annotations

import hashlib
import math
import re
import uuid
from collections.abc import Mapping
from typing import Any

from . import credentials
from .errors import InvalidRequest
from .memory_types import PERMANENT_TYPES, TEMPORARY_TYPES
from .models import Scalar

# Payload keys that Mem0 or this server own; callers' metadata may not use them.
RESERVED_KEYS = frozenset(
    {
        "type",
        "expires_at",
        "dedup_key",
        "data",
        "hash",
        "created_at",
        "updated_at",
        "user_id",
        "agent_id",
        "run_id",
        "actor_id",
        "role",
        "text_lemmatized",
        "expiration_date",
        "attributed_to",
        "id",
        "memory",
        "score",
        "metadata",
        "expires_ts",
    }
)
TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
MAX_METADATA_KEYS = 32
MAX_METADATA_TEXT = 2000


def dedup_key(content: str) -> str:
    """Same text up to whitespace and case gives the same key."""
    return hashlib.sha256(" ".join(content.split()).casefold().encode()).hexdigest()[:32]


def check_text(text: str, what: str) -> None:
    """Text any store can keep: no NUL, valid Unicode."""
    if "\x00" in text:
        raise InvalidRequest(f"{what} contains a NUL character; remove it.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequest(f"{what} contains invalid Unicode (a lone surrogate); send valid text.") from None


def content(text: str, max_chars: int, what: str = "content") -> str:
    """A memory's text or a query, stripped: not empty, not too long, storable."""
    stripped = text.strip()
    if not stripped:
        raise InvalidRequest(f"{what} is empty; give the text to remember or search for.")
    if len(stripped) > max_chars:
        raise InvalidRequest(
            f"{what} has {len(stripped)} characters; the limit is {max_chars}. Send a shorter summary."
        )
    check_text(stripped, what)
    return stripped


def memory_type(value: str) -> str:
    """A memory type: a short lowercase word, and not a credential (a type is stored and listed as given)."""
    kind = value.strip().lower()
    known = kind in TEMPORARY_TYPES or kind in PERMANENT_TYPES
    if not TYPE_PATTERN.match(kind) or (not known and credentials.find(value)):  # a token is not a type to store
        raise InvalidRequest(
            f"memory_type {credentials.redacted(value, 50)!r} is not valid: use a short lowercase word such as "
            f"{', '.join(repr(t) for t in TEMPORARY_TYPES + PERMANENT_TYPES[:-1])} or {PERMANENT_TYPES[-1]!r}."
        )
    return kind


def memory_types(values: list[str] | None) -> tuple[str, ...]:
    """Types to filter on, checked, sorted and without repeats; () for every type."""
    return tuple(sorted({memory_type(v) for v in values or ()}))


def metadata(values: Mapping[str, Any] | None) -> dict[str, Scalar]:
    """The caller's metadata: flat, scalar, bounded, and clear of the keys this server owns."""
    clean: dict[str, Scalar] = {}
    for key, value in (values or {}).items():
        if not isinstance(key, str) or not key or len(key) > 64:
            raise InvalidRequest("metadata keys must be non-empty strings of at most 64 characters.")
        check_text(key, "a metadata key")
        if key in RESERVED_KEYS:
            raise InvalidRequest(f"metadata key {key!r} is reserved; rename it (for example 'my_{key}').")
        clean[key] = _scalar(key, value)
    if len(clean) > MAX_METADATA_KEYS:
        raise InvalidRequest(f"metadata may have at most {MAX_METADATA_KEYS} keys.")
    return clean


def _scalar(key: str, value: Any) -> Scalar:
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidRequest(f"metadata value for {key!r} must be a finite number.")
    if isinstance(value, str):
        check_text(value, f"metadata value for {key!r}")
        if len(value) > MAX_METADATA_TEXT:
            raise InvalidRequest(f"metadata value for {key!r} is longer than {MAX_METADATA_TEXT} characters.")
    elif value is not None and not isinstance(value, bool | int | float):
        raise InvalidRequest(
            f"metadata value for {key!r} must be a string, number, boolean or null; "
            "nested objects and lists are not supported."
        )
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**63 - 1:
        raise InvalidRequest(f"metadata value for {key!r} is too large an integer.")
    return value  # type: ignore[no-any-return]  # checked above: a str, bool, int, float or None


def is_memory_id(value: str) -> bool:
    """Every backend's ids are UUIDs; anything else is unknown without asking (Postgres would raise on it)."""
    try:
        uuid.UUID(value.strip())
    except ValueError:
        return False
    return True
