"""A local stand-in for the Mem0 Platform's REST API, for contract tests: it records every request and answers the
endpoints MemoryClient calls the way the Mem0 docs describe them. It is our reading of the docs, not the Platform.

Documented behaviour it copies:
- `Authorization: Token <key>` on every request (docs.mem0.ai/api-reference).
- POST /v3/memories/add/ is queued: it answers an `event_id`; GET /v1/event/{event_id}/ reports PENDING, then
  SUCCEEDED with the results (docs.mem0.ai/api-reference/memory/add-memories, /api-reference/events/get-event).
- v2 filters: a root of AND / OR / NOT holding a list; `{"user_id": "u"}`, `{"user_id": "*"}` (any non-null),
  `{"metadata": {"key": value}}` (exact match on top-level keys), nested AND / OR / NOT; any other top-level key is
  rejected with 400 (docs.mem0.ai/platform/features/v2-memory-filters).
- `expiration_date` is a UTC day, inclusive; search and get_all hide a memory from the day after unless
  `show_expired` is true; get by id always returns it; update with `expiration_date: null` clears it
  (docs.mem0.ai/platform/features/memory-expiration).
- get_all is paginated: `page` and `page_size` query parameters, `{"count", "next", "previous", "results"}`.

Where the docs are silent it picks the stricter reading: PUT replaces the metadata (the backend must merge).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ALLOWED_FILTER_KEYS = {
    "user_id",
    "agent_id",
    "app_id",
    "run_id",
    "created_at",
    "updated_at",
    "timestamp",
    "categories",
    "metadata",
    "keywords",
    "memory_ids",
}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Event:
    memory: dict[str, Any]
    polls_left: int  # PENDING answers before SUCCEEDED (the memory appears then)


@dataclass
class FakePlatform:
    api_key: str = "test-key"
    memories: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    events: dict[str, Event] = field(default_factory=dict)
    pending_polls: int = 1  # how many times an add's event answers PENDING
    event_ids_in_results: bool = True  # False: SUCCEEDED events carry no memory id
    fail_status: int | None = None  # answer every request with this status (an outage)
    today: Callable[[], date] = field(default=lambda: datetime.now(UTC).date())
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- what tests look at ----------------------------------------------------------------------

    def calls(self, method: str, path: str | None = None, *, prefix: bool = False) -> list[Request]:
        """The recorded requests with this method, and this path (or path prefix)."""
        return [
            r
            for r in self.requests
            if r.method == method and (path is None or r.path == path or (prefix and r.path.startswith(path)))
        ]

    def clear(self) -> None:
        self.requests.clear()

    # -- routing ---------------------------------------------------------------------------------

    def handle(self, request: Request) -> tuple[int, Any]:
        with self.lock:
            self.requests.append(request)
            if request.headers.get("authorization") != f"Token {self.api_key}":
                return 401, {"detail": "Invalid API key"}
            if self.fail_status is not None:
                return self.fail_status, {"detail": "The service is temporarily unavailable"}
            return self._route(request)

    def _route(self, request: Request) -> tuple[int, Any]:
        method, path, body = request.method, request.path, request.body
        if method == "GET" and path == "/v1/ping/":
            return 200, {"status": "ok", "org_id": "org-1", "project_id": "project-1", "user_email": None}
        if method == "POST" and path == "/v3/memories/add/":
            return self._add(body)
        if method == "POST" and path == "/v3/memories/":
            return self._get_all(body, request.query)
        if method == "POST" and path == "/v3/memories/search/":
            return self._search(body)
        if match := re.fullmatch(r"/v1/event/([^/]+)/", path):
            return self._event(match[1]) if method == "GET" else (405, {"detail": "Method not allowed"})
        if match := re.fullmatch(r"/v1/memories/([^/]+)/", path):
            memory = self.memories.get(match[1])
            if memory is None:
                return 404, {"detail": "Memory not found"}
            if method == "GET":
                return 200, memory
            if method == "PUT":
                return self._update(memory, body)
            if method == "DELETE":
                del self.memories[memory["id"]]
                return 200, {"message": "Memory deleted successfully!"}
        return 404, {"detail": f"no route for {method} {path}"}

    # -- endpoints -------------------------------------------------------------------------------

    def _add(self, body: dict[str, Any]) -> tuple[int, Any]:
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not body.get("user_id"):
            return 400, {"detail": "messages and an entity id such as user_id are required"}
        now = datetime.now(UTC).isoformat()
        memory = {
            "id": str(uuid.uuid4()),
            "memory": " ".join(str(m.get("content", "")) for m in messages),
            "user_id": body["user_id"],
            "agent_id": None,
            "app_id": None,
            "run_id": None,
            "metadata": dict(body.get("metadata") or {}),
            "categories": [],
            "expiration_date": body.get("expiration_date"),
            "created_at": now,
            "updated_at": now,
        }
        event_id = str(uuid.uuid4())
        self.events[event_id] = Event(memory, self.pending_polls)
        return 200, {
            "message": "Memory processing has been queued for background execution",
            "status": "PENDING",
            "event_id": event_id,
        }

    def _event(self, event_id: str) -> tuple[int, Any]:
        event = self.events.get(event_id)
        if event is None:
            return 404, {"detail": "Event not found"}
        if event.polls_left > 0:
            event.polls_left -= 1
            return 200, {"id": event_id, "event_type": "ADD", "status": "PENDING", "results": []}
        memory = event.memory
        self.memories.setdefault(memory["id"], memory)
        result = {"event": "ADD", "memory": memory["memory"]}
        if self.event_ids_in_results:
            result["id"] = memory["id"]
        return 200, {"id": event_id, "event_type": "ADD", "status": "SUCCEEDED", "results": [result]}

    def _update(self, memory: dict[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        if not any(key in body for key in ("text", "metadata", "expiration_date", "timestamp")):
            return 400, {"detail": "nothing to update"}
        if "text" in body:
            memory["memory"] = body["text"]
        if "metadata" in body:
            memory["metadata"] = dict(body["metadata"] or {})  # replaced, not merged
        if "expiration_date" in body:
            memory["expiration_date"] = body["expiration_date"]
        memory["updated_at"] = datetime.now(UTC).isoformat()
        return 200, memory

    def _selected(self, body: dict[str, Any]) -> list[dict[str, Any]] | tuple[int, Any]:
        filters = body.get("filters")
        if not isinstance(filters, dict):
            return 400, {"detail": "filters are required"}
        try:
            chosen = [m for m in self.memories.values() if _matches(filters, m, root=True)]
        except ValueError as exc:
            return 400, {"detail": str(exc)}
        if not body.get("show_expired"):
            chosen = [m for m in chosen if not self._date_expired(m)]
        return sorted(chosen, key=lambda m: m["created_at"], reverse=True)

    def _date_expired(self, memory: dict[str, Any]) -> bool:
        day = memory.get("expiration_date")
        return bool(day) and date.fromisoformat(day) < self.today()

    def _get_all(self, body: dict[str, Any], query: dict[str, list[str]]) -> tuple[int, Any]:
        chosen = self._selected(body)
        if isinstance(chosen, tuple):
            return chosen
        page, size = int(query.get("page", ["1"])[0]), int(query.get("page_size", ["100"])[0])
        start = (page - 1) * size
        more = start + size < len(chosen)
        return 200, {
            "count": len(chosen),
            "next": f"/v3/memories/?page={page + 1}&page_size={size}" if more else None,
            "previous": None,
            "results": chosen[start : start + size],
        }

    def _search(self, body: dict[str, Any]) -> tuple[int, Any]:
        chosen = self._selected(body)
        if isinstance(chosen, tuple):
            return chosen
        query = _words(str(body.get("query", "")))
        scored = [{**m, "score": len(query & _words(m["memory"])) / max(1, len(query))} for m in chosen]
        scored = [m for m in scored if m["score"] >= float(body.get("threshold") or 0.0)]
        scored.sort(key=lambda m: m["score"], reverse=True)
        return 200, {"results": scored[: int(body.get("top_k") or 10)]}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _matches(condition: dict[str, Any], memory: dict[str, Any], *, root: bool = False) -> bool:
    """One v2 filter condition against a memory; ValueError for what the Platform would reject."""
    if len(condition) != 1:
        raise ValueError(f"a condition holds exactly one key: {condition}")
    ((key, value),) = condition.items()
    if key in ("AND", "OR", "NOT"):
        parts = value if isinstance(value, list) else [value]
        results = [_matches(part, memory) for part in parts]
        return all(results) if key == "AND" else any(results) if key == "OR" else not any(results)
    if root:
        raise ValueError("the root of filters must be AND, OR or NOT")
    if key not in ALLOWED_FILTER_KEYS:
        raise ValueError(f"unsupported filter field {key!r}")
    if key == "metadata":
        if not isinstance(value, dict) or any(isinstance(v, dict) for v in value.values()):
            raise ValueError("metadata filters match exact top-level key values")
        meta = memory.get("metadata") or {}
        return all(k in meta and meta[k] == v for k, v in value.items())
    if key in ("user_id", "agent_id", "app_id", "run_id"):
        if value == "*":
            return memory.get(key) is not None
        if isinstance(value, dict):
            return memory.get(key) in value.get("in", [])
        return memory.get(key) == value
    raise ValueError(f"the fake does not implement filters on {key!r}")


class _Handler(BaseHTTPRequestHandler):
    platform: FakePlatform  # set on the subclass made for each server

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        headers = {name.lower(): value for name, value in self.headers.items()}
        status, answer = self.platform.handle(Request(self.command, parts.path, parse_qs(parts.query), headers, body))
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the requests are recorded instead
        pass


class FakePlatformServer:
    """The fake on 127.0.0.1, in a thread. Stop and start again (same port) to simulate an outage."""

    def __init__(self, platform: FakePlatform | None = None) -> None:
        self.platform = platform or FakePlatform()
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakePlatformServer:
        handler = type("Handler", (_Handler,), {"platform": self.platform})
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-mem0-platform", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
