"""The one list of memory types: which are permanent, what each is for, and each temporary tier's setting and default
lifetime. Tool descriptions, instructions, the bundle manifest, server.json and the README are derived from it or
checked against it by tests. Pure."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MemoryType:
    name: str
    what: str  # what memories of this type hold, in the words the model reads
    default_days: float | None = None  # a temporary tier's default lifetime; None for a permanent type

    @property
    def permanent(self) -> bool:
        return self.default_days is None

    @property
    def setting(self) -> str | None:
        """The Settings field of a temporary tier's lifetime, such as ttl_session_days."""
        return None if self.permanent else f"ttl_{self.name}_days"

    @property
    def env(self) -> str | None:
        """The environment variable of a temporary tier's lifetime, such as EXPIRING_MEMORY_TTL_SESSION_DAYS."""
        return None if self.setting is None else f"EXPIRING_MEMORY_{self.setting.upper()}"


MEMORY_TYPES: tuple[MemoryType, ...] = (
    MemoryType("preference", "preferences and settings"),
    MemoryType("account", "account info"),
    MemoryType("fact", "important facts"),
    MemoryType("milestone", "milestones"),
    MemoryType("session", "session context and what the user is browsing", 7),
    MemoryType("chat", "recent chat", 30),
    MemoryType("reminder", "reminders", 1),
    MemoryType("cache", "cached data", 1),
)
DEFAULT_TEMPORARY_DAYS = 7.0  # a temporary memory of a type not listed here (EXPIRING_MEMORY_TTL_DEFAULT_DAYS)

PERMANENT_TYPES: tuple[str, ...] = tuple(t.name for t in MEMORY_TYPES if t.permanent)
TEMPORARY_TYPES: tuple[str, ...] = tuple(t.name for t in MEMORY_TYPES if not t.permanent)
TIERS: tuple[MemoryType, ...] = tuple(t for t in MEMORY_TYPES if not t.permanent)
