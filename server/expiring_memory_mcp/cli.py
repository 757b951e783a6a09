"""The command line, for people: look inside the memory, change it, purge it, export and import it.

It goes through the same MemoryService as the MCP tools. Tables by default, `--json` for scripts; errors are
one line on stderr and a non-zero exit code. Imported only when the console script is given a command, so
serving over stdio never loads it.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from .errors import InvalidRequest, Unavailable
from .memories import MemoryService
from .models import MemoryRecord
from .retention import Clock, SystemClock, parse_iso
from .settings import Settings

if TYPE_CHECKING:
    from .backends import Backend

PROG = "expiring-memory-mcp"
EXPORT_FIELDS = ("id", "content", "memory_type", "metadata", "created_at", "expires_at")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "": 86400}


class UsageError(Exception):
    """Bad command-line usage: exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage block
        raise UsageError(f"{message} (see {self.prog} --help)")


# -- argument types ---------------------------------------------------------------------------------


def duration(text: str) -> timedelta:
    """30m, 12h, 7d, 2w, 90s, or a plain number of days (fractions allowed)."""
    match = _DURATION.match(text)
    try:
        if not match:
            raise ValueError
        span = timedelta(seconds=float(match[1]) * _SECONDS[match[2]])
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration; use for example 30m, 12h, 7d, 2w or a number of days"
        ) from None
    if span <= timedelta(0):
        raise argparse.ArgumentTypeError(f"{text!r} must be longer than zero")
    return span


