"""What each command does with the service, and which function runs which command."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from ..errors import InvalidRequest
from ..memories import MemoryService
from ..memory_types import PERMANENT_TYPES, TEMPORARY_TYPES
from .insights import do_forgotten, do_insights
from .secrets import do_secrets
from .transfer import do_export, do_import
from .views import View, count

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


def _check_type_fits(kind: str, args: argparse.Namespace) -> None:
    """The rule the MCP tools keep (app.py says why): a permanent type is kept for a while only when asked to, with
    --ttl or --expires-at, and a temporary type is never made permanent here (`renew --permanent` does that)."""
    kind = kind.strip().lower()
    if not args.permanent and kind in PERMANENT_TYPES and args.ttl is None and args.expires_at is None:
        raise InvalidRequest(
            f"'{kind}' is a permanent type: add --permanent to keep it, or --ttl or --expires-at to keep it only "
            "for a while. Nothing was stored."
        )
    if args.permanent and kind in TEMPORARY_TYPES:
        raise InvalidRequest(
            f"'{kind}' is a temporary type: leave out --permanent, or give a lasting type such as "
            f"{' or '.join(repr(t) for t in PERMANENT_TYPES[:2])} (`renew ID --permanent` keeps a {kind} memory for "
            "good). Nothing was stored."
        )


def do_remember(args: argparse.Namespace, service: MemoryService, view: View) -> None:
    """Stores a memory and shows it."""
    kind = args.memory_type or ("preference" if args.permanent else "session")
    _check_type_fits(kind, args)
    metadata = dict(args.metadata)
    remembered = service.remember(args.content, kind, metadata, permanent=args.permanent, **_expiry(args, service))
    view.memory("Remembered:", remembered)
    if remembered.redacted and not view.as_json:
        view.line(f"Not kept: {', '.join(remembered.redacted)} (replaced by a placeholder; EXPIRING_MEMORY_SECRETS).")


def do_recall(args: argparse.Namespace, service: MemoryService, view: View) -> None:
    """Shows the best matches with their scores."""
    found = service.recall(args.query, _types(args), args.limit)
    view.memories(found, scores=[m.score for m in found])


def do_expiring(args: argparse.Namespace, service: MemoryService, view: View) -> None:
    """Shows what expires within the window, soonest first."""
    within = min(args.within, timedelta(days=36500))  # as far as the expiring_soon tool looks
    view.memories(service.expiring(within / timedelta(days=1), _types(args), args.limit))


def do_list(args: argparse.Namespace, service: MemoryService, view: View) -> None:
    """Shows every live memory, and how many for people."""
    found = service.memories(_types(args), args.limit)
    view.memories(found)
    if not view.as_json and found:
        view.line(count(len(found), "memory") + ".")


def do_forget(args: argparse.Namespace, service: MemoryService, view: View) -> None:
    """Deletes one memory."""
    deleted = service.forget(args.id)
    view.result({"deleted": deleted}, f"Forgot {deleted}.")


def do_renew(args: argparse.Namespace, service: MemoryService, view: View) -> None:
    """Gives a memory a new expiry and shows it."""
    expiry = _expiry(args, service)
    view.memory("Renewed:", service.renew(args.id, expiry["expires_in_days"], expiry["expires_at"], args.permanent))


def do_sweep(args: argparse.Namespace, service: MemoryService, view: View) -> None:
    """Deletes what has expired, or with --dry-run shows what would go."""
    if not args.dry_run:
        deleted = service.sweep()
        view.result({"deleted": deleted}, f"Deleted {count(deleted, 'expired memory')}.")
        return
    total, mine = service.expired()
    if view.as_json:
        view.json({"dry_run": True, "would_delete": total, "memories": [m.model_dump(mode="json") for m in mine]})
        return
    if mine:
        view.table(mine)
    others = f" ({total - len(mine)} of other users, not shown)" if total > len(mine) else ""
    view.line(f"Dry run: {count(total, 'expired memory')} would be deleted{others}; nothing was deleted.")


def do_stats(args: argparse.Namespace, service: MemoryService, view: View) -> None:
    """Shows the counts, what expires soon, and the database's size."""
    stats = service.stats()
    if view.as_json:
        view.json(stats.model_dump())
        return
    rows = [("live", str(stats.live)), ("permanent", str(stats.permanent)), ("temporary", str(stats.temporary))]
    rows += [(f"type {name}", str(n)) for name, n in stats.by_type.items()]
    rows += [(f"expiring in {window}", str(n)) for window, n in stats.expiring.items()]
    if stats.swept_total is not None:
        rows.append(("swept so far", str(stats.swept_total)))
    if stats.database_bytes is not None:
        rows.append(("database size", f"{stats.database_bytes:,} bytes"))
    view.grid(f"Memories of {stats.user_id!r} in {stats.location} ({stats.backend} backend)", rows)


def do_ui(args: argparse.Namespace, service: MemoryService, view: View) -> None:  # pragma: no cover - a subprocess
    """Serves the memory view until Ctrl-C, after printing its link."""
    from ..web.launch import serve_foreground  # Starlette, Jinja2 and uvicorn: only for this command

    def announce(url: str) -> None:
        view.line(f"Your memory view: {url}")
        view.line("Open it in a browser on this computer; Ctrl-C stops it.")
        view.out.flush()

    try:
        serve_foreground(service, args.host, args.port, announce)
    except ValueError as exc:  # binding beyond loopback without tokens
        raise InvalidRequest(str(exc)) from None


HANDLERS: dict[str, Handler] = {
    "remember": do_remember,
    "recall": do_recall,
    "expiring": do_expiring,
    "list": do_list,
    "forget": do_forget,
    "renew": do_renew,
    "sweep": do_sweep,
    "purge": do_sweep,  # its old name
    "stats": do_stats,
    "export": do_export,
    "import": do_import,
    "forgotten": do_forgotten,
    "insights": do_insights,
    "secrets": do_secrets,
    "ui": do_ui,
}
