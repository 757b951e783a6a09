"""A Mem0 OSS store that fails, as `Unavailable`: which errors mean the store (not this code) is the problem, and a
message that names the store and what to check, without its credentials. A connection error may also come from a
model service the store's calls reach (an Ollama or OpenAI embedder, an LLM): then the message names those too."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..errors import Unavailable

REDACTED = "***"
_DIMENSIONS = re.compile(r"dimension|\bdim\b", re.IGNORECASE)  # pgvector, Qdrant, ...: a vector of the wrong size


def store_errors() -> tuple[type[Exception], ...]:
    """What a store's driver raises when the store cannot be used: a connection refused or lost, a timeout, a
    database error. Imported late: the drivers are optional, and mem0 must not be imported before
    prepare_environment."""
    import httpx

    errors: list[type[Exception]] = [OSError, sqlite3.Error, httpx.HTTPError]
    try:
        import psycopg

        errors.append(psycopg.Error)  # psycopg_pool's PoolTimeout is a psycopg.OperationalError
    except ImportError:  # pragma: no cover -- the pgvector extra is not installed
        pass
    try:
        from qdrant_client.http.exceptions import ApiException

        errors.append(ApiException)
    except ImportError:  # pragma: no cover -- qdrant-client comes with mem0
        pass
    return tuple(errors)


class StoreLabel:
    """How a Mem0 vector store is named in messages (its provider and address, never its password), and the secrets
    of its config, which are blanked out of any driver message quoted."""

    def __init__(
        self,
        provider: str,
        config: Mapping[str, Any],
        advice: str,
        *,
        embedder_advice: str = "",
        models: Mapping[str, Mapping[str, Any]] | None = None,
        models_advice: str = "",
    ) -> None:
        """`models`: the model services a call may reach over the network, by role ("embedder", "LLM"), each as
        its Mem0 config ({"provider": ..., "config": {...}}); `models_advice` what to check when one may be down."""
        models = models or {}
        self.secrets = sorted(
            {*_secrets(config), *(s for m in models.values() for s in _secrets(m.get("config") or {}))},
            key=len,
            reverse=True,
        )
        self.name = f"the {provider} store at {_address(config)}" if _address(config) else f"the {provider} store"
        self.advice = advice
        self.embedder_advice = embedder_advice  # what to do when the store's vectors come from another embedder
        self.models = ", ".join(f"the {m.get('provider', 'configured')} {role}" for role, m in models.items())
        self.models_advice = models_advice or advice

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def unavailable(self, exc: BaseException) -> Unavailable:
        detail = self.redact(" ".join(str(exc).split()))[:300] or type(exc).__name__
        if self.embedder_advice and _DIMENSIONS.search(detail):
            return Unavailable(
                f"The memory store could not be used: {self.name} holds vectors of another size than this embedder "
                f"makes ({detail}), so it was built with another embedder. {self.embedder_advice} Nothing was changed."
            )
        if self.models and _may_be_a_model_service(exc):
            return Unavailable(
                f"The memory store could not be used: {self.name}, or a model service it calls ({self.models}), "
                f"failed ({detail}). {self.models_advice} Nothing was changed; the next call tries again."
            )
        return Unavailable(
            f"The memory store could not be used: {self.name} failed ({detail}). {self.advice} Nothing was changed; "
            "the next call tries again."
        )


def _may_be_a_model_service(exc: BaseException) -> bool:
    """An HTTP or socket error: the store's own driver, or the client of a model service (Ollama's raises
    ConnectionError, an OSError) may have raised it. A database driver's errors (psycopg, sqlite3, Qdrant's) are the
    store's alone."""
    import httpx

    return isinstance(exc, httpx.HTTPError | OSError)


def _secrets(config: Mapping[str, Any]) -> list[str]:
    """Passwords and keys in a vector store's config, the password inside a connection string included."""
    found = [str(v) for k, v in config.items() if v and any(w in k.lower() for w in ("password", "api_key", "token"))]
    for key in ("connection_string", "url", "uri", *(k for k in config if k.endswith(("_url", "_uri")))):
        value = config.get(key)
        if isinstance(value, str) and "://" in value:  # a model's base URL too, such as ollama_base_url
            parts = urlsplit(value)
            found += [parts.password] if parts.password else []
            found += [v for k, v in parse_qsl(parts.query) if k == "password" and v]
        elif isinstance(value, str):  # a keyword conninfo: "host=... password=..."
            found += [p.split("=", 1)[1] for p in value.split() if p.startswith("password=") and len(p) > 9]
    return sorted({s for s in found if s}, key=len, reverse=True)


def _address(config: Mapping[str, Any]) -> str:
    """Where the store is, for people: host, port and database, or a path; no user name or password."""
    for key in ("connection_string", "url", "uri"):
        value = config.get(key)
        if isinstance(value, str) and "://" in value:
            parts = urlsplit(value)
            where = parts.hostname or dict(parse_qsl(parts.query)).get("host", "")
            port = f":{parts.port}" if parts.port else ""
            return f"{where}{port}{parts.path}"
    host = config.get("host")
    if host:
        port = f":{config['port']}" if config.get("port") else ""
        database = f"/{config['dbname']}" if config.get("dbname") else ""
        return f"{host}{port}{database}"
    return str(config.get("path") or "")
