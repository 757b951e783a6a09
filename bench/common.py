"""Shared pieces of the benchmark: statistics, data shaped as the tools write it, and stdio MCP sessions."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
BIN = Path(sys.executable).parent
USER = "bench-user"

# -- statistics -----------------------------------------------------------------------------------


@dataclass
class Sample:
    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def p95(self) -> float:
        ordered = sorted(self.values)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def secs(seconds: float) -> str:
    return f"{seconds:.2f} s"


def ratio(reference: float, ours: float) -> str:
    return f"{reference / ours:.1f}×" if ours > 0 else "n/a"


def mib(n: float) -> str:
    return f"{n / 2**20:.1f} MiB"


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def machine() -> dict[str, str]:
    from importlib.metadata import version

    import mcp  # noqa: F401

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "os": platform.platform(),
        "cpu": f"{cpu} × {os.cpu_count()}",
        "mcp": version("mcp"),
        "mem0ai": version("mem0ai"),
        "qdrant-client": version("qdrant-client"),
        "onnxruntime": version("onnxruntime"),
        "numpy": version("numpy"),
    }


# -- data shaped exactly as the tools write it ----------------------------------------------------

PERMANENT = ["preference", "account", "fact", "milestone"]
TEMPORARY = ["session", "chat", "reminder", "cache"]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def tool_payload(text: str, memory_type: str, expires_at: datetime | None, now: datetime, user: str = USER) -> dict:
    """The Mem0 payload a remember_* tool call stores (see memories.py and Mem0's _create_memory)."""
    created = iso(now)
    return {
        "type": memory_type,
        "expires_at": iso(expires_at) if expires_at else None,
        "dedup_key": hashlib.sha256(" ".join(text.split()).casefold().encode()).hexdigest()[:32],
        "created_at": created,
        "user_id": user,
        "role": "user",
        "data": text,
        "hash": hashlib.md5(text.encode()).hexdigest(),
        "updated_at": created,
        "text_lemmatized": text,
        "expiration_date": expires_at.date().isoformat() if expires_at else None,
        "expires_ts": expires_at.timestamp() if expires_at else 253402300799.0,  # what range-filtering stores use
    }


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def realistic_mix(n: int, now: datetime, base_texts: list[str], base_vectors: np.ndarray, seed: int = 7):
    """n memories: 40% permanent, 50% live temporary (1-60 days left), 10% already expired.

    Texts and vectors are the retrieval set's, varied (a suffix, and noise on the unit vector) so that
    n can be 100k without embedding 100k texts.
    """
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(base_texts), n)
    noise = rng.normal(0, 0.04, (n, base_vectors.shape[1])).astype(np.float32)
    vectors = base_vectors[picks] + noise
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    roll = rng.random(n)
    payloads, ids = [], []
    for i in range(n):
        text = f"{base_texts[picks[i]]} (note {i})"
        if roll[i] < 0.4:
            kind, expiry = PERMANENT[i % 4], None
        elif roll[i] < 0.9:
            kind, expiry = TEMPORARY[i % 4], now + timedelta(days=float(rng.uniform(1, 60)))
        else:
            kind, expiry = TEMPORARY[i % 4], now - timedelta(days=float(rng.uniform(1, 30)))
        payloads.append(tool_payload(text, kind, expiry, now))
        ids.append(str(uuid.uuid4()))
    return vectors, payloads, ids


def bulk_insert(store: Any, vectors: np.ndarray, payloads: list[dict], ids: list[str], batch: int = 1000) -> float:
    started = time.perf_counter()
    for start in range(0, len(ids), batch):
        store.insert(
            vectors=vectors[start : start + batch].tolist(),
            payloads=payloads[start : start + batch],
            ids=ids[start : start + batch],
        )
    return time.perf_counter() - started


# -- stdio MCP sessions ---------------------------------------------------------------------------


def child_pids() -> set[int]:
    me = str(os.getpid())
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me:
            pids.add(int(stat.parent.name))
    return pids


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@dataclass
class Server:
    """How to spawn one MCP server under test."""

    name: str
    command: list[str]
    env: dict[str, str]


def base_env(data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(data_dir / "home"),
        "EXPIRING_MEMORY_DATA_DIR": str(data_dir),
        "EXPIRING_MEMORY_USER_ID": USER,
        "EXPIRING_MEMORY_LOG_LEVEL": "WARNING",
        "MEM0_TELEMETRY": "False",
        **extra,
    }


@asynccontextmanager
async def session(server: Server) -> AsyncIterator[tuple[Any, int]]:
    """A real stdio MCP session (the SDK client) and the server's pid."""
    from mcp import Client, StdioServerParameters

    before = child_pids()
    params = StdioServerParameters(command=server.command[0], args=server.command[1:], env=server.env)
    async with Client(params) as client:
        pid = next(iter(child_pids() - before), 0)
        yield client, pid


async def timed_calls(client: Any, make_call: Callable[[int], tuple[str, dict]], count: int) -> Sample:
    values = []
    for i in range(count):
        name, arguments = make_call(i)
        started = time.perf_counter()
        result = await client.call_tool(name, arguments)
        values.append(time.perf_counter() - started)
        if result.is_error:
            raise RuntimeError(f"{name} failed: {result.content}")
    return Sample(values)