def metadata_pair(text: str) -> tuple[str, Any]:
    """key=value; a value that reads as a JSON number, true, false or null is stored as one, anything else as text."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not key=value")
    try:
        parsed = json.loads(value)
    except ValueError:
        return key.strip(), value
    finite = not isinstance(parsed, float) or math.isfinite(parsed)
    return key.strip(), parsed if (parsed is None or isinstance(parsed, bool | int | float)) and finite else value


def positive_int(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def parser() -> argparse.ArgumentParser:
    root = _Parser(
        prog=PROG,
        description="A long-term memory for AI assistants that cleans itself up. "
        "With no command, serve MCP over stdio.",
        epilog="Settings come from the same EXPIRING_MEMORY_* environment variables as the server.",
    )
    commands = root.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    json_flag = _Parser(add_help=False)
    json_flag.add_argument("--json", action="store_true", help="print JSON for scripts instead of a table")
    types = _Parser(add_help=False)
    types.add_argument(
        "--type",
        dest="types",
        action="append",
        metavar="TYPE",
        help="only memories of this type (repeat, or separate with commas)",
    )

    def command(name: str, help_text: str, *parents: argparse.ArgumentParser) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help_text, description=help_text, parents=[json_flag, *parents])

    commands.add_parser(
        "serve",
        help="serve MCP over stdio (the same as no command), or with --http over streamable HTTP; see `serve --help`",
        add_help=False,
    )

    remember = command("remember", "remember something; temporary by default, with its type's lifetime")
    remember.add_argument("content")
    remember.add_argument(
        "--type", dest="memory_type", help="memory type (default: session, or preference with --permanent)"
    )
    remember.add_argument(
        "--metadata",
        action="append",
        type=metadata_pair,
        default=[],
        metavar="KEY=VALUE",
        help="a metadata pair to keep with the memory (repeatable)",
    )
    _expiry_options(remember)

    recall = command("recall", "search live memories by meaning and keywords, best match first", types)
    recall.add_argument("query")
    recall.add_argument("--limit", type=positive_int, default=5, help="how many at most (default 5)")

    expiring = command("expiring", "what expires when, soonest first", types)
    expiring.add_argument(
        "--within", type=duration, default=timedelta(days=7), help="how far ahead to look, like 24h or 30d (default 7d)"
    )
    expiring.add_argument("--limit", type=positive_int, default=50, help="how many at most (default 50)")

    listing = command("list", "every live memory, soonest expiry first, permanent ones last", types)
    listing.add_argument("--limit", type=positive_int, help="how many at most (default: all)")

    forget = command("forget", "delete a memory for good")
    forget.add_argument("id")

    renew = command(
        "renew",
        "keep a memory longer or make it permanent; with no option it gets its type's "
        "lifetime from now, unless it already lasts longer",
    )
    renew.add_argument("id")
    _expiry_options(renew)

    purge = command("purge", "delete every expired memory now (the server also does this by itself)")
    purge.add_argument("--dry-run", action="store_true", help="show what would be deleted, delete nothing")

    command("stats", "counts by type and lifetime, what expires soon, purged so far, database size")

    export = command("export", "write every live memory as JSON lines (to stdout without FILE)")
    export.add_argument("file", nargs="?", help="the file to write (created private, mode 0600)")

    load = command("import", "read memories from an export; importing the same file twice adds nothing")
    load.add_argument("file", help="a JSON lines file, or - for stdin")
    return root


def _expiry_options(sub: argparse.ArgumentParser) -> None:
    group = sub.add_mutually_exclusive_group()
    group.add_argument("--ttl", type=duration, help="lifetime from now: 30m, 12h, 7d, 2w or a number of days")
    group.add_argument("--expires-at", help="ISO 8601 time or date; without an offset it is in the configured timezone")
    group.add_argument("--permanent", action="store_true", help="never expires")


# -- output -----------------------------------------------------------------------------------------


class View:
    """Renders results: rich tables for people, or JSON for scripts. Expiry times in the configured timezone."""

    def __init__(self, out: IO[str], as_json: bool, timezone: str) -> None:
        from rich.console import Console

        self.out = out
        self.as_json = as_json
        self.zone = ZoneInfo(timezone)
        self.console = Console(file=out, markup=False, emoji=False, highlight=False)

    def json(self, value: Any) -> None:
        self.out.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")

    def line(self, text: str) -> None:
        self.console.print(text, soft_wrap=True)

    def show(self, renderable: Any) -> None:
        """Prints a table without the padding rich leaves at the end of each line."""
        with self.console.capture() as captured:
            self.console.print(renderable)
        self.out.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))

    def result(self, value: Any, text: str) -> None:
        """A short outcome: the value as JSON, or a sentence."""
        if self.as_json:
            self.json(value)
        else:
            self.line(text)

    def memory(self, title: str, record: MemoryRecord) -> None:
        if self.as_json:
            self.json(record.model_dump())
        else:
            self.record(title, record)

    def memories(self, records: Sequence[MemoryRecord], scores: Sequence[float] | None = None) -> None:
        if self.as_json:
            self.json({"memories": [m.model_dump() for m in records]})
        else:
            self.table(records, scores)

    def local(self, instant: str | None) -> str:
        if instant is None:
            return "-"
        return parse_iso(instant).astimezone(self.zone).strftime("%Y-%m-%d %H:%M %Z")

    def expiry(self, record: MemoryRecord) -> str:
        if record.expires_at is None:
            return "permanent"
        return f"{self.local(record.expires_at)}\n{record.expires_in}"

    def table(self, records: Sequence[MemoryRecord], scores: Sequence[float] | None = None) -> None:
        from rich import box
        from rich.table import Table
        from rich.text import Text

        if not records:
            self.line("No memories.")
            return
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        if scores is not None:
            table.add_column("Score", justify="right", no_wrap=True)
        table.add_column("Type", no_wrap=True)
        table.add_column("Expires", no_wrap=True)
        table.add_column("Content / id", overflow="fold", ratio=1)
        for i, record in enumerate(records):
            cell = Text(record.content)
            cell.append(f"\n{record.id}", style="dim")
            row = [record.memory_type, self.expiry(record), cell]
            table.add_row(*([f"{scores[i]:.2f}"] if scores is not None else []), *row)
        self.show(table)

    def grid(self, title: str, rows: Sequence[tuple[str, str]]) -> None:
        from rich.table import Table

        self.line(title)
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column(overflow="fold")
        for name, value in rows:
            table.add_row(f"  {name}", value)
        self.show(table)

    def record(self, title: str, record: MemoryRecord) -> None:
        expires = (
            "never (permanent)"
            if record.expires_at is None
            else f"{self.local(record.expires_at)} ({record.expires_in})"
        )
        rows = [
            ("id", record.id),
            ("content", record.content),
            ("type", record.memory_type),
            ("created", self.local(record.created_at)),
            ("expires", expires),
        ]
        if record.metadata:
            rows.append(("metadata", ", ".join(f"{k}={json.dumps(v)}" for k, v in record.metadata.items())))
        self.grid(title, rows)


# -- commands ---------------------------------------------------------------------------------------

Handler = Callable[[argparse.Namespace, MemoryService, View], int | None]


def _types(args: argparse.Namespace) -> list[str] | None:
    names = [t.strip() for group in args.types or [] for t in group.split(",") if t.strip()]
    return names or None


def _expiry(args: argparse.Namespace, service: MemoryService) -> dict[str, Any]:
    if args.ttl is not None and args.ttl > service.policy.max_ttl:
        raise InvalidRequest(f"--ttl may be at most {service.policy.max_ttl.days} days; use --permanent instead.")
    return {
        "expires_in_days": None if args.ttl is None else args.ttl / timedelta(days=1),
        "expires_at": args.expires_at,
    }


def do_remember(args: argparse.Namespace, service: MemoryService, view: View) -> None:
    kind = args.memory_type or ("preference" if args.permanent else "session")
    metadata = dict(args.metadata)
    view.memory(
        "Remembered:",
        service.remember(args.content, kind, metadata, permanent=args.permanent, **_expiry(args, service)),
    )


def do_recall(args: argparse.Namespace, service: MemoryService, view: View) -> None:
    found = service.recall(args.query, _types(args), args.limit)
    view.memories(found, scores=[m.score for m in found])


def do_expiring(args: argparse.Namespace, service: MemoryService, view: View) -> None:
    within = min(args.within, timedelta(days=36500))  # as far as the expiring_soon tool looks
    view.memories(service.expiring(within / timedelta(days=1), _types(args), args.limit))


def do_list(args: argparse.Namespace, service: MemoryService, view: View) -> None:
    found = service.memories(_types(args), args.limit)
    view.memories(found)
    if not view.as_json and found:
        view.line(_count(len(found), "memory") + ".")


def do_forget(args: argparse.Namespace, service: MemoryService, view: View) -> None:
    deleted = service.forget(args.id)
    view.result({"deleted": deleted}, f"Forgot {deleted}.")


def do_renew(args: argparse.Namespace, service: MemoryService, view: View) -> None:
    expiry = _expiry(args, service)
    view.memory("Renewed:", service.renew(args.id, expiry["expires_in_days"], expiry["expires_at"], args.permanent))


def do_purge(args: argparse.Namespace, service: MemoryService, view: View) -> None:
    if not args.dry_run:
        deleted = service.sweep()
        view.result({"deleted": deleted}, f"Deleted {_count(deleted, 'expired memory')}.")
        return
    total, mine = service.expired()
    if view.as_json:
        view.json({"dry_run": True, "would_delete": total, "memories": [m.model_dump() for m in mine]})
        return
    if mine:
        view.table(mine)
    others = f" ({total - len(mine)} of other users, not shown)" if total > len(mine) else ""
    view.line(f"Dry run: {_count(total, 'expired memory')} would be deleted{others}; nothing was deleted.")


def do_stats(args: argparse.Namespace, service: MemoryService, view: View) -> None:
    stats = service.stats()
    if view.as_json:
        view.json(stats.model_dump())
        return
    rows = [("live", str(stats.live)), ("permanent", str(stats.permanent)), ("temporary", str(stats.temporary))]
    rows += [(f"type {name}", str(n)) for name, n in stats.by_type.items()]
    rows += [(f"expiring in {window}", str(n)) for window, n in stats.expiring.items()]
    if stats.purged_total is not None:
        rows.append(("purged so far", str(stats.purged_total)))
    if stats.database_bytes is not None:
        rows.append(("database size", f"{stats.database_bytes:,} bytes"))
    view.grid(f"Memories of {stats.user_id!r} in {stats.data_dir} ({stats.backend} backend)", rows)


def do_export(args: argparse.Namespace, service: MemoryService, view: View) -> None:
    records = sorted(service.memories(), key=lambda r: r.created_at or "")
    lines = [json.dumps({k: getattr(r, k) for k in EXPORT_FIELDS}, ensure_ascii=False) + "\n" for r in records]
    if args.file in (None, "-"):
        view.out.writelines(lines)
        return
    with _private_file(Path(args.file)) as file:
        file.writelines(lines)
    view.result({"exported": len(lines), "file": args.file}, f"Exported {_count(len(lines), 'memory')} to {args.file}.")


def do_import(args: argparse.Namespace, service: MemoryService, view: View) -> int:
    counts = {"added": 0, "refreshed": 0, "unchanged": 0, "expired": 0}
    invalid: list[dict[str, Any]] = []
    with _input(args.file) as lines:
        for number, raw in enumerate(lines, start=1):
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8").strip()
                if not text:
                    continue
                outcome, _ = service.restore(**_entry(text))
                counts[outcome] += 1
            except (InvalidRequest, UnicodeDecodeError) as exc:
                message = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else str(exc)
                invalid.append({"line": number, "error": message})
    result = {
        "added": counts["added"],
        "refreshed": counts["refreshed"],
        "unchanged": counts["unchanged"],
        "skipped_expired": counts["expired"],
        "invalid": invalid,
    }
    if view.as_json:
        view.json(result)
    else:
        view.line(
            f"Imported {args.file}: {counts['added']} added, {counts['refreshed']} refreshed, "
            f"{counts['unchanged']} unchanged, {counts['expired']} skipped (already expired), "
            f"{len(invalid)} invalid {_plural(len(invalid), 'line')}."
        )
    for bad in invalid:
        _error(f"{args.file} line {bad['line']}: {bad['error']}")
    return 1 if invalid else 0


def _entry(text: str) -> dict[str, Any]:
    """One export line as keyword arguments for MemoryService.restore; an unknown `id` is ignored."""
    try:
        entry = json.loads(text)
    except ValueError as exc:
        raise InvalidRequest(f"not valid JSON ({exc})") from None
    if not isinstance(entry, dict):
        raise InvalidRequest("not a JSON object")
    for key in ("content", "memory_type"):
        if not isinstance(entry.get(key), str):
            raise InvalidRequest(f"{key!r} must be a string")
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
    if name == "-":
        yield sys.stdin.buffer
        return
    with open(name, "rb") as file:
        yield file


@contextmanager
def _private_file(path: Path) -> Iterator[IO[str]]:
    """Memories are private: the export is created readable by its owner only."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # an existing file too
    with open(descriptor, "w", encoding="utf-8") as file:
        yield file


