"""The commands on what use teaches: `forgotten` (the ledger of swept and forgotten memories, no text) and
`insights` (each type's figures and advice on its lifetime)."""

from __future__ import annotations

import argparse

from ..memories import MemoryService
from ..models import Forgotten, Insights
from .views import View, count


def do_forgotten(args: argparse.Namespace, service: MemoryService, view: View) -> None:
    """Shows what went since --since (default: the whole ledger), oldest first."""
    since = None if args.since is None else service.clock_now() - args.since
    found = service.forgotten(since)
    if view.as_json:
        view.json(found.model_dump(mode="json"))
        return
    forgotten_table(view, found)


def forgotten_table(view: View, found: Forgotten) -> None:
    from rich import box
    from rich.table import Table

    if not found.entries:
        view.line(f"Nothing was forgotten since {view.local(found.since)}.")
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for column in ("Gone", "Why", "Type", "Created", "Recalls", "Last recall", "Renewed", "Id"):
        table.add_column(column, no_wrap=column != "Id", overflow="fold")
    for entry in found.entries:
        table.add_row(
            view.local(entry.purged_at),
            entry.reason,
            entry.memory_type,
            view.local(entry.created_at),
            str(entry.recall_count),
            view.local(entry.last_recalled_at),
            str(entry.renewed),
            entry.id,
        )
    view.show(table)
    view.line(f"{count(len(found.entries), 'memory')} since {view.local(found.since)}; their text is gone for good.")


def do_insights(args: argparse.Namespace, service: MemoryService, view: View) -> None:
    """Shows each type's figures and the advice on its lifetime."""
    found = service.insights()
    if view.as_json:
        view.json(found.model_dump(mode="json"))
        return
    insights_view(view, found)


def insights_view(view: View, found: Insights) -> None:
    view.line(f"Since {view.local(found.since)} (the ledger keeps {found.window_days:g} days):")
    for kind in found.types:
        rows = [
            ("lifetime", "permanent" if kind.tier_days is None else f"{kind.tier_days:g} days ({kind.setting})"),
            ("live / created", f"{kind.live} / {kind.created}"),
            ("expired / unused", f"{kind.expired} / {kind.expired_unused}"),
            ("recalled late", f"{kind.recalled_late} of {kind.recalled_expired} recalled before expiring"),
            ("forgotten", str(kind.forgotten)),
            ("renewed / permanent", f"{kind.renewed} / {kind.made_permanent}"),
        ]
        if kind.median_age_at_last_recall_days is not None:
            rows.append(("median age at last recall", f"{kind.median_age_at_last_recall_days:g} days"))
        rows.append(("advice", kind.advice))
        view.grid(kind.memory_type, rows)
