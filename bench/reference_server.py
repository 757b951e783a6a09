"""The reference: Mem0 OSS on its default embedded store (Qdrant local), with the same embedder, as a plain MCP server.

It is what a straightforward Mem0 MCP server does: Memory.add with expiration_date, Memory.search, Memory.get_all.
Telemetry is off (on, it adds seconds to every exit and needs the network). Run: python bench/reference_server.py
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mcp.server import MCPServer

TIERS = {"session": 7, "chat": 30, "reminder": 1, "cache": 1}


def build_reference(data_dir: Path):
    """Mem0's Memory on Qdrant local under data_dir, with the bundled MiniLM embedder."""
    os.environ["MEM0_TELEMETRY"] = "False"
    os.environ.setdefault("MEM0_DIR", str(data_dir / "mem0"))
    from mem0 import Memory

    from expiring_memory_mcp.embedder import DIMS, MiniLMEmbedder

    memory = Memory.from_config(
        {
            "vector_store": {
                "provider": "qdrant",
                "config": {"path": str(data_dir / "qdrant"), "embedding_model_dims": DIMS},
            },
            "embedder": {"provider": "lmstudio", "config": {"embedding_dims": DIMS}},
            "llm": {"provider": "lmstudio", "config": {}},
            "history_db_path": str(data_dir / "history.db"),
        }
    )
    memory.embedding_model = MiniLMEmbedder()
    return memory


def main() -> None:
    data_dir = Path(os.environ["EXPIRING_MEMORY_DATA_DIR"])
    user = os.environ.get("EXPIRING_MEMORY_USER_ID", "default")
    memory = build_reference(data_dir)
    lock = threading.Lock()  # Qdrant local fails under threads (shared/REFERENCE.md)
    server = MCPServer("mem0-reference", log_level="WARNING")

    def add(content: str, memory_type: str, days: float | None) -> dict:
        expiry = None if days is None else (datetime.now(UTC) + timedelta(days=days)).date().isoformat()
        with lock:
            result = memory.add(
                content, user_id=user, metadata={"type": memory_type}, expiration_date=expiry, infer=False
            )
        return {"id": result["results"][0]["id"], "expiration_date": expiry}

    @server.tool()
    def remember_temporary(content: str, memory_type: str = "session", expires_in_days: float | None = None) -> dict:
        """Remember something temporarily."""
        return add(content, memory_type, expires_in_days or TIERS.get(memory_type, 7))

    @server.tool()
    def remember_permanent(content: str, memory_type: str = "preference") -> dict:
        """Remember something permanently."""
        return add(content, memory_type, None)

    @server.tool()
    def recall(query: str, limit: int = 5) -> dict:
        """Search memories."""
        with lock:
            found = memory.search(query, top_k=limit, filters={"user_id": user})["results"]
        return {"memories": [{"id": m["id"], "content": m["memory"], "score": m["score"]} for m in found]}

    @server.tool()
    def expiring_soon(within_days: float = 7, limit: int = 20) -> dict:
        """List memories expiring soon (Mem0 has no such query: list, then filter and sort)."""
        until = (datetime.now(UTC) + timedelta(days=within_days)).date().isoformat()
        with lock:
            listed = memory.get_all(filters={"user_id": user}, top_k=1000)["results"]
        soon = sorted(
            (m for m in listed if m.get("expiration_date") and m["expiration_date"] <= until),
            key=lambda m: m["expiration_date"],
        )
        return {"memories": [{"id": m["id"], "content": m["memory"]} for m in soon[:limit]]}

    server.run("stdio")


if __name__ == "__main__":
    main()
