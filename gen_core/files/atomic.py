"""Files written so that a reader sees the old one or the new one, never half, and the compressed
arrays of a cache entry read back only when whole."""

from __future__ import annotations

import io
import os
import threading
import zipfile
from pathlib import Path

import numpy as np


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new one, never half:
    a temporary file beside it, renamed over it. Two processes writing the same entry both
    succeed; the last rename wins, and both wrote the same content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        partial.write_bytes(data)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def write_npz(path: Path, **arrays: np.ndarray) -> None:
    """``arrays`` as a compressed ``.npz`` cache entry, written atomically."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    write_atomically(path, buffer.getvalue())


def read_npz(path: Path, *keys: str) -> dict[str, np.ndarray] | None:
    """The arrays ``keys`` of a cache entry, or ``None`` when it is missing or damaged (truncated,
    not a zip, a key missing): a broken entry is recomputed, never served."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {key: stored[key] for key in keys}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
