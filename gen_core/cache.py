"""A model's identity (the SHA-256 of its bytes) and the on-disk cache of what derives from it.

Artifacts (preview grids, map projections) live in one cache folder, named by the identity of
the bytes they derive from, so retraining a model under the same name never serves a stale
picture; for the shipped models these files are committed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import re
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gen_core.files.atomic import write_atomically
from gen_core.files.checkpoint import ONNX_SUFFIX, model_files
from gen_core.files.onnx_graph import named_encoder
from gen_core.media.images import image_grid, png_bytes
from gen_core.models import GenerativeModel

CACHE_DIR_NAME = "cache"
PREVIEW_SEED, PREVIEW_COUNT, PREVIEW_ROW = 0, 16, 8
SHORT_ID = 16  # hex digits of the identity in cache file names
SAFE_PART = re.compile(r"[a-z0-9](?:[a-z0-9_-]|\.(?!\.))*")  # no separator, no "..", no leading dot


def file_identity(path: str | Path) -> str:
    """The SHA-256 of the file's bytes, hex (memoized while its size and mtime are unchanged)."""
    stat = Path(path).stat()
    return _hash_file(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)


def model_identity(path: str | Path) -> str:
    """The identity of the model a file holds: the file's SHA-256; for an ONNX decoder with its
    encoder beside it (a foreign VAE), one of both files together, as a changed encoder makes
    other encodings (and maps) of the same decoder."""
    identity = file_identity(path)
    encoder = _encoder_beside(Path(path))
    return bytes_identity(f"{identity} {file_identity(encoder)}".encode()) if encoder else identity


def _encoder_beside(path: Path) -> Path | None:
    if path.suffix.lower() != ONNX_SUFFIX:
        return None
    stat = path.stat()
    name = _named_encoder(str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    return path.parent / name if name is not None and (path.parent / name).is_file() else None


@lru_cache(maxsize=256)
def _named_encoder(path: str, size: int, mtime_ns: int) -> str | None:
    return named_encoder(Path(path).name, Path(path).read_bytes())


def bytes_identity(data: bytes) -> str:
    """The SHA-256 of ``data``, hex: the same identity a file of these bytes has."""
    return hashlib.sha256(data).hexdigest()


def content_hash(path: str | Path) -> str:
    """The first ``SHORT_ID`` hex digits of the file's identity."""
    return file_identity(path)[:SHORT_ID]


@lru_cache(maxsize=256)
def _hash_file(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclasses.dataclass(frozen=True)
class ArtifactCache:
    """Where the derived artifacts of one model's bytes live: ``folder/HASH-KIND.SUFFIX``.

    Keyed by content alone, so the same bytes under two names (or uploaded twice) share entries
    and a retrained file never meets a stale one.
    """

    folder: Path
    identity: str

    @classmethod
    def beside(cls, checkpoint: str | Path) -> ArtifactCache:
        """The cache of a checkpoint file: the ``cache/`` folder next to it."""
        return cls(Path(checkpoint).parent / CACHE_DIR_NAME, model_identity(checkpoint))

    def file(self, kind: str, suffix: str) -> Path:
        """``folder/HASH-KIND.SUFFIX``. ``kind`` is this project's vocabulary plus dataset names,
        which the model card has already checked to be names; anything that could leave the
        folder or hide a file is a ``ValueError`` (a bug, never a path)."""
        if not (SAFE_PART.fullmatch(kind) and SAFE_PART.fullmatch(suffix)):
            raise ValueError(f"not a cache entry name: {kind[:80]!r}.{suffix[:8]!r}")
        return self.folder / f"{self.identity[:SHORT_ID]}-{kind}.{suffix}"


def evict(folder: Path, max_bytes: int, max_age_s: float, now: float | None = None) -> list[Path]:
    """Delete the files in ``folder`` last written more than ``max_age_s`` ago, then the oldest
    until the rest hold at most ``max_bytes``; returns what was deleted. Links are never followed."""
    now = time.time() if now is None else now
    try:
        entries = sorted(((e.stat(follow_symlinks=False).st_mtime, e.stat(follow_symlinks=False).st_size,
                           Path(e.path)) for e in os.scandir(folder) if e.is_file(follow_symlinks=False)),
                         reverse=True)  # newest first
    except FileNotFoundError:
        return []
    kept_bytes, deleted = 0, []
    for mtime, size, path in entries:
        kept_bytes += size
        if now - mtime > max_age_s or kept_bytes > max_bytes:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            deleted.append(path)
            kept_bytes -= size
    return deleted


def stale_cache_files(folder: str | Path) -> list[Path]:
    """Cache files in ``folder/cache/`` derived from no current checkpoint (an older version or a
    deleted file): their hash prefix matches no model file in ``folder``."""
    folder = Path(folder)
    current = {f"{model_identity(p)[:SHORT_ID]}-" for p in model_files(folder)}
    return sorted(p for p in (folder / CACHE_DIR_NAME).glob("*")
                  if p.is_file() and not any(p.name.startswith(prefix) for prefix in current))


def preview_grid(load: Callable[[], GenerativeModel], cache: ArtifactCache) -> np.ndarray:
    """A uint8 grid ``[H, W, C]`` of ``PREVIEW_COUNT`` samples from a fixed seed, cached as PNG.

    ``load`` gives the model and is called only when the grid must be drawn: a cached grid needs
    no weights read (and, keyed by the file's content, was drawn from these very bytes).
    """
    path = cache.file("preview", "png")
    try:
        picture = np.asarray(Image.open(path))
        return picture[..., None] if picture.ndim == 2 else picture
    except (OSError, ValueError, Image.DecompressionBombError):
        pass  # missing or damaged: drawn again
    with torch.no_grad():
        images = load().sample(PREVIEW_COUNT, torch.Generator().manual_seed(PREVIEW_SEED))
    picture = image_grid(images, nrow=PREVIEW_ROW)
    # A read-only checkout still shows the preview; it is just recomputed next time.
    with contextlib.suppress(OSError):
        write_atomically(path, png_bytes(picture))
    return picture
