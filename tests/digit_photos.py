"""Photos of handwritten digits, made from MNIST test digits: dark ink on light paper, anywhere in
the frame, at any size, under uneven light, with sensor noise, saved as JPEG."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter

from gen_core.data import load_probe


def digit_photo(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    """A JPEG of one 28x28 digit (ink bright, values in [0, 1]) as a phone would photograph it."""
    frame_w, frame_h = int(rng.integers(160, 480)), int(rng.integers(160, 480))
    size = int(rng.integers(40, int(min(frame_w, frame_h) * 0.9)))
    ink = np.asarray(Image.fromarray((digit * 255).astype(np.uint8)).resize((size, size), Image.BILINEAR),
                     dtype=np.float64) / 255
    paper, pen = rng.uniform(0.7, 0.95), rng.uniform(0.05, 0.35)
    page = np.full((frame_h, frame_w), paper)
    top, left = int(rng.integers(0, frame_h - size + 1)), int(rng.integers(0, frame_w - size + 1))
    region = page[top:top + size, left:left + size]
    page[top:top + size, left:left + size] = region * (1 - ink) + pen * ink
    ys, xs = np.mgrid[0:frame_h, 0:frame_w]
    tilt_x, tilt_y = rng.uniform(-0.12, 0.12, size=2)
    light = 1 + tilt_x * (xs / frame_w - 0.5) + tilt_y * (ys / frame_h - 0.5)
    page = np.clip(page * light + rng.normal(0, 0.02, page.shape), 0, 1)
    picture = Image.fromarray((page * 255).astype(np.uint8))
    picture = picture.filter(ImageFilter.GaussianBlur(rng.uniform(0, 1.2)))
    buffer = io.BytesIO()
    picture.convert("RGB").save(buffer, format="JPEG", quality=int(rng.integers(60, 90)))
    return buffer.getvalue()


def digit_photos(n: int, seed: int = 0) -> tuple[list[bytes], np.ndarray]:
    """``n`` JPEG photos of MNIST test digits (the bundled probe set) and their labels."""
    probe = load_probe("mnist")
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(probe), n, replace=False)
    digits = probe.images[chosen, 0].numpy()
    return [digit_photo(d, rng) for d in digits], probe.labels[chosen].numpy()
