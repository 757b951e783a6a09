"""`SQLiteVectorStore`: Mem0's `VectorStoreBase` on one SQLite file, the methods Mem0 calls.

Writes keep a memory's `vectors` row and its keyword-index row in step, in one transaction. `search` takes the exact
cosine top-k (`vectors`) and the BM25 top-k (`keyword_index`) among the rows that pass the filters (`filters`), with
their neighbours in time (`neighbours`), and `fusion` orders them. The rest (transactions, sweeping, counts, re-embedding) is `collection.Collection`'s.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

# Mem0 ships no type information (pyproject's mypy overrides let its import be): its base class is Any to mypy.
from mem0.vector_stores.base import VectorStoreBase

from . import keyword_index
from .collection import Collection, OutputData
from .filters import EXPIRES_AT, Where, epoch
from .fusion import CONTEXT_SECONDS, Candidate, fuse, local_bm25
from .neighbours import neighbours
from .vectors import nearest, refresh, unit_bytes


class SQLiteVectorStore(Collection, VectorStoreBase):  # type: ignore[misc]  # subclassing Any: see the import
    """Implements Mem0's VectorStoreBase. One instance per collection; many may share one file.

    Parameter names are Mem0's, which passes them by keyword. The method `list` is Mem0's name too: in this class an
    annotation `list[...]` would name that method, so annotations here say `builtins.list`.
    """

    # -- writes ----------------------------------------------------------------------------------

    def _row(self, vector: Sequence[float] | np.ndarray, payload: Mapping[str, Any]) -> tuple[Any, ...]:
        return (
            payload.get("user_id"),
            payload.get("agent_id"),
            payload.get("run_id"),
            payload.get("type"),
            epoch(payload.get(EXPIRES_AT)),
            json.dumps(payload, ensure_ascii=False, allow_nan=False),
            unit_bytes(vector, self.dims),
        )

    def insert(
        self,
        vectors: Sequence[Sequence[float]],
        payloads: Sequence[Mapping[str, Any]] | None = None,
        ids: Sequence[str] | None = None,
    ) -> None:
        payloads = payloads or [{} for _ in vectors]
        if ids is None:
            raise ValueError("ids are required")
        with self.transaction():
            rev = self._file.next_rev()
            for vector, payload, vector_id in zip(vectors, payloads, ids, strict=True):
                row = self._row(vector, payload)
                (rowid,) = self._db.execute(
                    "INSERT INTO vectors (collection, id, user_id, agent_id, run_id, memory_type, expires_at,"
                    " payload, vector, rev) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING rowid",
                    (self.collection_name, str(vector_id), *row, rev),
                ).fetchone()
                text = keyword_index.text_of(payload)
                self._db.execute("INSERT INTO vectors_fts (rowid, text) VALUES (?, ?)", (rowid, text))

    def update(
        self, vector_id: str, vector: Sequence[float] | None = None, payload: Mapping[str, Any] | None = None
    ) -> None:
        with self.transaction():
            found = self._db.execute(
                "SELECT rowid, payload, vector FROM vectors WHERE collection = ? AND id = ?",
                (self.collection_name, str(vector_id)),
            ).fetchone()
            if found is None:
                raise KeyError(f"no vector with id {vector_id}")
            rowid, old_payload, old_vector = found
            new_payload = payload if payload is not None else json.loads(old_payload)
            new_vector = vector if vector is not None else np.frombuffer(old_vector, dtype=np.float32)
            row = self._row(new_vector, new_payload)
            self._db.execute(
                "UPDATE vectors SET user_id = ?, agent_id = ?, run_id = ?, memory_type = ?, expires_at = ?,"
                " payload = ?, vector = ?, rev = ? WHERE rowid = ?",
                (*row, self._file.next_rev(), rowid),
            )
            text = keyword_index.text_of(new_payload)
            self._db.execute("UPDATE vectors_fts SET text = ? WHERE rowid = ?", (text, rowid))

    def delete(self, vector_id: str) -> None:
        with self.transaction():
            self._delete_rowids(
                [
                    r
                    for (r,) in self._db.execute(
                        "SELECT rowid FROM vectors WHERE collection = ? AND id = ?",
                        (self.collection_name, str(vector_id)),
                    )
                ]
            )

    # -- reads -----------------------------------------------------------------------------------

    def search(
        self, query: str | None, vectors: Sequence[float], top_k: int = 5, filters: Mapping[str, Any] | None = None
    ) -> builtins.list[OutputData]:
        """The best `top_k` rows that pass the filters, by meaning and keywords fused (see `fusion`); scores in [0, 1].

        Candidates come from both sides: the exact cosine top-k and the BM25 top-k among the rows that pass the
        filters, BM25 weighing each term by how rare it is among those rows. Each candidate then gets both its exact
        cosine and its BM25 score, the default also its neighbours' (`neighbours`), and `fuse` orders them. Neither
        side ever comes back short while rows pass the filters.
        """
        if top_k <= 0:
            return []
        where = Where()
        condition = where.build(filters)
        probe = np.asarray(vectors, dtype=np.float32)
        probe = probe / max(float(np.linalg.norm(probe)), 1e-12)
        query_terms = keyword_index.term_queries(query) if self.ranking.uses_keywords else []
        with self._lock, self._file.read():
            cache = self._cache
            refresh(self._db, cache, self.collection_name)
            scores = cache.matrix[: cache.size] @ probe
            dense = (
                nearest(self._db, cache, self.collection_name, scores, top_k, condition, where.params)
                if self.ranking.uses_vectors
                else []
            )
            near = [int(cache.rowids[i]) for i in dense]
            bm25: dict[int, float] = {}
            full = 0.0
            if query_terms:
                shares, in_file, searched = keyword_index.term_matches(
                    self._db, self.collection_name, query_terms, condition, where.params
                )
                bm25, full = local_bm25(shares, in_file, cache.rows_in_file, searched)
            best_words = sorted(bm25, key=lambda r: (-bm25[r], r))[:top_k]
            rowids = near + sorted(set(best_words) - set(near))
            around = (
                neighbours(self._db, self.collection_name, rowids, condition, where.params, CONTEXT_SECONDS)
                if self.ranking.uses_context
                else {}
            )
            evidence = sorted(set(rowids) | {n for found in around.values() for n in found})
            cosine = dict(zip(evidence, cache.cosines(scores, evidence), strict=True))
            candidates = [Candidate(r, cosine[r], bm25.get(r, 0.0)) for r in rowids]
            context = {r: [Candidate(n, cosine[n], bm25.get(n, 0.0)) for n in found] for r, found in around.items()}
            ranked = fuse(candidates, self.ranking, full=full, neighbours=context)[:top_k]
            found = self._payloads([r for r, _ in ranked])
        return [OutputData(id=found[r][0], score=score, payload=found[r][1]) for r, score in ranked if r in found]

    def keyword_search(
        self, query: str, top_k: int = 5, filters: Mapping[str, Any] | None = None
    ) -> builtins.list[OutputData]:
        """Mem0's hook for adding its own BM25 boost to `search` results: nothing, on purpose.

        `search` has already fused keywords with meaning and calibrated the score per query; a second boost from
        Mem0 (a fixed sigmoid over raw BM25, only for vector candidates) would count the words twice. With no
        keyword results, Mem0 passes `search`'s scores through unchanged.
        """
        return []

    def get(self, vector_id: str) -> OutputData | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, payload FROM vectors WHERE collection = ? AND id = ?",
                (self.collection_name, str(vector_id)),
            ).fetchone()
        return None if row is None else OutputData(id=row[0], payload=json.loads(row[1]))

    def list(
        self, filters: Mapping[str, Any] | None = None, top_k: int | None = None
    ) -> builtins.list[builtins.list[OutputData]]:
        """Rows that pass the filters, soonest expiry first, permanent ones last (in one list, as Mem0 expects)."""
        where = Where()
        condition = where.build(filters)
        limit = -1 if top_k is None else int(top_k)
        with self._lock, self._file.read():
            rows = self._db.execute(
                f"SELECT id, payload FROM vectors WHERE collection = ? AND {condition}"
                " ORDER BY expires_at IS NULL, expires_at, rowid LIMIT ?",
                (self.collection_name, *where.params, limit),
            ).fetchall()
        return [[OutputData(id=i, payload=json.loads(p)) for i, p in rows]]

    # -- collections -----------------------------------------------------------------------------

    def create_col(self, name: str, vector_size: int, distance: str) -> None:
        """Collections are rows' `collection` values; nothing to create."""

    def list_cols(self) -> builtins.list[str]:
        with self._lock:
            return [name for (name,) in self._db.execute("SELECT DISTINCT collection FROM vectors")]

    def delete_col(self) -> None:
        with self.transaction():
            rowids = [
                r
                for (r,) in self._db.execute("SELECT rowid FROM vectors WHERE collection = ?", (self.collection_name,))
            ]
            self._delete_rowids(rowids)
        self._cache.clear()

    def col_info(self) -> dict[str, Any]:
        return {"name": self.collection_name, "count": self.count(), "path": str(self.path)}

    def reset(self) -> None:
        self.delete_col()
