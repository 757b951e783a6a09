"""`recall(limit=10)` on the embedded store, rebuilt from the product's own store without Mem0 or an MCP session, so
that many rankings can be compared on one stored set quickly (`bench.ceiling`, `bench.tune`).

The set's memories go into the product's `SQLiteVectorStore` as the embedded backend stores them (one file, every
user's memories in it, user by user, in the set's order; the payload keys that recall reads); each query is embedded
once. `recall` is then what Mem0 does with the store: ask it for its top max(4 × limit, 60) = 60 among the user's
memories, keep the scores of at least 0.1 and the first 10. Its figures must equal `bench.quality`'s through the
real tool, which `bench.ceiling` shows.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bench.retrieval import RetrievalSet
from expiring_memory_mcp.rules import dedup_key
from expiring_memory_mcp.store import SQLiteVectorStore
from expiring_memory_mcp.store.fusion import Ranking

TOP_K = 60  # what Mem0 asks the store for with limit 10: max(4 * limit, 60)
LIMIT = 10
THRESHOLD = 0.1  # what the service passes Mem0 (memories.RECALL_THRESHOLD)
CREATED = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Offline:
    """A set in the product's store, its queries embedded."""

    retrieval: RetrievalSet
    store: Any  # SQLiteVectorStore
    probes: np.ndarray  # the queries' embeddings, in query order

    def recall(self, n: int, ranking: Ranking, top_k: int = TOP_K) -> list[str]:
        """Query `n`'s top 10 set ids, as `recall(limit=10)` answers it with this ranking."""
        query = self.retrieval.queries[n]
        self.store.ranking = ranking
        found = self.store.search(query.text.strip(), self.probes[n], top_k=top_k, filters={"user_id": query.user})
        return [hit.id for hit in found if hit.score is not None and hit.score >= THRESHOLD][:LIMIT]

    def candidates(self, n: int) -> list[str]:
        """Every memory the default ranking considers for query `n`: its dense top 60 and its keyword top 60."""
        query = self.retrieval.queries[n]
        found: list[str] = []
        for side in ("dense", "keyword"):
            self.store.ranking = Ranking(side)  # type: ignore[arg-type]
            hits = self.store.search(query.text.strip(), self.probes[n], top_k=TOP_K, filters={"user_id": query.user})
            found += [hit.id for hit in hits if side == "dense" or (hit.score or 0) > 0]
        return list(dict.fromkeys(found))


@contextmanager
def offline(retrieval: RetrievalSet, embedder: Any) -> Iterator[Offline]:
    """The set stored in a temporary file (removed afterwards), one second apart in the set's order."""
    memories = [m for user in retrieval.users() for m in retrieval.memories if m.user == user]
    texts = [m.content.strip() for m in memories]
    with tempfile.TemporaryDirectory(prefix="expiring-memory-offline-") as folder:
        store = SQLiteVectorStore(Path(folder) / "memories.db", embedding_model_dims=embedder.dims)
        try:
            payloads = [
                {
                    "data": text,
                    "user_id": m.user,
                    "type": m.memory_type,
                    "expires_at": None,
                    "dedup_key": dedup_key(text),
                    "created_at": (CREATED + timedelta(seconds=n)).isoformat(),
                }
                for n, (m, text) in enumerate(zip(memories, texts, strict=True))
            ]
            for start in range(0, len(memories), 512):
                end = start + 512
                store.insert(
                    embedder.encode(texts[start:end]).tolist(),
                    payloads[start:end],
                    [m.id for m in memories[start:end]],
                )
            probes = embedder.encode([q.text.strip() for q in retrieval.queries], query=True)
            yield Offline(retrieval, store, probes)
        finally:
            store.close()
