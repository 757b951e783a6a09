"""The mem0 backend with an LLM and EXPIRING_MEMORY_INFER: Mem0's own OpenAI provider, pointed through the config
file at a local OpenAI-compatible stand-in that answers with the facts a test sets. The store is real pgvector.

What is checked is ours: every memory Mem0's LLM creates carries our type and expiry, expires on time, and an
expired fact does not make Mem0 think the same new fact is already known."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from expiring_memory_mcp.settings import Settings
from support import PgDatabase, call, contents

pytestmark = [pytest.mark.anyio, pytest.mark.slow]  # Postgres


class FakeLLM:
    """POST /v1/chat/completions answers {"memory": [{"text": fact}, ...]} with the facts set for the next call."""

    def __init__(self) -> None:
        self.facts: list[str] = []
        self.prompts: list[str] = []
        llm = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                llm.prompts.append(body["messages"][-1]["content"])
                content = json.dumps({"memory": [{"text": fact} for fact in llm.facts]})
                answer = json.dumps(
                    {
                        "id": "chatcmpl-test",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body["model"],
                        "choices": [
                            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
                        ],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    fake = FakeLLM()
    yield fake
    fake.close()


@pytest.fixture
def settings(
    data_dir: Path, pg_config: Path, llm: FakeLLM, tmp_path: Path, settings_overrides: dict[str, Any]
) -> Settings:
    config = tmp_path / "mem0-llm.yaml"
    config.write_text(
        pg_config.read_text() + f"llm:\n  provider: openai\n  config:\n    model: gpt-test\n    api_key: sk-test\n"
        f"    openai_base_url: {llm.url}\n"
    )
    return Settings(
        data_dir=data_dir, user_id="alice", backend="mem0", mem0_config=config, infer=True, **settings_overrides
    )


@pytest.fixture
def db(postgres: str, pg_collection: str, data_dir: Path) -> PgDatabase:
    return PgDatabase(postgres, pg_collection, data_dir)


async def test_facts_the_llm_extracts_carry_our_type_and_expiry_and_expire_on_time(client, clock, llm, db) -> None:
    llm.facts = ["Alex is flying to Lisbon on Friday", "Alex needs a hotel near the airport"]
    first = await call(
        client,
        "remember_temporary",
        content="I fly to Lisbon Friday, find me an airport hotel",
        memory_type="session",
        expires_in_days=3,
    )

    assert "I fly to Lisbon Friday" in llm.prompts[-1]  # Mem0 asked the LLM, with our text
    assert first["content"] == "Alex is flying to Lisbon on Friday"
    assert first["memory_type"] == "session" and first["expires_in"] == "in 3 days"
    listed = (await call(client, "expiring_soon", within_days=4))["memories"]
    assert sorted(m["content"] for m in listed) == sorted(llm.facts)
    assert {(m["memory_type"], m["expires_at"]) for m in listed} == {("session", first["expires_at"])}

    clock.advance(days=3)
    assert (await call(client, "recall", query="Lisbon trip"))["memories"] == []
    assert db.count_rows() == 0  # the sweep deleted both


@pytest.mark.parametrize("settings_overrides", [{"sweep_interval_seconds": 10**9}])  # no periodic sweep
async def test_an_expired_fact_does_not_make_the_same_new_fact_look_known(client, clock, llm) -> None:
    llm.facts = ["Alex's parking spot is B12"]
    await call(client, "remember_temporary", content="I parked in B12", memory_type="cache", expires_in_days=1)
    clock.advance(days=2)
    again = await call(client, "remember_temporary", content="Parked in B12 again", memory_type="cache")

    assert again["content"] == "Alex's parking spot is B12"  # stored anew, not dropped as a duplicate
    assert contents(await call(client, "recall", query="parking spot")) == ["Alex's parking spot is B12"]


async def test_when_the_llm_finds_nothing_the_text_is_stored_as_given(client, llm) -> None:
    llm.facts = []
    stored = await call(client, "remember_permanent", content="Prefers aisle seats", memory_type="preference")
    assert stored["content"] == "Prefers aisle seats"
    assert stored["expires_at"] is None
