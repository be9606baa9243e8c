#!/usr/bin/env python3
"""Draws the web interface's icons (server/web/icons/*.png, server/web/favicon.ico) from one
design: parlog's mark, a circle with its left half filled (◐), white on the interface's accent
colour. server/web/icons/icon.svg is the same design by hand; run this after changing either.

Plain Python (zlib and struct only), so it runs anywhere without an image library; the output
is the same bytes every time.

    python3 scripts/web-icons.py
"""

import os
import struct
import zlib

ACCENT = (0x1F, 0x6F, 0x8B)
WHITE = (0xFF, 0xFF, 0xFF)
SUB = 4  # samples per pixel along each axis (16 per pixel), for smooth edges

HERE = os.path.dirname(os.path.abspath(__file__))
WEB = os.path.join(HERE, "..", "server", "web")


def inside_mark(x, y, r_out, ring):
    """Whether (x, y), relative to the centre, is white: the ring, or the left half inside it."""
    d2 = x * x + y * y
    if d2 > r_out * r_out:
        return False
    r_in = r_out - ring
    return d2 >= r_in * r_in or x < 0


def inside_background(x, y, size, radius):
    """Whether (x, y) in pixels lies in the rounded square (radius 0: the whole square)."""
    if radius <= 0:
        return True
    cx = min(max(x, radius), size - radius)
    cy = min(max(y, radius), size - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius


def draw(size, mark_share, corner_share):
    """RGBA rows of the icon: `mark_share` is the mark's radius as a share of the size (a
    maskable icon keeps it inside the central safe circle of 40%), `corner_share` the corner
    radius (0 for a full-bleed square that the platform shapes itself)."""
    r_out = size * mark_share
    ring = r_out * 0.2
    radius = size * corner_share
    c = size / 2
    rows = []
    for py in range(size):
        row = bytearray()
        for px in range(size):
            bg = white = 0
            for sy in range(SUB):
                for sx in range(SUB):
                    x = px + (sx + 0.5) / SUB
                    y = py + (sy + 0.5) / SUB
                    if inside_background(x, y, size, radius):
                        bg += 1
                        if inside_mark(x - c, y - c, r_out, ring):
                            white += 1
            n = SUB * SUB
            if bg == 0:
                row += bytes((0, 0, 0, 0))
                continue
            # Colour of the covered part, then its coverage as alpha.
            share = white / bg
            rgb = [round(a * (1 - share) + b * share) for a, b in zip(ACCENT, WHITE)]
            row += bytes(rgb + [round(255 * bg / n)])
        rows.append(bytes(row))
    return rows


def png(rows):
    size = len(rows)
    raw = b"".join(b"\x00" + r for r in rows)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def ico(images):
    """An .ico holding PNG images (every browser of the last decade reads them)."""
    head = struct.pack("<HHH", 0, 1, len(images))
    offset = len(head) + 16 * len(images)
    entries = b""
    data = b""
    for size, blob in images:
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(blob), offset + len(data))
        data += blob
    return head + entries + data


def write(path, blob):
    with open(path, "wb") as f:
        f.write(blob)
    print(f"{os.path.relpath(path)}: {len(blob)} bytes")


def main():
    os.makedirs(os.path.join(WEB, "icons"), exist_ok=True)
    # "any": a rounded square with room around the mark.
    for size in (192, 512):
        write(os.path.join(WEB, "icons", f"icon-{size}.png"), png(draw(size, 0.30, 0.18)))
    # "maskable": full bleed, the mark well inside the safe circle (radius 40%).
    write(os.path.join(WEB, "icons", "maskable-512.png"), png(draw(512, 0.25, 0)))
    # iOS's home screen: a full square (it rounds the corners itself, and fills transparency black).
    write(os.path.join(WEB, "icons", "apple-touch-icon.png"), png(draw(180, 0.28, 0)))
    write(os.path.join(WEB, "favicon.ico"), ico([(s, png(draw(s, 0.36, 0.18))) for s in (16, 32, 48)]))


if __name__ == "__main__":
    main()
