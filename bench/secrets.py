"""Precision and recall of secret detection per class, and false positives on ordinary memories.

`python -m bench.secrets` reads bench/data/secrets/ (written by `python -m bench.secrets_corpus`), runs
`credentials.find` on every entry and writes bench/SECRETS.md. A true secret counts as found when none of it is left
in the redacted text; a finding counts as right when it covers part of a true secret. Detection time is per entry,
after the first call (which imports detect-secrets and stdnum, timed separately).
"""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from expiring_memory_mcp import credentials

HERE = Path(__file__).parent
DATA = HERE / "data" / "secrets"
REPORT = HERE / "SECRETS.md"


@dataclass
class Result:
    recall: dict[str, tuple[int, int]]  # class: (found, total)
    precision: dict[str, tuple[int, int]]  # kind reported: (right, reported)
    false_positives: dict[str, tuple[int, int]]  # ordinary group: (with a finding, total)
    misses: list[str]
    flagged: list[str]
    first_call_s: float
    per_entry_ms: list[float]


def load(name: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]


def _covers(finding: credentials.Finding, text: str, secret: str) -> bool:
    start = text.find(secret)
    return start >= 0 and finding.start < start + len(secret) and finding.end > start


def evaluate(names: tuple[str, ...] = ("secrets.jsonl", "ordinary.jsonl")) -> Result:
    """The generated corpus by default; ("held_out.jsonl",) for the hand-written set."""
    rows = [row for name in names for row in load(name)]
    secrets, ordinary = [r for r in rows if "secret" in r], [r for r in rows if "secret" not in r]
    started = time.perf_counter()
    credentials.find("warm up")
    first = time.perf_counter() - started
    recall: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    precision: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    false_positives: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses: list[str] = []
    flagged: list[str] = []
    times: list[float] = []
    for entry in secrets:
        t = time.perf_counter()
        found = credentials.find(entry["text"])
        times.append((time.perf_counter() - t) * 1000)
        gone = entry["secret"] not in credentials.redact(entry["text"], found)
        recall[entry["class"]][0] += gone
        recall[entry["class"]][1] += 1
        if not gone:
            misses.append(f"{entry['class']}: {entry['text'][:100]!r}")
        for finding in found:
            precision[finding.kind][0] += _covers(finding, entry["text"], entry["secret"])
            precision[finding.kind][1] += 1
    for entry in ordinary:
        t = time.perf_counter()
        found = credentials.find(entry["text"])
        times.append((time.perf_counter() - t) * 1000)
        false_positives[entry["group"]][0] += bool(found)
        false_positives[entry["group"]][1] += 1
        for finding in found:
            precision[finding.kind][1] += 1
            flagged.append(f"{entry['group']}: {entry['text'][:100]!r} as {finding.kind}")
    return Result(
        {k: (v[0], v[1]) for k, v in recall.items()},
        {k: (v[0], v[1]) for k, v in sorted(precision.items())},
        {k: (v[0], v[1]) for k, v in false_positives.items()},
        misses,
        flagged,
        first,
        times,
    )


def totals(pairs: dict[str, tuple[int, int]]) -> tuple[int, int]:
    return sum(a for a, _ in pairs.values()), sum(b for _, b in pairs.values())


def ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "-"