def _plural(n: int, word: str) -> str:
    if n == 1:
        return word
    return word[:-1] + "ies" if word.endswith("y") else word + "s"


def _count(n: int, noun: str) -> str:
    *adjectives, word = noun.split(" ")
    return " ".join([str(n), *adjectives, _plural(n, word)])


HANDLERS: dict[str, Handler] = {
    "remember": do_remember,
    "recall": do_recall,
    "expiring": do_expiring,
    "list": do_list,
    "forget": do_forget,
    "renew": do_renew,
    "purge": do_purge,
    "stats": do_stats,
    "export": do_export,
    "import": do_import,
}


# -- entry ------------------------------------------------------------------------------------------


def run(
    argv: Sequence[str],
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    build: Callable[[], Backend] | None = None,
    stdout: IO[str] | None = None,
) -> int:
    """Runs one command and returns the exit code: 0 done, 1 refused or failed, 2 bad usage.

    Settings are read from the environment unless given; tests may also give a clock and a Mem0 builder.
    """
    out = stdout or sys.stdout
    try:
        args = parser().parse_args(argv)
        if args.command in (None, "serve"):
            raise UsageError(f"serving options go after the command: {PROG} serve [--http --host H --port P]")
        if settings is None:
            settings = _settings()
        _log_to_stderr(settings)
        if build is None:
            from .backends import open_backend

            build = partial(open_backend, settings)
        service = MemoryService(settings, clock or SystemClock(), build, sweep_on_load=False)
        view = View(out, args.json, settings.timezone)
        with redirect_stdout(sys.stderr):  # a stray print in a library never mixes into our output
            code = HANDLERS[args.command](args, service, view) or 0
        out.flush()
        return code
    except UsageError as exc:
        return _fail(str(exc), 2)
    except (InvalidRequest, Unavailable) as exc:
        return _fail(str(exc), 1)
    except BrokenPipeError:  # the reader went away (`export | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
        return 1
    except OSError as exc:
        return _fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc), 1)
    except sqlite3.Error as exc:
        return _fail(f"database error: {exc}", 1)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"EXPIRING_MEMORY_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidRequest(f"bad setting: {problems}") from None


def _error(message: str) -> None:
    """One line on stderr; stdout stays for results (and, when serving, for JSON-RPC alone)."""
    sys.stderr.write(f"{PROG}: error: {message}\n")


def _fail(message: str, code: int) -> int:
    _error(message)
    return code


def _log_to_stderr(settings: Settings) -> None:
    """Warnings from libraries to stderr. This package's own lines (the server's log) only at DEBUG: the CLI
    reports every outcome itself. Left alone when logging is already set up, as under pytest."""
    root = logging.getLogger()
    if root.handlers:
        return
    debug = settings.log_level == "DEBUG"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    if not debug:
        handler.addFilter(lambda record: not record.name.startswith(__package__))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.WARNING)
