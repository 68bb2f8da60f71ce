"""Fuzz cases for the readers of pictures and bookmark files: valid inputs of every kind the app
accepts, then the same inputs damaged, lying about their size, or hostile by construction.

Each generator yields ``(kind, bytes)``; ``bench.fuzz`` sends them through the app's readers.
"""

from __future__ import annotations

import io
import json
import random
import struct
import zlib
from collections.abc import Callable

import numpy as np
from PIL import Image

from ui.page_table import PAGES
from ui.presenter import LINK_KEYS, MAX_BOOKMARK_BYTES

PICTURE_FORMATS = (("PNG", "L"), ("PNG", "RGB"), ("PNG", "RGBA"), ("PNG", "P"), ("PNG", "I;16"), ("PNG", "1"),
                   ("JPEG", "L"), ("JPEG", "RGB"), ("JPEG", "CMYK"), ("GIF", "P"), ("BMP", "RGB"),
                   ("WEBP", "RGBA"), ("TIFF", "RGB"), ("ICO", "RGBA"))
LARGEST_ALLOWED = {"PNG": (4000, 3000), "JPEG": (7300, 5400)}  # 12 MP and 39.4 MP


def picture(rng: random.Random, fmt: str, mode: str, size: tuple[int, int]) -> bytes:
    """A noisy picture (noise compresses worst) of ``size`` in ``fmt`` and ``mode``."""
    if fmt == "ICO":  # the format holds at most 256 × 256
        size = (min(size[0], 256), min(size[1], 256))
    generator = np.random.default_rng(rng.randrange(2**32))
    noise = generator.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    image = Image.fromarray(noise, "RGB").convert(mode if mode != "I;16" else "I").convert(mode)
    buffer = io.BytesIO()
    extra = {"save_all": True, "append_images": [image.rotate(90)]} if fmt == "GIF" else {}
    image.save(buffer, format=fmt, **extra)
    return buffer.getvalue()


def _png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header (with a correct checksum) declares ``width`` × ``height`` and whose data
    holds one row: a decompression bomb's first bytes."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = lambda kind, body: (struct.pack(">I", len(body)) + kind + body  # noqa: E731
                                + struct.pack(">I", zlib.crc32(kind + body)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def _run_length_bmp(rng: random.Random) -> bytes:
    """An 8-bit BMP whose header says run-length compressed (BI_RLE8)."""
    buffer = io.BytesIO()
    Image.new("P", (rng.randint(64, 2000), rng.randint(64, 2000))).save(buffer, format="BMP")
    data = bytearray(buffer.getvalue())
    data[30:34] = struct.pack("<I", 1)
    return bytes(data)


def _damaged(rng: random.Random, data: bytes) -> bytes:
    if rng.random() < 0.5:
        return data[:rng.randrange(len(data))]
    flipped = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
    return bytes(flipped)


def picture_case(rng: random.Random) -> tuple[str, bytes]:
    """One picture input: ``(kind, bytes)``."""
    kind = rng.choice(["valid", "valid", "damaged", "damaged", "declares huge", "run-length BMP",
                       "largest allowed", "not a picture", "empty"])
    fmt, mode = rng.choice(PICTURE_FORMATS)
    if kind == "valid":
        return f"valid {fmt}", picture(rng, fmt, mode, (rng.randint(1, 400), rng.randint(1, 400)))
    if kind == "damaged":
        size = (rng.randint(8, 200), rng.randint(8, 200))
        return f"damaged {fmt}", _damaged(rng, picture(rng, fmt, mode, size))
    if kind == "declares huge":
        side = rng.choice([5_000, 20_000, 100_000, 2**31 - 1])
        return kind, _png_declaring(side, rng.choice([side, 1, 3_000]))
    if kind == "run-length BMP":
        return kind, _run_length_bmp(rng)
    if kind == "largest allowed":
        fmt = rng.choice(sorted(LARGEST_ALLOWED))
        return f"largest allowed {fmt}", picture(rng, fmt, "RGB", LARGEST_ALLOWED[fmt])
    if kind == "not a picture":
        return kind, rng.randbytes(rng.randint(1, 4096))
    return kind, b""


def _json_value(rng: random.Random, depth: int = 0):
    """A random JSON value, hostile more often than not."""
    choice = rng.randrange(9 if depth < 4 else 3)  # deep down, only scalars
    if choice == 0:
        return rng.choice([None, True, False, 0, -1, 2**70, 1e308, float("nan")])
    if choice == 1:
        return rng.choice(["", "x" * rng.randint(1, 20_000), "../../etc/passwd", "[link](https://example.com)",
                           "![i](https://example.com/i.png)", "<img src=x onerror=alert(1)>", "\u202e\u0000"])
    if choice == 2:
        return rng.choice([*sorted(PAGES), "home", "../x", ""])
    if choice in (3, 4, 5):
        return {"name": _json_value(rng, depth + 1) if rng.random() < 0.3 else "view",
                "page": rng.choice(sorted(PAGES)) if rng.random() < 0.7 else _json_value(rng, depth + 1),
                "params": {rng.choice([*LINK_KEYS, "evil"]): _json_value(rng, depth + 1)
                           for _ in range(rng.randint(0, 5))}}
    if choice in (6, 7):
        return [_json_value(rng, depth + 1) for _ in range(rng.randint(0, 8))]
    return {str(_json_value(rng, depth + 1))[:20]: _json_value(rng, depth + 1)
            for _ in range(rng.randint(0, 4))}


def bookmark_case(rng: random.Random) -> tuple[str, bytes]:
    """One bookmarks file: ``(kind, bytes)``."""
    kind = rng.choice(["random JSON", "random JSON", "bookmark list", "deep nesting", "long integer",
                       "oversized", "bad UTF-8", "damaged"])
    if kind in ("random JSON", "bookmark list", "damaged"):
        value = ([_json_value(rng, 1) for _ in range(rng.randint(0, 120))] if kind != "random JSON"
                 else _json_value(rng))
        data = json.dumps(value).encode()
        return kind, _damaged(rng, data) if kind == "damaged" and data else data
    if kind == "deep nesting":
        depth = rng.choice([1_000, 100_000, 1_000_000])
        return kind, b"[" * depth + b"]" * depth
    if kind == "long integer":
        return kind, b"[" + b"9" * rng.choice([4_301, 50_000]) + b"]"
    if kind == "oversized":
        return kind, b"[" + b" " * (MAX_BOOKMARK_BYTES + 1) + b"]"
    return kind, b'[{"name": "\xff\xfe", "page": "explore", "params": {}}]'


CASES: dict[str, Callable[[random.Random], tuple[str, bytes]]] = {"picture": picture_case,
                                                                   "bookmarks": bookmark_case}
