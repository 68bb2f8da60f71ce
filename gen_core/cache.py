"""On-disk caches of derived artifacts, keyed by a checkpoint's content hash.

Artifacts (preview grids, map projections) live in ``cache/`` beside the checkpoint they derive
from. The file name carries the checkpoint's content hash, so retraining a model under the same
name never serves a stale picture; for the shipped models these files are committed.
"""

from __future__ import annotations

import contextlib
import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gen_core.images import image_grid, save_png
from gen_core.models import GenerativeModel

CACHE_DIR_NAME = "cache"
PREVIEW_SEED, PREVIEW_COUNT, PREVIEW_ROW = 0, 16, 8


def content_hash(path: str | Path) -> str:
    """First 16 hex digits of the file's SHA-256 (memoized while size and mtime are unchanged)."""
    stat = Path(path).stat()
    return _hash_file(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=256)
def _hash_file(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def cache_path(checkpoint: str | Path, kind: str, suffix: str) -> Path:
    """``cache/STEM-HASH-KIND.SUFFIX`` beside ``checkpoint``."""
    checkpoint = Path(checkpoint)
    name = f"{checkpoint.stem}-{content_hash(checkpoint)}-{kind}.{suffix}"
    return checkpoint.parent / CACHE_DIR_NAME / name


def stale_cache_files(folder: str | Path) -> list[Path]:
    """Cache files in ``folder/cache/`` derived from no current checkpoint (an older version or a
    deleted file): their ``STEM-HASH-`` prefix matches no ``.safetensors`` file in ``folder``."""
    folder = Path(folder)
    current = {f"{p.stem}-{content_hash(p)}-" for p in folder.glob("*.safetensors")}
    return sorted(p for p in (folder / CACHE_DIR_NAME).glob("*")
                  if p.is_file() and not any(p.name.startswith(prefix) for prefix in current))


def preview_grid(model: GenerativeModel, checkpoint: str | Path) -> np.ndarray:
    """A uint8 grid ``[H, W, C]`` of ``PREVIEW_COUNT`` samples from a fixed seed, cached as PNG."""
    path = cache_path(checkpoint, "preview", "png")
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
