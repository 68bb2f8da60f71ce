"""Turning image tensors into pictures: grids, crisp upscaling and PNG/GIF bytes."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """Images ``[B, C, H, W]`` in [0, 1] -> uint8 array ``[B, H, W, C]``."""
    pixels = images.detach().float().clamp(0, 1).mul(255).round().to(torch.uint8)
    return pixels.permute(0, 2, 3, 1).cpu().numpy()


def image_grid(images: torch.Tensor, nrow: int = 8, padding: int = 2, pad_value: float = 1.0) -> np.ndarray:
    """Tile images ``[B, C, H, W]`` into one uint8 picture ``[H', W', C]``, ``nrow`` per row."""
    b, c, h, w = images.shape
    ncol = min(nrow, b)
    nrows = -(-b // ncol)
    canvas = torch.full((c, nrows * (h + padding) + padding, ncol * (w + padding) + padding), pad_value)
    for i in range(b):
        top = padding + (i // ncol) * (h + padding)
        left = padding + (i % ncol) * (w + padding)
        canvas[:, top:top + h, left:left + w] = images[i].detach().float().cpu()
    return to_uint8(canvas.unsqueeze(0))[0]


def upscale(picture: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour upscaling of ``[H, W, C]`` so pixels stay crisp, never blurred."""
    return picture.repeat(factor, axis=0).repeat(factor, axis=1)


def to_pil(picture: np.ndarray) -> Image.Image:
    """uint8 ``[H, W, C]`` (C = 1 or 3) -> PIL image."""
    return Image.fromarray(picture[..., 0] if picture.shape[-1] == 1 else picture)


def png_bytes(picture: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    to_pil(picture).save(buffer, format="PNG")
    return buffer.getvalue()


def save_png(picture: np.ndarray, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png_bytes(picture))
    return path


def gif_bytes(frames: list[np.ndarray], duration_ms: int = 120) -> bytes:
    """An endlessly looping animated GIF of uint8 ``[H, W, C]`` frames."""
    pictures = [to_pil(f) for f in frames]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:],
                     duration=duration_ms, loop=0)
    return buffer.getvalue()
