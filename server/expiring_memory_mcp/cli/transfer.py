"""`export` and `import`: every live memory as JSON lines, and back; the export file is private to its owner."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..errors import InvalidRequest
from .failures import cli_words, error
from .views import View, count, plural

if TYPE_CHECKING:
    from ..memories import MemoryService

EXPORT_FIELDS = ("id", "content", "memory_type", "metadata", "created_at", "expires_at")


def do_export(args: argparse.Namespace, service: MemoryService, view: View) -> None:
    """Writes every live memory, oldest first, to the file or to stdout."""
    records = sorted(service.memories(), key=lambda r: r.created_at.timestamp() if r.created_at else float("-inf"))
    rows = [r.model_dump(mode="json") for r in records]
    lines = [json.dumps({k: row[k] for k in EXPORT_FIELDS}, ensure_ascii=False) + "\n" for row in rows]
    if args.file in (None, "-"):
        view.out.writelines(lines)
        return
    with _private_file(Path(args.file)) as file:
        file.writelines(lines)
    view.result({"exported": len(lines), "file": args.file}, f"Exported {count(len(lines), 'memory')} to {args.file}.")


def do_import(args: argparse.Namespace, service: MemoryService, view: View) -> int:
    """Restores every line of an export; an invalid line is reported on stderr and makes the exit code 1."""
    counts = {"added": 0, "refreshed": 0, "unchanged": 0, "expired": 0}
    redacted = 0
    invalid: list[dict[str, Any]] = []
    with _input(args.file) as lines:
        for number, raw in enumerate(lines, start=1):
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8").strip()
                if not text:
                    continue
                outcome, restored = service.restore(**_entry(text))
                counts[outcome] += 1
                redacted += bool(restored and restored.redacted)
            except (InvalidRequest, UnicodeDecodeError) as exc:
                message = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else cli_words(str(exc))
                invalid.append({"line": number, "error": message})
    result = {
        "added": counts["added"],
        "refreshed": counts["refreshed"],
        "unchanged": counts["unchanged"],
        "skipped_expired": counts["expired"],
        "invalid": invalid,
        "redacted": redacted,
    }
    if view.as_json:
        view.json(result)
    else:
        view.line(
            f"Imported {args.file}: {counts['added']} added, {counts['refreshed']} refreshed, "
            f"{counts['unchanged']} unchanged, {counts['expired']} skipped (already expired), "
            f"{len(invalid)} invalid {plural(len(invalid), 'line')}."
            + (f" Secrets were replaced by placeholders in {count(redacted, 'memory')}." if redacted else "")
        )
    for bad in invalid:
        error(f"{args.file} line {bad['line']}: {bad['error']}")
    return 1 if invalid else 0


def _entry(text: str) -> dict[str, Any]:
    """One export line as keyword arguments for MemoryService.restore; an unknown `id` is ignored."""
    try:
        entry = json.loads(text)
    except ValueError as exc:
        raise InvalidRequest(f"not valid JSON ({exc})") from None
    if not isinstance(entry, dict):
        raise InvalidRequest("not a JSON object")
    for key, what in (("content", "the memory's text"), ("memory_type", 'its type, such as "session" or "fact"')):
        if entry.get(key) is None:
            raise InvalidRequest(f"{key!r} is missing; give {what}")
        if not isinstance(entry[key], str):
            raise InvalidRequest(f"{key!r} must be a string: {what}")
    if "expires_at" not in entry:
        raise InvalidRequest("'expires_at' is missing; give a time, or null for a permanent memory")
    for key in ("created_at", "expires_at"):
        if entry.get(key) is not None and not isinstance(entry[key], str):
            raise InvalidRequest(f"{key!r} must be an ISO 8601 string or null")
    if entry.get("metadata") is not None and not isinstance(entry["metadata"], dict):
        raise InvalidRequest("'metadata' must be an object")
    return {
        "content": entry["content"],
        "memory_type": entry["memory_type"],
        "metadata": entry.get("metadata"),
        "created_at": entry.get("created_at"),
        "expires_at": entry["expires_at"],
    }


@contextmanager
def _input(name: str) -> Iterator[IO[bytes]]:
    """The named file as bytes, or stdin for -."""
    if name == "-":
        yield sys.stdin.buffer
        return
    with open(name, "rb") as file:
        yield file


@contextmanager
def _private_file(path: Path) -> Iterator[IO[str]]:
    """Memories are private: the export is created readable by its owner only."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.chmod(path, 0o600)  # an existing file too (by path: os.fchmod is POSIX only before Python 3.13)
    with open(descriptor, "w", encoding="utf-8") as file:
        yield file
