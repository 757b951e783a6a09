"""What every section of `bench.run` shares: the scales, fresh folders in one work dir, the three servers, and the
shared data. Importing it points Mem0 and onnxruntime at the work dir, with no telemetry."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WORK = Path(tempfile.mkdtemp(prefix="expiring-memory-bench-"))
os.environ["MEM0_TELEMETRY"] = "False"
os.environ["MEM0_DIR"] = str(WORK / "mem0")
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

import numpy as np

from bench import common
from bench.common import BIN, DATA, ROOT, Server, base_env


@dataclass(frozen=True)
class Scale:
    name: str
    cold_runs: int
    sizes: tuple[int, ...]
    calls: int
    reference_calls_at_100k: int
    starvation: tuple[int, ...]
    cleanup: int
    throughput_seconds: float


SCALES = {
    "smoke": Scale("smoke", 1, (1000,), 8, 3, (60, 200), 500, 1.5),
    "full": Scale("full", 10, (1000, 10_000, 100_000), 50, 5, (60, 1000, 10_000), 10_000, 20.0),
}


def ours(data_dir: Path) -> Server:
    return Server("expiring-memory-mcp", [str(BIN / "expiring-memory-mcp")], base_env(data_dir))


def reference(data_dir: Path) -> Server:
    env = base_env(data_dir, MEM0_DIR=str(data_dir / "mem0"), PYTHONPATH=str(ROOT))
    return Server("Mem0 + Qdrant local", [sys.executable, str(ROOT / "bench" / "reference_server.py")], env)


def bare(data_dir: Path) -> Server:
    code = "from mcp.server import MCPServer; MCPServer('bare').run('stdio')"
    return Server("bare MCPServer", [sys.executable, "-c", code], base_env(data_dir))


def fresh(name: str) -> Path:
    path = WORK / name
    shutil.rmtree(path, ignore_errors=True)
    (path / "home").mkdir(parents=True)
    return path


# -- shared data ----------------------------------------------------------------------------------

_EMBEDDER: Any = None


def embedder() -> Any:
    global _EMBEDDER
    if _EMBEDDER is None:
        from expiring_memory_mcp.embedder import MiniLMEmbedder

        _EMBEDDER = MiniLMEmbedder()
    return _EMBEDDER


def dataset() -> tuple[list[dict], list[dict]]:
    return common.load_jsonl(DATA / "memories.jsonl"), common.load_jsonl(DATA / "queries.jsonl")


def base_vectors() -> tuple[list[str], np.ndarray]:
    texts = [m["content"] for m in dataset()[0]]
    return texts, embedder().encode(texts)


def preload_ours(data_dir: Path, vectors: np.ndarray, payloads: list[dict], ids: list[str]) -> float:
    from expiring_memory_mcp.store import SQLiteVectorStore

    store = SQLiteVectorStore(data_dir / "memories.db")
    took = common.bulk_insert(store, vectors, payloads, ids)
    store.close()
    return took


def preload_reference(data_dir: Path, vectors: np.ndarray, payloads: list[dict], ids: list[str]) -> float:
    from mem0.vector_stores.qdrant import Qdrant

    store = Qdrant(collection_name="mem0", embedding_model_dims=384, path=str(data_dir / "qdrant"))
    took = common.bulk_insert(store, vectors, payloads, ids)
    store.client.close()
    return took