def report(result: Result) -> str:
    found, total = totals(result.recall)
    fp, ordinary = totals(result.false_positives)
    seeded = sum(b for k, (_, b) in result.false_positives.items() if k.startswith("bench memories"))
    ms = sorted(result.per_entry_ms)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    lines = [
        "# Secret detection",
        "",
        "Written by `python -m bench.secrets` on the corpus that `python -m bench.secrets_corpus` writes to",
        (
            f"`bench/data/secrets/`: {total} fake secrets in {len(result.recall)} classes, each inside a sentence, and "
            f"{ordinary} ordinary memories: {ordinary - seeded} written to look close (ids, order and tracking numbers, "
            "dates, phone numbers, hashes in code-review notes, UUIDs, versions, public keys, secrets talked about but "
            f"not given, checksum-invalid lookalikes) and the {seeded} memories of `bench/data/memories.jsonl`, account "
            "info among them. A secret is found when none of it is left in the redacted text."
        ),
        "",
        (
            f"**Recall {ratio(found, total)}** ({found} of {total}); **false positives on ordinary memories "
            f"{fp / ordinary:.2%}** ({fp} of {ordinary}). Done when recall ≥ 0.98 and false positives ≤ 1%."
        ),
        "",
        "## Recall per class",
        "",
        "| class | found | recall |",
        "|---|---|---|",
        *(f"| {k} | {a} of {b} | {ratio(a, b)} |" for k, (a, b) in result.recall.items()),
        "",
        "## Precision per kind reported",
        "",
        "A finding is right when it covers part of a true secret; every finding in an ordinary memory is wrong.",
        "",
        "| kind | right | reported | precision |",
        "|---|---|---|---|",
        *(f"| {k} | {a} | {b} | {ratio(a, b)} |" for k, (a, b) in result.precision.items()),
        "",
        "## False positives per group of ordinary memories",
        "",
        "| group | with a finding | memories | rate |",
        "|---|---|---|---|",
        *(f"| {k} | {a} | {b} | {ratio(a, b)} |" for k, (a, b) in result.false_positives.items()),
        "",
        "## Cost",
        "",
        (
            f"First call (imports detect-secrets and python-stdnum): {result.first_call_s * 1000:.0f} ms. Then per "
            f"entry: median {statistics.median(ms):.2f} ms, p95 {p95:.2f} ms ({len(ms)} entries)."
        ),
        "",
        "## Missed secrets",
        "",
        *([f"- {m}" for m in result.misses] or ["None."]),
        "",
        "## Ordinary memories flagged",
        "",
        *([f"- {f}" for f in result.flagged] or ["None."]),
        "",
    ]
    return "\n".join(lines)


HELD_OUT_NOTE = """## Held out: written by hand after the detector was tuned

`bench/data/secrets/held_out.jsonl`: 40 secrets in other phrasings and 60 ordinary memories, written once after the
detector had been tuned on the generated corpus above (whose near-misses and templates were written together with the
detector, so its figures are optimistic). Its first run found 35 of 40 secrets (0.875) and flagged none of the 60
ordinary memories. Two misses were format gaps and were then fixed (an `AWS_SECRET_ACCESS_KEY=` variable name, and a
URL with a password but no user name); three remain, and are what a pattern cannot know: a password stated in passing
("it is still ..."), a Wi-Fi key called "key", and "login dana / ...". The figures below are after the fix.
"""


def held_out_section(result: Result) -> str:
    found, total = totals(result.recall)
    flagged, ordinary = totals(result.false_positives)
    return "\n".join(
        [
            HELD_OUT_NOTE,
            f"Recall {ratio(found, total)} ({found} of {total}); false positives {flagged} of {ordinary}.",
            "",
            *([f"- missed: {m}" for m in result.misses] + [f"- flagged: {f}" for f in result.flagged]),
            "",
        ]
    )


def main() -> None:
    result = evaluate()
    held_out = evaluate(("held_out.jsonl",))
    REPORT.write_text(report(result) + "\n" + held_out_section(held_out))
    found, total = totals(result.recall)
    fp, ordinary = totals(result.false_positives)
    print(f"recall {found}/{total} = {found / total:.3f}; false positives {fp}/{ordinary} = {fp / ordinary:.2%}")
    found, total = totals(held_out.recall)
    fp, ordinary = totals(held_out.false_positives)
    print(f"held out: recall {found}/{total} = {found / total:.3f}; false positives {fp}/{ordinary}")
    print(f"wrote {REPORT}")


if __name__ == "__main__":
    main()
