"""Saves docs/memory-view.png: the memory view of a small made-up memory, in headless Chromium (Debian's `chromium`).

python scripts/memory_view_screenshot.py [--chromium /usr/bin/chromium] [--out docs/memory-view.png]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

os.environ.setdefault("MEM0_TELEMETRY", "False")

from playwright.sync_api import sync_playwright

from expiring_memory_mcp.backends import open_backend
from expiring_memory_mcp.memories import MemoryService
from expiring_memory_mcp.retention import SystemClock, iso
from expiring_memory_mcp.settings import Settings
from expiring_memory_mcp.web.launch import open_view

ROOT = Path(__file__).parents[1]
# (text, type, expires in hours or None for permanent, remembered how many days ago)
DEMO = [
    ("Parking spot today is B12, level 2", "cache", 5, 0.2),
    ("Call the dentist back before noon about Thursday", "reminder", 20, 0.5),
    ("Reviewing the Q3 budget draft with Priya", "session", 60, 4),
    ("Comparing flights to Lisbon for the spring trip", "session", 100, 3),
    ("Reading up on heat pumps for the cottage", "session", 130, 2),
    ("Asked for a gluten-free recipe for Sunday's dinner", "chat", 24 * 9, 21),
    ("Talked through the offer from Northwind", "chat", 24 * 16, 14),
    ("Wants a summary of the board meeting notes", "chat", 24 * 23, 7),
    ("Sketching the garden layout for next spring", "chat", 24 * 27, 3),
    ("Renewing the passport in February", "reminder", 24 * 60, 10),
    ("Prefers tea over coffee, no sugar", "preference", None, 200),
    ("Writes in British English", "preference", None, 120),
    ("Allergic to peanuts", "fact", None, 400),
    ("Finished the first marathon in 2026", "milestone", None, 90),
]


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--chromium", default="/usr/bin/chromium")
    options.add_argument("--out", type=Path, default=ROOT / "docs" / "memory-view.png")
    args = options.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="memory-view-") as folder:
        settings = Settings(data_dir=Path(folder), user_id="you")
        service = MemoryService.open(settings, SystemClock(), partial(open_backend, settings))
        try:
            for text, kind, hours, days_ago in DEMO:
                expiry = None if hours is None else iso(now + timedelta(hours=hours))
                service.restore(text, kind, None, created_at=iso(now - timedelta(days=days_ago)), expires_at=expiry)
            url, _ = open_view(service)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=args.chromium)
                page = browser.new_page(viewport={"width": 1280, "height": 980}, device_scale_factor=1)
                page.goto(url)
                page.wait_for_selector("#timeline-title")
                page.screenshot(path=str(args.out), full_page=False)
                browser.close()
        finally:
            service.close()
    sys.stderr.write(f"saved {args.out}\n")


if __name__ == "__main__":
    main()
