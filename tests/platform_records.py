"""What the contract tests compare with the fake's records: the UTC day the Platform keeps as an expiration date,
and a memory put straight into the fake, shaped as this server stores them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from expiring_memory_mcp.backends import PERMANENT_TS
from expiring_memory_mcp.retention import iso
from fake_platform import FakePlatform


def day(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


def our_memory(fake: FakePlatform, user_id: str, text: str, expires: datetime | None) -> str:
    """A memory put straight into the fake, shaped as this server stores them."""
    memory_id = str(uuid.uuid4())
    fake.memories[memory_id] = {
        "id": memory_id,
        "memory": text,
        "user_id": user_id,
        "agent_id": None,
        "app_id": None,
        "run_id": None,
        "metadata": {
            "type": "cache",
            "dedup_key": memory_id[:8],
            "created_at": iso(datetime.now(UTC)),
            "expires_at": iso(expires) if expires else None,
            "expires_ts": expires.timestamp() if expires else PERMANENT_TS,
        },
        "expiration_date": day(expires) if expires else None,
        "created_at": datetime.now(UTC).isoformat(),
    }
    return memory_id
