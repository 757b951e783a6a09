"""`secrets scan`: which stored memories hold secrets, by id, type and kind, never the secret; `--redact` rewrites
them with placeholders, leaving no copy of the secret in the store's files."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .views import View, count

if TYPE_CHECKING:
    from ..memories import MemoryService


def do_secrets(args: argparse.Namespace, service: MemoryService, view: View) -> None:
    """Lists the memories that hold secrets, after rewriting them with --redact."""
    found = service.stored_secrets(redact=args.redact)
    rows = [{"id": memory.id, "memory_type": memory.memory_type, "kinds": kinds} for memory, kinds in found]
    if view.as_json:
        view.json({"redacted": args.redact, "memories": rows})
        return
    if found:
        view.grid("Memories holding secrets:", [(m.id, f"{m.memory_type}: {', '.join(kinds)}") for m, kinds in found])
    if not rows:
        view.line("No stored memory holds a secret.")
    elif args.redact:
        view.line(
            f"Redacted {count(len(rows), 'memory')}: each secret is now a placeholder such as [redacted: password]."
        )
    else:
        view.line(
            f"{count(len(rows), 'memory')} {'holds' if len(rows) == 1 else 'hold'} secrets. Run `secrets scan --redact` "
            "to replace each with a placeholder, or `forget ID` to delete one."
        )
