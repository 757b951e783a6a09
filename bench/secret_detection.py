"""Precision and recall of secret detection per class, and false positives on ordinary memories.

`python -m bench.secret_detection` reads bench/data/secrets/ (secrets.jsonl and ordinary.jsonl written by
`python -m bench.secrets_corpus`, held_out.jsonl and blind/ by hand), runs `credentials.find` on every entry and writes
bench/SECRETS.md. A true secret counts as found when none of it is left
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
from typing import Literal

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


def blind(half: Literal["dev", "test"] | None = None) -> list[dict[str, str]]:
    """The blind set (bench/data/secrets/blind/, written by someone who never saw the detector): whole, or one half.

    The halves are fixed: within each class of secrets and each group of ordinary memories, in file order, the 1st,
    3rd, 5th... row is "dev" (looked at while improving the detector) and the 2nd, 4th... is "test" (not looked at
    until the detector was final)."""
    rows = load("blind/secrets.jsonl") + load("blind/ordinary.jsonl")
    if half is None:
        return rows
    seen: dict[str, int] = defaultdict(int)
    chosen = []
    for row in rows:
        label = row.get("class") or row["group"]
        if (seen[label] % 2 == 0) == (half == "dev"):
            chosen.append(row)
        seen[label] += 1
    return chosen


def _covers(finding: credentials.Finding, text: str, secret: str) -> bool:
    start = text.find(secret)
    return start >= 0 and finding.start < start + len(secret) and finding.end > start


def evaluate(
    names: tuple[str, ...] = ("secrets.jsonl", "ordinary.jsonl"), rows: list[dict[str, str]] | None = None
) -> Result:
    """The generated corpus by default; ("held_out.jsonl",) for the hand-written set; or the rows given."""
    rows = [row for name in names for row in load(name)] if rows is None else rows
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
        "Written by `python -m bench.secret_detection` on the corpus that `python -m bench.secrets_corpus` writes to",
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
("it is still ..."), a Wi-Fi key called "key", and "login dana / ...". The last is found since the blind set's work
(the "user / password" finder of credentials_stated.py). The figures below are the current ones.
"""


REVIEW_NOTE = """## Found by a reviewer by hand

Not in any set above: a reviewer's hand-found misses ("my password is Password1", a passphrase of several words such
as "correct horse battery staple", `Authorization: Basic <base64 user:password>`, "order <card number> paid with
visa", an `sk-` key of 40 characters) and their near misses ("I forgot my password", "Password: see 1Password", an
order number after "order", "Basic plan costs 9 dollars") are pure detector tests in tests/test_secrets_detection.py;
they were fixed by general rules, and every recall and false-positive figure on this page was the same before those
fixes as after them.
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


BLIND_NOTE = """## Blind set: written by someone who never saw the detector

`bench/data/secrets/blind/`: 305 secrets and 676 ordinary memories written by an author who never saw the detector.
Before any change the detector found 275 of 305 (0.902) and flagged 7 of 676 (1.04%). The set is split in fixed halves
(`bench.secret_detection.blind`: within each class and each group, in file order, odd rows are "dev", even rows "test"). Only
the dev half's misses and false positives were read while the detector was improved (credentials_stated.py and the
stand-in filter of credentials.py); the test half was evaluated once, after the detector was committed, and its figure
is the honest one. The whole-set total was printed twice mid-way (278 and 296 of 305), which tells the test half's
total at those points but none of its rows. The test half's misses below were read only after that run and were not
fixed, so the figure stays honest. It is below the 0.98 recall bar, so the tests do not assert it; they assert the dev
half, as a guard against regressions only.
"""


def blind_section(halves: dict[str, Result]) -> str:
    rows = []
    for name, result in halves.items():
        found, total = totals(result.recall)
        flagged, ordinary = totals(result.false_positives)
        rows.append(
            f"| {name} | {found} of {total} | {ratio(found, total)} | {flagged} of {ordinary} | "
            f"{flagged / ordinary:.2%} |"
        )
    test = halves["test (not looked at)"]
    return "\n".join(
        [
            BLIND_NOTE,
            "| set | secrets found | recall | ordinary flagged | false positives |",
            "|---|---|---|---|---|",
            *rows,
            "",
            "Test half, per class:",
            "",
            "| class | found | recall |",
            "|---|---|---|",
            *(f"| {k} | {a} of {b} | {ratio(a, b)} |" for k, (a, b) in test.recall.items()),
            "",
            *(
                [f"- test half, missed: {m}" for m in test.misses]
                + [f"- test half, flagged: {f}" for f in test.flagged]
            ),
            "",
        ]
    )


def main() -> None:
    result = evaluate()
    held_out = evaluate(("held_out.jsonl",))
    halves = {
        "dev (looked at)": evaluate(rows=blind("dev")),
        "test (not looked at)": evaluate(rows=blind("test")),
        "whole blind set": evaluate(rows=blind()),
    }
    REPORT.write_text(
        report(result) + "\n" + held_out_section(held_out) + "\n" + blind_section(halves) + "\n" + REVIEW_NOTE
    )
    for name, half in halves.items():
        found, total = totals(half.recall)
        fp, ordinary = totals(half.false_positives)
        print(f"blind, {name}: recall {found}/{total} = {found / total:.3f}; false positives {fp}/{ordinary}")
    found, total = totals(result.recall)
    fp, ordinary = totals(result.false_positives)
    print(f"recall {found}/{total} = {found / total:.3f}; false positives {fp}/{ordinary} = {fp / ordinary:.2%}")
    found, total = totals(held_out.recall)
    fp, ordinary = totals(held_out.false_positives)
    print(f"held out: recall {found}/{total} = {found / total:.3f}; false positives {fp}/{ordinary}")
    print(f"wrote {REPORT}")


if __name__ == "__main__":
    main()
