"""The command line's grammar: commands, options, their help, and the argument types that check them."""

from __future__ import annotations

import argparse
import json
import math
import re
from datetime import timedelta
from itertools import pairwise
from typing import Any, NoReturn

from .. import __version__, credentials
from ..memory_types import PERMANENT_TYPES

PROG = "expiring-memory-mcp"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "": 86400}
DURATION_OPTIONS = ("--ttl", "--within", "--since")


class UsageError(Exception):
    """Bad command-line usage: exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage block; argparse echoes arguments
        raise UsageError(f"{credentials.redact(message)} (see {self.prog} --help)")

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        # argparse reads `--ttl -3d` as an option without its value ("expected one argument"): say what is wrong.
        given = list(args) if args is not None else []
        for option, value in pairwise(given):
            if option in DURATION_OPTIONS and value.startswith("-") and _DURATION.match(value[1:]):
                self.error(f"argument {option}: durations are positive; use for example {option} {value[1:]}")
        return super().parse_known_args(args, namespace)


# -- argument types ---------------------------------------------------------------------------------


def duration(text: str) -> timedelta:
    """30m, 12h, 7d, 2w, 90s, or a plain number of days (fractions allowed)."""
    if text.strip().startswith("-") and _DURATION.match(text.strip()[1:]):
        raise argparse.ArgumentTypeError(f"durations are positive; use for example {text.strip()[1:]}")
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


def type_name(text: str) -> str:
    """A memory type, or types separated by commas, as given; an empty one is refused, since it would silently mean
    the default type (remember) or every type (the filters)."""
    if not text.strip(" ,"):
        raise argparse.ArgumentTypeError("the type is empty; give a type name such as session or preference")
    return text


def positive_int(text: str) -> int:
    """A whole number from 1 up."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def port_number(text: str) -> int:
    """A TCP port, 1 to 65535."""
    if not text.strip().isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1 to 65535)")
    return int(text)


# -- commands ---------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """Every command with its options; bad usage raises UsageError instead of exiting."""
    root = _Parser(
        prog=PROG,
        description="A long-term memory for AI assistants that cleans itself up. "
        "With no command, serve MCP over stdio.",
        epilog="Settings come from the same EXPIRING_MEMORY_* environment variables as the server.",
    )
    root.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = root.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    json_flag = _Parser(add_help=False)
    json_flag.add_argument("--json", action="store_true", help="print JSON for scripts instead of a table")
    types = _Parser(add_help=False)
    types.add_argument(
        "--type",
        dest="types",
        action="append",
        type=type_name,
        metavar="TYPE",
        help="only memories of this type (repeat, or separate with commas)",
    )

    def command(name: str, help_text: str, *parents: _Parser, aliases: tuple[str, ...] = ()) -> _Parser:
        return commands.add_parser(
            name, help=help_text, description=help_text, parents=[json_flag, *parents], aliases=list(aliases)
        )

    commands.add_parser(
        "serve",
        help="serve MCP over stdio (the same as no command), or with --http over streamable HTTP; see `serve --help`",
        add_help=False,
    )

    remember = command("remember", "remember something; temporary by default, with its type's lifetime")
    remember.add_argument("content")
    remember.add_argument(
        "--type",
        dest="memory_type",
        type=type_name,
        help="memory type (default: session, or preference with --permanent); a permanent type "
        f"({', '.join(PERMANENT_TYPES)}) needs --permanent, or --ttl or --expires-at to keep it only for a while",
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

    sweep = command(
        "sweep",
        "delete every expired memory now (the server also does this by itself); `purge` is its old name",
        aliases=("purge",),
    )
    sweep.add_argument("--dry-run", action="store_true", help="show what would be deleted, delete nothing")

    command("stats", "counts by type and lifetime, what expires soon, swept so far, database size")

    forgotten = command(
        "forgotten", "what was swept or forgotten, and when: ids, types, times and recall counts, never the text"
    )
    forgotten.add_argument(
        "--since", type=duration, help="only what went within this long, like 24h or 7d (default: the whole ledger)"
    )
    command("insights", "per memory type: how memories were used, and whether to lengthen or shorten its lifetime")

    export = command("export", "write every live memory as JSON lines (to stdout without FILE)")
    export.add_argument("file", nargs="?", help="the file to write (created private, mode 0600)")

    load = command("import", "read memories from an export; importing the same file twice adds nothing")
    load.add_argument("file", help="a JSON lines file, or - for stdin")

    secrets = command("secrets", "find stored memories that hold secrets: passwords, API keys, card numbers, ...")
    secrets.add_argument("action", choices=["scan"], help="scan: list them by id, type and kind, never the secret")
    secrets.add_argument(
        "--redact", action="store_true", help="rewrite each with placeholders, leaving no copy of the secret"
    )
    ui = commands.add_parser(
        "ui",
        help="see and steer your memory in a browser: serves a private page and prints its link (Ctrl-C stops it)",
        description="Serve the memory view (what expires when, search, renew, forget) and print a link with a "
        "one-time sign-in token. Loopback only, unless EXPIRING_MEMORY_HTTP_TOKENS is set.",
    )
    ui.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    ui.add_argument("--port", type=port_number, default=8766, help="port to bind (default 8766)")
    ui.set_defaults(json=False)  # it prints a link for people, not JSON
    return root


def _expiry_options(sub: argparse.ArgumentParser) -> None:
    group = sub.add_mutually_exclusive_group()
    group.add_argument("--ttl", type=duration, help="lifetime from now: 30m, 12h, 7d, 2w or a number of days")
    group.add_argument("--expires-at", help="ISO 8601 time or date; without an offset it is in the configured timezone")
    group.add_argument("--permanent", action="store_true", help="never expires")
