"""Contract tests for the `platform` backend and secrets (see conftest.py here): under the default policy no secret
is ever sent to the Platform, and `secrets scan --redact` rewrites a memory stored under `allow` with one PUT that
carries the redacted text."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client

from expiring_memory_mcp.memories import MemoryService
from expiring_memory_mcp.rules import dedup_key
from fake_platform import FakePlatform, FakePlatformServer
from support import call

pytestmark = pytest.mark.anyio

GITHUB = "ghp_FAKE0123456789abcdefghijKLMNOPQRSTUV"
TEXT = f"Deploys use the GitHub token {GITHUB}"


@pytest.fixture
def policy() -> str:
    return "redact"


@pytest.fixture
def settings_overrides(server: FakePlatformServer, policy: str) -> dict[str, Any]:
    return {"mem0_api_key": "test-key", "mem0_host": server.url, "sweep_interval_seconds": 3600, "secrets": policy}


def sent(fake: FakePlatform) -> str:
    return json.dumps([request.body for request in fake.requests])


async def test_contract_a_secret_is_redacted_before_anything_is_sent_to_the_platform(
    client: Client, fake: FakePlatform
) -> None:
    memory = await call(client, "remember_permanent", content=TEXT, memory_type="account", metadata={"t": GITHUB})
    assert memory["content"] == "Deploys use the GitHub token [redacted: github token]"
    assert memory["redacted"] == ["github token"]
    assert fake.calls("POST", "/v3/memories/add/") and GITHUB not in sent(fake)


@pytest.mark.parametrize("policy", ["allow"])
async def test_contract_redacting_a_stored_secret_puts_the_redacted_text(
    client: Client, service: MemoryService, fake: FakePlatform
) -> None:
    memory = await call(client, "remember_permanent", content=TEXT, memory_type="account")
    assert fake.memories[memory["id"]]["memory"] == TEXT  # allowed: stored as given
    fake.clear()
    found = service.stored_secrets(redact=True)
    assert [(record.id, kinds) for record, kinds in found] == [(memory["id"], ["github token"])]
    (put,) = fake.calls("PUT", f"/v1/memories/{memory['id']}/")
    assert put.body["text"] == "Deploys use the GitHub token [redacted: github token]"
    assert put.body["metadata"]["dedup_key"] == dedup_key(put.body["text"])  # remembering it again refreshes it
    assert fake.memories[memory["id"]]["memory"].endswith("[redacted: github token]")
    assert GITHUB not in sent(fake)
