"""Tier advice: from how memories of each type were used (the ledger of what went, the live ones and their
counters), the figures per type and a concrete recommendation for its lifetime. Pure; the time is given.

The rules, per temporary type, over the ledger window:
- fewer than MIN_EXPIRED memories expired: too little data, say so and advise nothing;
- lengthen (by half, up to the longest allowed) when at least LATE_SHARE of the recalled expired memories were last
  recalled in the final 20% of their life, or at least RENEWED_SHARE of the memories were renewed: people still
  needed them when they went;
- shorten when at least UNUSED_SHARE expired without ever being recalled and none was recalled late, to 1.5 times the
  age by which nine in ten recalled memories had their last recall (or half the tier if none was ever recalled), if
  that is shorter; a tier of a day or less is fine as it is;
- otherwise the tier fits.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from .memory_types import MEMORY_TYPES, PERMANENT_TYPES
from .models import Insights, TypeInsight
from .retention import RetentionPolicy

MIN_EXPIRED = 10
FINAL_PART = 0.2  # "late": in the final 20% of a memory's life
LATE_SHARE = 0.25
RENEWED_SHARE = 0.2
UNUSED_SHARE = 0.8
DEFAULT_ENV = "EXPIRING_MEMORY_TTL_DEFAULT_DAYS"


@dataclass(frozen=True)
class Life:
    """One memory as the advice sees it: live, or gone from the ledger; no text."""

    memory_type: str
    outcome: Literal["live", "expired", "forgotten"]
    created_at: datetime | None
    expires_at: datetime | None  # None: permanent
    recall_count: int = 0
    last_recalled_at: datetime | None = None
    renewed: int = 0

    @property
    def age_at_last_recall(self) -> timedelta | None:
        if self.last_recalled_at is None or self.created_at is None:
            return None
        return max(self.last_recalled_at - self.created_at, timedelta(0))

    @property
    def recalled_late(self) -> bool:
        """Last recalled in the final 20% of its life (from creation to its expiry)."""
        age = self.age_at_last_recall
        if age is None or self.expires_at is None or self.created_at is None:
            return False
        return age >= (self.expires_at - self.created_at) * (1 - FINAL_PART)


def days_text(days: float) -> str:
    value = f"{days:.1f}".rstrip("0").rstrip(".")
    return f"{value} day" if value == "1" else f"{value} days"


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "0%"


def nice_days(days: float) -> float:
    """A lifetime people would set: whole days, at least one."""
    return float(max(1, math.ceil(days - 1e-9)))


def _order(kinds: Iterable[str]) -> list[str]:
    known = [t.name for t in MEMORY_TYPES]
    return sorted(set(kinds) | set(known), key=lambda k: (k not in known, known.index(k) if k in known else 0, k))


def insights(lives: Iterable[Life], policy: RetentionPolicy, now: datetime, window_days: float) -> Insights:
    """Figures and advice for every known type and every type seen."""
    by_type: dict[str, list[Life]] = defaultdict(list)
    for life in lives:
        by_type[life.memory_type].append(life)
    since = now - timedelta(days=window_days)
    types = [advise(kind, by_type.get(kind, []), policy, since) for kind in _order(by_type)]
    return Insights(generated_at=now, since=since, window_days=window_days, types=types)


def _env(kind: str) -> str:
    return next((t.env for t in MEMORY_TYPES if t.name == kind and t.env), DEFAULT_ENV)


def advise(kind: str, lives: list[Life], policy: RetentionPolicy, since: datetime) -> TypeInsight:
    """The figures for one type, and the recommendation the module's rules give."""
    permanent = kind in PERMANENT_TYPES
    tier = None if permanent else policy.ttl_for(kind) / timedelta(days=1)
    expired = [life for life in lives if life.outcome == "expired"]
    recalled_expired = [life for life in expired if life.recall_count > 0]
    late = [life for life in recalled_expired if life.recalled_late]
    ages = [a / timedelta(days=1) for life in lives if (a := life.age_at_last_recall) is not None]
    renewed = sum(1 for life in lives if life.renewed > 0)
    figures = TypeInsight(
        memory_type=kind,
        tier_days=tier,
        setting=None if permanent else _env(kind),
        created=sum(1 for life in lives if life.created_at is not None and life.created_at >= since),
        live=sum(1 for life in lives if life.outcome == "live"),
        expired=len(expired),
        forgotten=sum(1 for life in lives if life.outcome == "forgotten"),
        renewed=renewed,
        made_permanent=0 if permanent else sum(1 for life in lives if life.expires_at is None),  # live or forgotten
        expired_unused=len(expired) - len(recalled_expired),
        recalled_expired=len(recalled_expired),
        recalled_late=len(late),
        median_age_at_last_recall_days=round(statistics.median(ages), 2) if ages else None,
        enough_data=True,
        suggested_days=None,
        advice="",
    )
    if tier is None:
        advice = f"{kind}: permanent, kept until forgotten; nothing to tune."
        return figures.model_copy(update={"advice": advice})
    if len(expired) < MIN_EXPIRED:
        advice = (
            f"{kind}: too little data to advise: {len(expired)} {kind} {'memory' if len(expired) == 1 else 'memories'}"
            f" expired in the window, at least "
            f"{MIN_EXPIRED} are needed; {days_text(tier)} stays as it is."
        )
        return figures.model_copy(update={"enough_data": False, "advice": advice})
    suggested, advice = _rule(kind, tier, policy, lives, expired, recalled_expired, late, ages, renewed)
    return figures.model_copy(update={"suggested_days": suggested, "advice": advice})


