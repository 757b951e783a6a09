"""Sections 3 and 4 of `bench.run`: expired memories that crowd the candidate pool (starvation), and what is left
of them on disk after the sweep (cleanup); ours against the reference on the same vectors."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import numpy as np

from bench import common
from bench.common import USER, ms
from bench.fixtures import Scale, base_vectors, embedder, fresh

# -- 3. starvation ---------------------------------------------------------------------------------


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def starvation_case(n: int) -> tuple[bool, int, bool, int, bool, int]:
    from bench.reference_server import build_reference
    from expiring_memory_mcp.backends.embedded import EmbeddedBackend
    from expiring_memory_mcp.mem0_setup import build_memory
    from expiring_memory_mcp.memories import MemoryService
    from expiring_memory_mcp.settings import Settings

    query = "shopping for a laptop"
    live_text = "Looking at notebook computers for college"
    emb = embedder()
    probe = emb.encode([query])[0]
    rng = np.random.default_rng(n)
    closer = probe + rng.normal(0, 0.01, (n, probe.shape[0])).astype(np.float32)
    closer /= np.linalg.norm(closer, axis=1, keepdims=True)
    live_vector = emb.encode([live_text])[0][None, :]
    vectors = np.vstack([closer, live_vector])
    now = datetime.now(UTC)

    # Ours: the expired ones expire one minute from now; the clock then moves two minutes on (no sweep runs).
    ours_dir = fresh(f"starve-ours-{n}")
    payloads = [
        common.tool_payload(f"Shopping for a laptop: candidate {k}", "cache", now + timedelta(minutes=1), now)
        for k in range(n)
    ] + [common.tool_payload(live_text, "session", now + timedelta(days=7), now)]
    ids = [f"00000000-0000-4000-8000-{k:012d}" for k in range(n + 1)]
    memory, store = build_memory(ours_dir, emb)
    common.bulk_insert(store, vectors, payloads, ids)
    clock = Clock(now)
    settings = Settings(data_dir=ours_dir, user_id=USER, sweep_interval_seconds=10**9)
    service = MemoryService.open(settings, clock, lambda: EmbeddedBackend(memory, store, ours_dir))
    service.start_loading().join()  # the startup sweep: nothing has expired yet
    clock.moment = now + timedelta(minutes=2)
    found = service.recall(query, None, 5)
    ours_ok = bool(found) and found[0].content == live_text
    assert store.count() == n + 1  # the expired ones are still there: this is the filter, not the sweep

    # Reference: Mem0's own expiry (a date before today), hidden after a pool of max(4 x top_k, 60).
    ref_dir = fresh(f"starve-ref-{n}")
    yesterday = (now - timedelta(days=1)).date().isoformat()
    ref_payloads = [{**p, "expiration_date": yesterday} for p in payloads[:-1]] + [
        {**payloads[-1], "expiration_date": None}
    ]
    ref = build_reference(ref_dir)
    common.bulk_insert(ref.vector_store, vectors, ref_payloads, ids)
    top5 = ref.search(query, top_k=5, filters={"user_id": USER})["results"]
    top50 = ref.search(query, top_k=50, filters={"user_id": USER})["results"]
    ref.vector_store.client.close()
    return (
        ours_ok,
        len(found),
        any(m["memory"] == live_text for m in top5),
        len(top5),
        any(m["memory"] == live_text for m in top50),
        len(top50),
    )


def starvation(scale: Scale, out: list[str]) -> None:
    out += [
        "## 3. Starvation",
        "",
        (
            "One live memory, plus N expired memories whose vectors are closer to the query than the live one's. "
            "Ours: expired by the precise `expires_at`, not yet swept (the store still holds all N+1 rows). "
            "Reference: expired by Mem0's `expiration_date` (yesterday). Goal: ours finds the live memory at every N."
        ),
        "",
        "| N expired | ours `recall(limit=5)` | reference `search(top_k=5)` | reference `search(top_k=50)` |",
        "|---|---|---|---|",
    ]
    for n in scale.starvation:
        ok, count, ref5, n5, ref50, n50 = starvation_case(n)
        verdict = lambda hit, k: f"{'finds it' if hit else '**misses it**'} ({k} returned)"
        out.append(f"| {n:,} | {verdict(ok, count)} | {verdict(ref5, n5)} | {verdict(ref50, n50)} |")
    out.append("")


# -- 4. cleanup -------------------------------------------------------------------------------------


def cleanup(scale: Scale, out: list[str]) -> None:
    from expiring_memory_mcp.backends.embedded import EmbeddedBackend
    from expiring_memory_mcp.mem0_setup import build_memory
    from expiring_memory_mcp.memories import MemoryService
    from expiring_memory_mcp.settings import Settings

    texts, vecs = base_vectors()
    n = scale.cleanup
    now = datetime.now(UTC)
    v, _p, ids = common.realistic_mix(n, now, texts, vecs)
    payloads = [
        common.tool_payload(f"{texts[k % len(texts)]} (temporary {k})", "session", now + timedelta(hours=1), now)
        for k in range(n)
    ]

    ours_dir = fresh("cleanup-ours")
    memory, store = build_memory(ours_dir, embedder())
    clock = Clock(now)
    service = MemoryService.open(
        Settings(data_dir=ours_dir, user_id=USER), clock, lambda: EmbeddedBackend(memory, store, ours_dir)
    )
    service.start_loading().join()
    common.bulk_insert(store, v, payloads, ids)
    store.compact()  # fold the WAL in, so "before" is the settled file
    db = ours_dir / "memories.db"
    size_before, rows_before = sum(p.stat().st_size for p in ours_dir.glob("memories.db*")), store.count()
    clock.moment = now + timedelta(hours=2)
    started = time.perf_counter()
    swept = service.sweep()
    took = time.perf_counter() - started
    size_after, rows_after = sum(p.stat().st_size for p in ours_dir.glob("memories.db*")), store.count()
    leftover = db.read_bytes().count(b"(temporary ")

    from bench.reference_server import build_reference

    ref_dir = fresh("cleanup-ref")
    ref = build_reference(ref_dir)
    yesterday = (now - timedelta(days=1)).date().isoformat()
    common.bulk_insert(ref.vector_store, v, [{**p, "expiration_date": yesterday} for p in payloads], ids)
    ref_size = common.dir_bytes(ref_dir / "qdrant")
    ref_rows = ref.vector_store.client.count("mem0").count
    visible = len(ref.get_all(filters={"user_id": USER}, top_k=100)["results"])
    ref.vector_store.client.close()
    out += [
        "## 4. Cleanup",
        "",
        (
            f"{n:,} temporary memories, then the clock moves past their expiry and the sweep runs "
            "(ours: `MemoryService.sweep()`, the same call tool calls make at most every 5 minutes)."
        ),
        "",
        "| | rows before | rows after | file bytes before | file bytes after | sweep time | texts left in file |",
        "|---|---|---|---|---|---|---|",
        (
            f"| ours | {rows_before:,} | {rows_after:,} | {size_before:,} | {size_after:,} | {ms(took)} ({swept:,} deleted) "
            f"| {leftover} |"
        ),
        (
            f"| reference | {ref_rows:,} | {ref_rows:,} (Mem0 never deletes) | {ref_size:,} | {ref_size:,} | no sweep exists "
            f"| all ({visible} visible to `get_all`) |"
        ),
        "",
    ]
