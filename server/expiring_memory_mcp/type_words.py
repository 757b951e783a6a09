"""What the model reads about the memory types, in words made from the one list (memory_types.py) and the lifetimes
configured: the tools' `memory_type` descriptions and the parts of the instructions that name types. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .memory_types import MEMORY_TYPES, PERMANENT_TYPES, TEMPORARY_TYPES

DEFAULT_LIFETIMES: dict[str, float] = {t.name: t.default_days for t in MEMORY_TYPES if t.default_days is not None}


def days(count: float) -> str:
    """A number of days as it is said: 1 day, 0.5 days, 7 days."""
    return f"{count:g} day" if count == 1 else f"{count:g} days"


def joined(words: Iterable[str], last: str = "and") -> str:
    """a, b, c and d (or `last` instead of and)."""
    *head, tail = words
    return f"{', '.join(head)} {last} {tail}" if head else tail


def lifetimes(tiers: Mapping[str, float], other_days: float) -> str:
    """Each temporary type with how long it lasts, then the lifetime of any other type:
    'session 7 days, chat 30 days, reminder 1 day, cache 1 day; other types 7 days'."""
    listed = ", ".join(f"{name} {days(tiers[name])}" for name in TEMPORARY_TYPES)
    return f"{listed}; other types {days(other_days)}"


def permanent_kinds() -> str:
    """What permanent memories hold: 'preferences and settings, account info, important facts and milestones'."""
    return joined(t.what for t in MEMORY_TYPES if t.permanent)


def temporary_kinds() -> str:
    """What temporary memories hold, in the same words."""
    return joined(t.what for t in MEMORY_TYPES if not t.permanent)


def temporary_type(tiers: Mapping[str, float], other_days: float) -> str:
    """remember_temporary's `memory_type`: the temporary types with the lifetimes configured."""
    return (
        f"{joined(TEMPORARY_TYPES, 'or')}, or your own type; without an expiry they last {lifetimes(tiers, other_days)}. "
        f"A permanent type ({joined(PERMANENT_TYPES, 'or')}) needs expires_in_days or expires_at here."
    )


def permanent_type() -> str:
    """remember_permanent's `memory_type`."""
    return (
        f"{joined(PERMANENT_TYPES, 'or')}, or your own type; not {joined(TEMPORARY_TYPES, 'or')}, which are temporary."
    )
