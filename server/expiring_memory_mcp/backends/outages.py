"""A Mem0 OSS store that fails, as `Unavailable`: which errors mean the store (not this code) is the problem, and a
message that names the store and what to check, without its credentials."""

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

    def __init__(self, provider: str, config: Mapping[str, Any], advice: str, *, embedder_advice: str = "") -> None:
        self.secrets = _secrets(config)
        self.name = f"the {provider} store at {_address(config)}" if _address(config) else f"the {provider} store"
        self.advice = advice
        self.embedder_advice = embedder_advice  # what to do when the store's vectors come from another embedder

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
        return Unavailable(
            f"The memory store could not be used: {self.name} failed ({detail}). {self.advice} Nothing was changed; "
            "the next call tries again."
        )


def _secrets(config: Mapping[str, Any]) -> list[str]:
    """Passwords and keys in a vector store's config, the password inside a connection string included."""
    found = [str(v) for k, v in config.items() if v and any(w in k.lower() for w in ("password", "api_key", "token"))]
    for key in ("connection_string", "url", "uri"):
        value = config.get(key)
        if isinstance(value, str) and "://" in value:
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
