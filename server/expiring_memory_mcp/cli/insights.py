"""The commands on what use teaches: `forgotten` (the ledger of swept and forgotten memories, no text) and
`insights` (each type's figures and advice on its lifetime)."""

from __future__ import annotations

import argparse

from ..advice import days_text
from ..memories import MemoryService
from ..models import Forgotten, Insights
from .views import View, count


def do_forgotten(args: argparse.Namespace, service: MemoryService, view: View) -> None:
    """Shows what went since --since (default: the whole ledger), oldest first."""
    since = None if args.since is None else service.now() - args.since
    found = service.forgotten(since)
    if view.as_json:
        view.json(found.model_dump(mode="json"))
        return
    forgotten_table(view, found)


def forgotten_table(view: View, found: Forgotten) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    if not found.entries:
        view.line(f"Nothing was forgotten since {view.local(found.since)}.")
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("Gone", no_wrap=True)
    table.add_column("Used", no_wrap=True)
    table.add_column("Type / id", overflow="fold", ratio=1)
    for entry in found.entries:
        kind = Text(entry.memory_type)
        kind.append(f"\n{entry.id}", style="dim")
        recalled = "never recalled" if entry.last_recalled_at is None else f"last {view.local(entry.last_recalled_at)}"
        table.add_row(
            f"{view.local(entry.purged_at)}\n{entry.reason}",
            f"{count(entry.recall_count, 'recall')}, {count(entry.renewed, 'renewal')}\n{recalled}",
            kind,
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
            ("lifetime", "permanent" if kind.tier_days is None else f"{days_text(kind.tier_days)} ({kind.setting})"),
            ("live / created", f"{kind.live} / {kind.created}"),
            ("expired / unused", f"{kind.expired} / {kind.expired_unused}"),
            ("recalled late", f"{kind.recalled_late} of {kind.recalled_expired} recalled before expiring"),
            ("forgotten", str(kind.forgotten)),
            ("renewed / permanent", f"{kind.renewed} / {kind.made_permanent}"),
        ]
        if kind.median_age_at_last_recall_days is not None:
            rows.append(("median age at last recall", days_text(kind.median_age_at_last_recall_days)))
        rows.append(("advice", kind.advice))
        view.grid(kind.memory_type, rows)
