"""Draws the bundle's icon, mcpb/icon.png: an hourglass (memories that run out) on a rounded blue square, 512×512,
with the standard library only. Run it again after changing it: `python3 mcpb/make_icon.py`."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

SIZE = 512
BACKGROUND_TOP, BACKGROUND_BOTTOM = (38, 84, 166), (22, 48, 104)
GLASS, SAND = (236, 242, 250), (244, 190, 72)
CORNER = 96  # the rounded square's corner radius
SUPERSAMPLE = 3  # sub-pixels per side, for smooth edges


def in_rounded_square(x: float, y: float) -> bool:
    cx = min(max(x, CORNER), SIZE - CORNER)
    cy = min(max(y, CORNER), SIZE - CORNER)
    return (x - cx) ** 2 + (y - cy) ** 2 <= CORNER**2


def hourglass_part(x: float, y: float) -> str | None:
    """'frame' for the top and bottom bars, 'glass' for the outline, 'sand' for the sand, None outside."""
    top, bottom, middle = 112.0, 400.0, 256.0
    if 88 <= y < top or bottom < y <= 424:
        return "frame" if 128 <= x <= 384 else None
    if not top <= y <= bottom:
        return None
    half_width = 16 + 112 * abs(y - middle) / (middle - top)  # widest at the bars, a neck of 32 px
    inside = abs(x - 256) <= half_width
    if not inside:
        return None
    if abs(x - 256) >= half_width - 14:
        return "glass"
    if y > middle:  # the sand that ran down: a heap in the lower bulb, and the thin stream falling onto it
        heap_top = 320 + 0.45 * abs(x - 256)
        return "sand" if y >= heap_top or abs(x - 256) <= 3 else None
    return "sand" if y >= 200 else None  # what is left in the upper bulb


def pixel(px: int, py: int) -> tuple[int, int, int, int]:
    total = [0.0, 0.0, 0.0, 0.0]
    step = 1 / SUPERSAMPLE
    for i in range(SUPERSAMPLE):
        for j in range(SUPERSAMPLE):
            x, y = px + (i + 0.5) * step, py + (j + 0.5) * step
            if not in_rounded_square(x, y):
                continue
            part = hourglass_part(x, y)
            if part in ("frame", "glass"):
                color = GLASS
            elif part == "sand":
                color = SAND
            else:
                t = y / SIZE
                color = tuple(round(a + (b - a) * t) for a, b in zip(BACKGROUND_TOP, BACKGROUND_BOTTOM, strict=True))
            for k in range(3):
                total[k] += color[k]
            total[3] += 255
    samples = SUPERSAMPLE**2
    alpha = total[3] / samples
    if alpha == 0:
        return (0, 0, 0, 0)
    covered = total[3] / 255
    return (round(total[0] / covered), round(total[1] / covered), round(total[2] / covered), round(alpha))


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    raw = b"".join(b"\x00" + row for row in rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main() -> None:
    rows = [b"".join(bytes(pixel(x, y)) for x in range(SIZE)) for y in range(SIZE)]
    target = Path(__file__).with_name("icon.png")
    target.write_bytes(png(SIZE, SIZE, rows))
    print(f"wrote {target} ({target.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
