"""What the tools return: the shape of one memory, and the lists around it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field, PlainSerializer

Scalar = str | int | float | bool | None


def utc_text(moment: datetime) -> str:
    """An instant as the tools show it: UTC, ISO 8601 with a Z, to the microsecond (as `retention.iso`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# Times stay aware datetimes in the service and the command line; only JSON (the tools' results, --json) has text.
Instant = Annotated[AwareDatetime, PlainSerializer(utc_text, return_type=str, when_used="json")]


class MemoryRecord(BaseModel):
    id: str = Field(description="The memory's id, for forget and renew_memory.")
    content: str
    memory_type: str
    created_at: Instant | None = Field(description="When it was first remembered, ISO 8601 UTC.")
    expires_at: Instant | None = Field(description="When it expires, ISO 8601 UTC; null for a permanent memory.")
    expiration_date: date | None = Field(description="Mem0's inclusive expiration date (UTC); null if permanent.")
    expires_in: str | None = Field(description="The time left in words, such as 'in 2 days'; null if permanent.")
    metadata: dict[str, Scalar] = Field(default_factory=dict, description="The caller's own metadata.")


class RememberedMemory(MemoryRecord):
    redacted: list[str] = Field(
        default_factory=list,
        description="The kinds of secret (such as 'github token' or 'password') that were replaced by a placeholder "
        "before anything was stored; empty when there were none. If not empty, tell the user the secret itself was "
        "not kept.",
    )


class RecalledMemory(MemoryRecord):
    score: float = Field(description="Relevance to the query, 0 to 1; higher is better.")


class MemoryList(BaseModel):
    memories: list[MemoryRecord]


class RecallResult(BaseModel):
    memories: list[RecalledMemory]


class Deleted(BaseModel):
    deleted: str = Field(description="The id of the memory that was deleted.")


class MemoryStats(BaseModel):
    user_id: str
    backend: str = Field(description="embedded, mem0 or platform.")
    location: str = Field(description="Where the memories live: the data dir, a database or a host.")
    live: int = Field(description="Live memories of this user.")
    permanent: int
    temporary: int
    by_type: dict[str, int] = Field(description="Live memories per memory_type.")
    expiring: dict[str, int] = Field(description="Temporary memories that expire within 24h, 7d and 30d.")
    swept_total: int | None = Field(
        description="Expired memories deleted so far from this database (every user's); embedded backend only."
    )
    database_bytes: int | None = Field(
        description="The memory database's size on disk, its write-ahead log included; embedded backend only."
    )


# -- Retention that learns from use: usage counters, the ledger of what was forgotten, tier advice ------------------


class Usage(BaseModel):
    """How a memory has been used: counted off the recall path, so a count may trail a recall by a second or two."""

    recall_count: int = Field(default=0, description="How many times recall returned it.")
    last_recalled_at: Instant | None = Field(default=None, description="When recall last returned it.")
    renewed: int = Field(default=0, description="How many times it was renewed (renew_memory or `renew`).")


class LedgerEntry(BaseModel):
    """A memory that is gone: when and why, with its counters, and never its text."""

    id: str
    memory_type: str
    reason: Literal["expired", "forgotten"] = Field(
        description="expired: swept when its time ran out; forgotten: deleted by request (forget)."
    )
    created_at: Instant | None
    expires_at: Instant | None = Field(description="Its expiry when it went; null if it was permanent.")
    purged_at: Instant = Field(description="When it was deleted.")
    recall_count: int
    last_recalled_at: Instant | None
    renewed: int


class Forgotten(BaseModel):
    since: Instant
    entries: list[LedgerEntry]


class TypeInsight(BaseModel):
    """One memory type over the ledger window and the live memories, and what to do about its lifetime."""

    memory_type: str
    tier_days: float | None = Field(description="Its lifetime now, in days; null for a permanent type.")
    setting: str | None = Field(description="The environment variable that sets that lifetime.")
    created: int
    live: int
    expired: int
    forgotten: int = Field(description="Deleted by request.")
    renewed: int = Field(description="Memories renewed at least once.")
    made_permanent: int
    expired_unused: int = Field(description="Expired without ever being recalled.")
    recalled_expired: int = Field(description="Expired memories that were recalled at least once.")
    recalled_late: int = Field(description="Of those, last recalled in the final 20% of their life.")
    median_age_at_last_recall_days: float | None
    enough_data: bool
    suggested_days: float | None = Field(description="A lifetime to consider; null to keep it as it is.")
    advice: str


class Insights(BaseModel):
    generated_at: Instant
    since: Instant = Field(description="The start of the ledger window the figures cover.")
    window_days: float
    types: list[TypeInsight]


class MemoryViewLink(BaseModel):
    url: str = Field(
        description="The private link to the memory view on this computer; it signs one browser in, once (call again for a new link)."
    )
    already_running: bool = Field(
        description="True if a view was already running and is reused (the link is new either way)."
    )
