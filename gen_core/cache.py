"""A model's identity (the SHA-256 of its bytes) and the on-disk cache of what derives from it.

Artifacts (preview grids, map projections) live in one cache folder, named by the identity of
the bytes they derive from, so retraining a model under the same name never serves a stale
picture; for the shipped models these files are committed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gen_core.checkpoint import model_files
from gen_core.images import image_grid, save_png
from gen_core.models import GenerativeModel

CACHE_DIR_NAME = "cache"
PREVIEW_SEED, PREVIEW_COUNT, PREVIEW_ROW = 0, 16, 8
SHORT_ID = 16  # hex digits of the identity in cache file names


def file_identity(path: str | Path) -> str:
    """The SHA-256 of the file's bytes, hex (memoized while its size and mtime are unchanged)."""
    stat = Path(path).stat()
    return _hash_file(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)


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
        return cls(Path(checkpoint).parent / CACHE_DIR_NAME, file_identity(checkpoint))

    def file(self, kind: str, suffix: str) -> Path:
        return self.folder / f"{self.identity[:SHORT_ID]}-{kind}.{suffix}"


def stale_cache_files(folder: str | Path) -> list[Path]:
    """Cache files in ``folder/cache/`` derived from no current checkpoint (an older version or a
    deleted file): their hash prefix matches no model file in ``folder``."""
    folder = Path(folder)
    current = {f"{content_hash(p)}-" for p in model_files(folder)}
    return sorted(p for p in (folder / CACHE_DIR_NAME).glob("*")
                  if p.is_file() and not any(p.name.startswith(prefix) for prefix in current))


def preview_grid(model: GenerativeModel, cache: ArtifactCache) -> np.ndarray:
    """A uint8 grid ``[H, W, C]`` of ``PREVIEW_COUNT`` samples from a fixed seed, cached as PNG."""
    path = cache.file("preview", "png")
    if path.is_file():
        picture = np.asarray(Image.open(path))
        return picture[..., None] if picture.ndim == 2 else picture
    with torch.no_grad():
        images = model.sample(PREVIEW_COUNT, torch.Generator().manual_seed(PREVIEW_SEED))
    picture = image_grid(images, nrow=PREVIEW_ROW)
    # A read-only checkout still shows the preview; it is just recomputed next time.
    with contextlib.suppress(OSError):
        save_png(picture, path)
    return picture
