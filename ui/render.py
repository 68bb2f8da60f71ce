"""Showing pictures: crisp nearest-neighbour upscaling to a display size, and downloads."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st
import torch

from gen_core.media.downloads import SLIDE_PX
from gen_core.media.images import crisp, image_grid, png_bytes, to_pil
from gen_core.models import GenerativeModel
from ui.presenter import presenting

LARGE_PX, MEDIUM_PX = 448, 280
PRESENTER_SCALE = 1.5


def show_picture(picture: np.ndarray, target_px: int = LARGE_PX, caption: str | None = None) -> None:
    """Display uint8 ``[H, W, C]`` at about ``target_px`` with crisp pixels (PNG, never JPEG);
    half as large again in presenter mode, for a room."""
    target_px = round(target_px * (PRESENTER_SCALE if presenting() else 1))
    st.image(to_pil(crisp(picture, target_px)), caption=caption, output_format="PNG")


def show_images(images: torch.Tensor, nrow: int, target_px: int = LARGE_PX,
                caption: str | None = None) -> np.ndarray:
    """Tile images ``[B, C, H, W]`` into a grid, show it, and return the grid ``[H', W', C]``."""
    grid = image_grid(images, nrow=nrow, padding=0 if len(images) == 1 else 2)  # no frame round one image
    show_picture(grid, target_px, caption)
    return grid


@torch.no_grad()
def decoded_grid(model: GenerativeModel, latents: torch.Tensor | list[float], nrow: int) -> np.ndarray:
    """Latents ``[D]`` or ``[B, D]`` decoded on the server into one uint8 grid ``[H, W, C]`` (no
    frame round a single image)."""
    images = model.decode(torch.as_tensor(latents, dtype=torch.float32).reshape(-1, model.latent_dim))
    return image_grid(images, nrow=nrow, padding=0 if len(images) == 1 else 2)


def download_png(picture: np.ndarray | Callable[[], np.ndarray], file_name: str, key: str,
                 label: str = "Download PNG") -> None:
    """A download button for uint8 ``[H, W, C]``, enlarged crisply to slide size (``SLIDE_PX``).

    ``picture`` may be a function making it, called only when the button is clicked.
    """
    def data() -> bytes:
        return png_bytes(crisp(picture() if callable(picture) else picture, SLIDE_PX))

    st.download_button(label, data if callable(picture) else data(), file_name=file_name,
                       mime="image/png", key=key)