def _rule(
    kind: str,
    tier: float,
    policy: RetentionPolicy,
    lives: list[Life],
    expired: list[Life],
    recalled_expired: list[Life],
    late: list[Life],
    ages: list[float],
    renewed: int,
) -> tuple[float | None, str]:
    env = _env(kind)
    also = " (it sets every type without a tier of its own)" if env == DEFAULT_ENV else ""
    final = days_text(tier * FINAL_PART)
    late_share = len(late) / len(recalled_expired) if recalled_expired else 0.0
    unused = len(expired) - len(recalled_expired)
    if late_share >= LATE_SHARE or renewed / len(lives) >= RENEWED_SHARE:
        longest = policy.max_ttl / timedelta(days=1)
        new = min(nice_days(tier * 1.5), longest)
        why = (
            f"{kind}: {percent(len(late), len(recalled_expired))} of recalled {kind} memories were last recalled in "
            f"their final {final}, and {renewed} were renewed"
        )
        if new <= tier:
            return None, f"{why}; {days_text(tier)} is already the longest allowed (EXPIRING_MEMORY_MAX_TTL_DAYS)."
        return new, f"{why}; consider {days_text(new)} ({env}={new:g}){also}."
    if unused / len(expired) >= UNUSED_SHARE and not late:
        why = f"{kind}: {percent(unused, len(expired))} expired unused"
        if tier <= 1:
            return None, f"{why}; {days_text(tier)} is fine."
        if ages:
            reach = statistics.quantiles(ages, n=10, method="inclusive")[-1] if len(ages) > 1 else ages[0]
            new = nice_days(reach * 1.5)
            day = f"{reach:.1f}".removesuffix(".0")
            why += f", and nine in ten recalled ones had their last recall by day {day}"
        else:
            new = nice_days(tier / 2)
            why += " and none was ever recalled"
        if new >= tier:
            return None, f"{why}; {days_text(tier)} is fine."
        return new, f"{why}; consider {days_text(new)} ({env}={new:g}){also}."
    return None, (
        f"{kind}: {percent(len(late), len(recalled_expired))} of recalled {kind} memories were last recalled in their "
        f"final {final}, {percent(unused, len(expired))} expired unused and {renewed} were renewed; "
        f"{days_text(tier)} fits."
    )
