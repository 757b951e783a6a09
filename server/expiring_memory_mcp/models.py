"""What the tools return: the shape of one memory, and the lists around it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

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


class MemoryViewLink(BaseModel):
    url: str = Field(description="The private link to the memory view on this computer; it signs the user in.")
    already_running: bool = Field(description="True if a view was already running and is reused.")
