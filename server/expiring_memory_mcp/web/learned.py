"""What use taught, shaped for the view: each memory's recall count in words, the ledger of forgotten memories a page
at a time under a "since" filter, and why the backend may keep none of it. Pure: no I/O, no Starlette."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..advice import days_text
from ..models import LedgerEntry, Usage
from .views import ago

LEDGER_PAGE_SIZE = 50
# The ledger's "since" filter: the key in the address, its label, how far back (None: the whole ledger window).
SINCE: dict[str, tuple[str, timedelta | None]] = {
    "7d": ("The last 7 days", timedelta(days=7)),
    "30d": ("The last 30 days", timedelta(days=30)),
    "all": ("Everything the ledger keeps", None),
}
REASONS = {"expired": "expired", "forgotten": "forgotten by request"}
ID_SHOWN = 8  # characters of an id shown; the whole id is in its title


def not_kept(backend: str) -> str:
    """What the view says where the backend keeps no usage counters and no ledger."""
    return (
        f"Not kept on this backend: the {backend} backend keeps no recall counts and no ledger of forgotten memories. "
        "The embedded backend (the default) keeps them."
    )


COUNTING_OFF = "Recall counting is off (EXPIRING_MEMORY_COUNT_RECALLS=false): no recall is counted."


def recalls(used: Usage | LedgerEntry | None, now: datetime) -> str:
    """A memory's use (a live one's, or a gone one's as the ledger kept it) in words: 'never recalled', 'recalled 3
    times, last 2 days ago; renewed once'."""
    if used is None or used.recall_count == 0:
        text = "never recalled"
    else:
        times = "once" if used.recall_count == 1 else f"{used.recall_count} times"
        text = f"recalled {times}, last {ago(used.last_recalled_at, now)}"
    if used is not None and used.renewed:
        text += "; renewed " + ("once" if used.renewed == 1 else f"{used.renewed} times")
    return text


def since_key(value: Any) -> str:
    key = str(value or "all")
    return key if key in SINCE else "all"


def since_of(key: str, now: datetime) -> datetime | None:
    """When the chosen span starts; None for the whole ledger window."""
    span = SINCE[since_key(key)][1]
    return None if span is None else now - span


@dataclass(frozen=True)
class LedgerPage:
    entries: list[LedgerEntry]  # this page's, newest first
    number: int
    count: int  # pages in all, at least 1
    total: int
    reasons: dict[str, int]  # over every page: how many expired, how many forgotten by request

    @property
    def first_index(self) -> int:
        return (self.number - 1) * LEDGER_PAGE_SIZE + 1 if self.total else 0


def ledger_page(entries: Sequence[LedgerEntry], number: int) -> LedgerPage:
    """One page of the ledger, the newest purge first (the service lists the oldest first)."""
    newest = sorted(entries, key=lambda e: e.purged_at, reverse=True)
    pages = max(1, math.ceil(len(newest) / LEDGER_PAGE_SIZE))
    number = min(max(1, number), pages)
    start = (number - 1) * LEDGER_PAGE_SIZE
    reasons = Counter[str](e.reason for e in newest)
    shown = newest[start : start + LEDGER_PAGE_SIZE]
    return LedgerPage(shown, number, pages, len(newest), {r: reasons[r] for r in REASONS})


def page_number(value: Any) -> int:
    try:
        return int(str(value or "1"))
    except ValueError:
        return 1


def short_id(memory_id: str) -> str:
    return memory_id[:ID_SHOWN]


def days(value: float | None) -> str:
    """A lifetime or an age in days as people write it: '1 day', '7 days', '0.5 days', 'under 0.1 days', 'permanent'."""
    if value is None:
        return "permanent"
    return "under 0.1 days" if value < 0.05 else days_text(value)
