"""What people and scripts see: rich tables and sentences, or JSON; expiry times in the configured timezone."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ..models import MemoryRecord

if TYPE_CHECKING:
    from rich.console import RenderableType


class View:
    """Renders results: rich tables for people, or JSON for scripts. Expiry times in the configured timezone."""

    def __init__(self, out: IO[str], as_json: bool, timezone: str) -> None:
        from rich.console import Console

        self.out = out
        self.as_json = as_json
        self.zone = ZoneInfo(timezone)
        self.console = Console(file=out, markup=False, emoji=False, highlight=False)

    def json(self, value: Any) -> None:
        """The value as indented JSON."""
        self.out.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")

    def line(self, text: str) -> None:
        """A sentence, printed as it is (no markup)."""
        self.console.print(text, soft_wrap=True)

    def show(self, renderable: RenderableType) -> None:
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
        """One memory: JSON, or every field under a title."""
        if self.as_json:
            self.json(record.model_dump(mode="json"))
        else:
            self.record(title, record)

    def memories(self, records: Sequence[MemoryRecord], scores: Sequence[float] | None = None) -> None:
        """Many memories: JSON, or a table."""
        if self.as_json:
            self.json({"memories": [m.model_dump(mode="json") for m in records]})
        else:
            self.table(records, scores)

    def local(self, instant: datetime | None) -> str:
        """An instant as local time in the configured timezone."""
        if instant is None:
            return "-"
        return instant.astimezone(self.zone).strftime("%Y-%m-%d %H:%M %Z")

    def expiry(self, record: MemoryRecord) -> str:
        """When a memory expires, for a table cell: local time above how long from now."""
        if record.expires_at is None:
            return "permanent"
        return f"{self.local(record.expires_at)}\n{record.expires_in}"

    def table(self, records: Sequence[MemoryRecord], scores: Sequence[float] | None = None) -> None:
        """Memories as a table, with a score column when given scores."""
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
            row: list[RenderableType] = [record.memory_type, self.expiry(record), cell]
            table.add_row(*([f"{scores[i]:.2f}"] if scores is not None else []), *row)
        self.show(table)

    def grid(self, title: str, rows: Sequence[tuple[str, str]]) -> None:
        """A title over name-value rows."""
        from rich.table import Table

        self.line(title)
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column(overflow="fold")
        for name, value in rows:
            table.add_row(f"  {name}", value)
        self.show(table)

    def record(self, title: str, record: MemoryRecord) -> None:
        """Every field of one memory under a title."""
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


def plural(n: int, word: str) -> str:
    """The word as it goes with n: memory, memories; line, lines."""
    if n == 1:
        return word
    return word[:-1] + "ies" if word.endswith("y") else word + "s"


def count(n: int, noun: str) -> str:
    """n and the noun, its last word in the plural when it should be: 1 expired memory, 2 expired memories."""
    *adjectives, word = noun.split(" ")
    return " ".join([str(n), *adjectives, plural(n, word)])
