"""What EXPIRING_MEMORY_SECRETS means: the policy at every write, and the sweep of secrets stored before it.

`screen` runs on what a write is about to store (its text and metadata values), before anything reaches a backend, so
under `redact` and `refuse` no secret reaches a file, Mem0's history, an LLM or a log. `stored_secrets` and `redact`
find and rewrite memories that already hold one; `check_once` does that when a store from before this check is
opened. Messages and logs name the kind of secret and the memory's id, never the secret.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from . import credentials, rules
from .backends import Backend, NewMemory, Query, StoredMemory
from .errors import InvalidRequest
from .models import Scalar

logger = logging.getLogger(__name__)

Policy = Literal["redact", "refuse", "allow"]
CHECKED = "secrets-checked"  # the one-time check of what older versions stored


@dataclass(frozen=True)
class Screened:
    """What a write may store, and which kinds of secret were replaced in it (empty: none)."""

    text: str
    metadata: dict[str, Scalar]
    redacted: list[str]


def screen(text: str, metadata: dict[str, Scalar], policy: Policy) -> Screened:
    """The text and metadata as the policy lets them be stored: secrets replaced by placeholders (redact), the
    write refused with InvalidRequest naming their kinds (refuse), or everything as given (allow)."""
    if policy == "allow":
        return Screened(text, metadata, [])
    found = credentials.find(text)
    kinds = credentials.kinds(found)
    clean_metadata: dict[str, Scalar] = {}
    for key, value in metadata.items():
        value_found = credentials.find(str(value)) if _may_hold_secret(key, value) else []
        key_found = credentials.find(key)  # a key is stored and shown as given too
        kinds += [kind for kind in credentials.kinds(key_found + value_found) if kind not in kinds]
        clean_key = credentials.redact(key, key_found) if key_found else key
        clean_metadata[clean_key] = credentials.redact(str(value), value_found) if value_found else value
    if not kinds:
        return Screened(text, metadata, [])
    if policy == "refuse":
        raise InvalidRequest(
            f"Not stored: this holds {_listed(kinds)}, and secrets are never kept in memory here "
            "(EXPIRING_MEMORY_SECRETS=refuse). Nothing was stored. Remember it without the secret, such as where the "
            "user keeps it ('the GitHub token is in the password manager'), and do not repeat the secret."
        )
    return Screened(credentials.redact(text, found), clean_metadata, kinds)


def _may_hold_secret(key: str, value: Scalar) -> bool:
    """Text; or a whole number under a key that names a card (`card`, `credit_card`, `cc`): other numbers are ids,
    amounts and counts, which are not secrets."""
    if isinstance(value, str):
        return True
    number = isinstance(value, int) and not isinstance(value, bool)
    return number and re.search(r"(?i)(?:^|[^a-z])(?:card|cc|pan|visa|amex|mastercard)(?:$|[^a-z])", key) is not None


def _listed(kinds: list[str]) -> str:
    named = [f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}" for kind in kinds]
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"


# -- what is already stored ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """A stored memory that holds secrets, and their kinds."""

    memory: StoredMemory
    kinds: list[str]


def stored_secrets(backend: Backend, user_ids: Iterable[str], now: datetime) -> list[Found]:
    """Every live memory of these users that holds a secret in its text or its metadata."""
    found: list[Found] = []
    for user_id in dict.fromkeys(user_ids):
        for memory in backend.find(Query(user_id=user_id, live_at=now)):
            screened = screen(memory.text, memory.metadata, "redact")
            if screened.redacted:
                found.append(Found(memory, screened.redacted))
    return found


def redact(backend: Backend, found: Found) -> None:
    """Rewrite one memory with its secrets replaced by placeholders: its text is embedded again, its keyword entry
    rebuilt and its twin key recomputed, and the backend keeps no copy of the old text (`Backend.rewrite`)."""
    memory = found.memory
    screened = screen(memory.text, memory.metadata, "redact")
    new = NewMemory(memory.expires_at, screened.metadata, dedup_key=rules.dedup_key(screened.text))
    backend.rewrite(memory.id, screened.text, new)


def check_once(backend: Backend, now: datetime, *, policy: Policy, user_ids: Iterable[str]) -> None:
    """Redact what a store opened for the first time since this check existed already holds, once (the store keeps
    a mark). Under `allow` nothing is checked and nothing marked, so a later switch to redact or refuse checks.
    It runs while the server loads, in the background, so the detector's import is paid there, not by a tool call."""
    if policy == "allow":
        return
    credentials.find("")  # imports detect-secrets and stdnum (about 0.2 s) now
    if backend.marked(CHECKED):
        return
    found = stored_secrets(backend, user_ids, now)
    for hit in found:
        redact(backend, hit)
        logger.warning("redacted %s stored in memory %s", ", ".join(hit.kinds), hit.memory.id)
    backend.mark(CHECKED)
    logger.info("checked the stored memories for secrets once: %d redacted", len(found))
