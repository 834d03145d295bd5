"""Draw the addon's icon, odoo_addon/asd_aba_loyalty/static/description/icon.png: a 128 x 128
rounded square with a white ring and a dot (a loyalty point), written as a PNG with the standard
library only (no fetched or third-party asset).

    python scripts/gen_addon_icon.py
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

SIZE = 128
BACKGROUND = (0x1F, 0x6F, 0x78)  # teal
FOREGROUND = (0xFF, 0xFF, 0xFF)
OUT = Path(__file__).resolve().parent.parent / "odoo_addon" / "asd_aba_loyalty" / "static" \
    / "description" / "icon.png"


def pixel(x: float, y: float) -> tuple[int, int, int, int]:
    # Rounded square (corner radius 24), transparent outside.
    corner = 24
    cx, cy = min(max(x, corner), SIZE - corner), min(max(y, corner), SIZE - corner)
    if (x - cx) ** 2 + (y - cy) ** 2 > corner**2:
        return (0, 0, 0, 0)
    distance = ((x - SIZE / 2) ** 2 + (y - SIZE / 2) ** 2) ** 0.5
    if 34 <= distance <= 46 or distance <= 14:
        return (*FOREGROUND, 255)
    return (*BACKGROUND, 255)


def png(rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)  # 8-bit RGBA
    raw = b"".join(b"\x00" + row for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main() -> None:
    rows = [b"".join(bytes(pixel(x + 0.5, y + 0.5)) for x in range(SIZE)) for y in range(SIZE)]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(png(rows))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
