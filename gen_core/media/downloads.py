"""Files people take away: latents as ``.npy``, a map as CSV, a sweep of pictures as a GIF.

Each function returns the file's bytes, so the app offers them as downloads and scripts write them.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import torch

from gen_core.media.images import crisp, gif_bytes, image_grid

SLIDE_PX = 1024  # the longer side of an exported picture: sharp on a projected slide


def npy_bytes(array: np.ndarray | torch.Tensor) -> bytes:
    """``array`` as a ``.npy`` file (``numpy.load`` reads it back, no pickle needed)."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array, dtype=np.float32), allow_pickle=False)
    return buffer.getvalue()


def map_csv(coords: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...],
            latents: np.ndarray | torch.Tensor) -> bytes:
    """One row per mapped point: its index, map ``x``/``y`` ``[N, 2]``, label ``[N]`` (-1 for none),
    class name and latent ``[N, D]`` as ``z0 … z{D-1}`` (UTF-8, with a header)."""
    latents = np.asarray(latents, dtype=np.float32)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["index", "x", "y", "label", "class", *(f"z{d}" for d in range(latents.shape[1]))])
    for i, ((x, y), label, z) in enumerate(zip(coords, labels, latents, strict=True)):
        name = class_names[label] if 0 <= label < len(class_names) else ""
        writer.writerow([i, f"{x:.6g}", f"{y:.6g}", int(label), name, *(f"{v:.6g}" for v in z)])
    return text.getvalue().encode("utf-8")



def linked_map_csv(coords_a: np.ndarray, coords_b: np.ndarray, labels: np.ndarray,
                   overlap: np.ndarray) -> bytes:
    """One row per image of two linked maps: its index, label ``[N]`` (-1 for none), its place on
    map A and on map B ``[N, 2]`` each, and its neighbour overlap ``[N]`` (UTF-8, with a header)."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["index", "label", "xA", "yA", "xB", "yB", "overlap"])
    for i, ((xa, ya), (xb, yb), label, shared) in enumerate(zip(coords_a, coords_b, labels, overlap,
                                                                 strict=True)):
        writer.writerow([i, int(label), *(f"{v:.6g}" for v in (xa, ya, xb, yb)), f"{shared:.4g}"])
    return text.getvalue().encode("utf-8")

def sweep_gif(frames: torch.Tensor, target_px: int = 448, duration_ms: int = 120) -> bytes:
    """An animated GIF of frames ``[T, B, C, H, W]`` (each frame a row of ``B`` images) going
    forward and back, each frame enlarged crisply to about ``target_px`` wide."""
    pictures = [crisp(image_grid(frame, nrow=len(frame), padding=0 if len(frame) == 1 else 2),
                              target_px) for frame in frames]
    return gif_bytes(pictures + pictures[-2:0:-1], duration_ms)


TIMELINE_HOLD_FRAMES = 3  # the finished model stays on screen a moment before the loop starts again


def timeline_gif(frames: torch.Tensor, target_px: int = 448, duration_ms: int = 400) -> bytes:
    """An animated GIF of one picture ``[T, C, H, W]`` (or one row of ``B`` pictures ``[T, B, C, H, W]``)
    per training snapshot, in training order, the last held a little longer, looping; each frame
    enlarged crisply to about ``target_px`` wide."""
    rows = frames[:, None] if frames.dim() == 4 else frames
    pictures = [crisp(image_grid(row, nrow=len(row), padding=0 if len(row) == 1 else 2), target_px)
                for row in rows]
    return gif_bytes(pictures + [pictures[-1]] * TIMELINE_HOLD_FRAMES, duration_ms)
