"""How a failed Mem0 OSS call is worded: an HTTP or socket error may come from the store or from a model service it
calls (an embedder or LLM over HTTP), so the message names both; a database driver's error names the store alone.
Never a password or key."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg

from expiring_memory_mcp.backends.outages import StoreLabel

PASSWORD = "pg-secret-4471"
API_KEY = "sk-test-9931"
STORE = {"connection_string": f"postgresql://mem:{PASSWORD}@db.internal:5432/memories"}
MODELS = {
    "embedder": {"provider": "ollama", "config": {"ollama_base_url": f"http://u:{API_KEY}@gpu.internal:11434"}},
    "LLM": {"provider": "openai", "config": {"api_key": API_KEY}},
}
ADVICE = "Check that it is running and reachable with the settings in mem0.yaml."
MODELS_ADVICE = "Check that each is running and reachable with the settings in mem0.yaml."


def label(models: dict[str, dict[str, Any]] | None = None, models_advice: str = "") -> StoreLabel:
    return StoreLabel("pgvector", STORE, ADVICE, models=models, models_advice=models_advice)


def test_an_http_error_names_the_store_and_the_model_services_it_calls() -> None:
    error = httpx.ConnectError(f"All connection attempts failed for http://u:{API_KEY}@gpu.internal:11434/api/embed")
    message = str(label(models=MODELS, models_advice=MODELS_ADVICE).unavailable(error))
    assert message.startswith(
        "The memory store could not be used: the pgvector store at db.internal:5432/memories, or a model service it "
        "calls (the ollama embedder, the openai LLM), failed (All connection attempts failed for http://u:***@"
    ), message  # before: "the pgvector store at ... failed", blaming the store for Ollama being down
    assert message.endswith(f"{MODELS_ADVICE} Nothing was changed; the next call tries again."), message
    assert PASSWORD not in message and API_KEY not in message, message


def test_a_refused_connection_names_the_model_services_too() -> None:
    message = str(label(models=MODELS, models_advice=MODELS_ADVICE).unavailable(ConnectionRefusedError(111, "x")))
    assert "or a model service it calls (the ollama embedder, the openai LLM)" in message, message


def test_a_database_error_names_the_store_alone() -> None:
    message = str(label(models=MODELS, models_advice=MODELS_ADVICE).unavailable(psycopg.OperationalError("gone")))
    assert message == (
        f"The memory store could not be used: the pgvector store at db.internal:5432/memories failed (gone). {ADVICE} "
        "Nothing was changed; the next call tries again."
    )


def test_without_a_model_service_an_http_error_names_the_store_alone() -> None:
    message = str(label().unavailable(httpx.ConnectError("refused")))
    assert "model service" not in message, message
    assert "the pgvector store at db.internal:5432/memories failed (refused)" in message, message
