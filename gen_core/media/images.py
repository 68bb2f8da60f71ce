"""Turning image tensors into pictures: grids, crisp upscaling and PNG/GIF bytes."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gen_core.files.errors import InputError


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


def crisp(picture: np.ndarray, target_px: int) -> np.ndarray:
    """Upscale uint8 ``[H, W, C]`` by the whole factor that brings its longer side nearest ``target_px``."""
    factor = max(1, round(target_px / max(picture.shape[:2])))
    return upscale(picture, factor)


def gif_bytes(frames: list[np.ndarray], duration_ms: int = 120) -> bytes:
    """An endlessly looping animated GIF of uint8 ``[H, W, C]`` frames."""
    pictures = [to_pil(f) for f in frames]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:],
                     duration=duration_ms, loop=0)
    return buffer.getvalue()


class UserImageError(InputError):
    """A user's image cannot be used; the message says why."""


# Caps checked on the declared header, before any pixel is decoded, so that any accepted picture
# decodes within about 1 s and 300 MB here (``python -m bench.fuzz`` measures the worst cases).
# JPEG is decoded at 1/2 to 1/8 scale by the codec itself (``draft``), so a large photo costs
# what its reduced size does; other formats decode at full size.
MAX_JPEG_PIXELS = 40_000_000  # a 40-megapixel photo
MAX_OTHER_PIXELS = 12_000_000  # 12 megapixels: about 0.4 s and 100 MB for a 16-bit RGBA PNG
WORKING_SIDE = 1024  # longest side kept after decoding: far more than any model's frame needs
USER_IMAGE_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")
# MNIST's construction (LeCun et al.): each digit's box fitted into 20x20 of the 28x28 frame,
# keeping its aspect ratio, then centred by its centre of mass.
DIGIT_BOX_FRACTION = 20 / 28
INK_FLOOR = 0.2  # ink darker than paper by less than this share of the contrast is paper


def open_user_image(data: bytes) -> Image.Image:
    """Decode an uploaded picture (its first frame if animated) after checking its declared size;
    the result is at most ``WORKING_SIDE`` pixels a side.

    Raises ``UserImageError`` for anything that is not a picture of a sane size.
    """
    if not data:
        raise UserImageError("the file is empty")
    try:
        image = Image.open(io.BytesIO(data))  # reads the header only
    except Image.DecompressionBombError:
        raise UserImageError(f"the picture declares far more pixels than the {MAX_JPEG_PIXELS / 1e6:.0f} "
                             "megapixels accepted (a decompression bomb?)") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as err:
        raise UserImageError(f"not a picture this app reads, or a damaged one ({err})") from None
    if image.format not in USER_IMAGE_FORMATS:
        raise UserImageError(f"{image.format} pictures are not accepted; use PNG or JPEG")
    if image.format == "BMP" and image.info.get("compression", 0) not in (0, 3):
        # Run-length BMPs are decoded by Python code, 5 to 10 s for a large one.
        raise UserImageError("run-length compressed BMP pictures are not accepted; use PNG or JPEG")
    cap = MAX_JPEG_PIXELS if image.format == "JPEG" else MAX_OTHER_PIXELS
    pixels = image.width * image.height
    if pixels > cap or pixels == 0:
        raise UserImageError(f"the picture declares {image.width} × {image.height} pixels; at most "
                             f"{cap / 1e6:.0f} megapixels are accepted for {image.format}")
    try:
        image.seek(0)
        if image.format == "JPEG":
            image.draft(image.mode, (WORKING_SIDE, WORKING_SIDE))  # decode at a reduced scale
        image.load()
        factor = -(-max(image.size) // WORKING_SIDE)
        if factor == 1:
            return image
        if image.mode.startswith("I;16"):  # modes Pillow cannot reduce
            image = image.convert("I")
        elif image.mode in ("1", "P"):
            image = image.convert("RGBA")
        return image.reduce(factor)
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, Image.DecompressionBombError) as err:
        raise UserImageError(f"the picture is damaged or truncated ({err})") from None


def _grey(image: Image.Image) -> np.ndarray:
    """Any mode (16-bit, CMYK, palette, with alpha) -> grey ``[H, W]`` in [0, 1], alpha on white."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        values = np.asarray(image, dtype=np.float64)
        span = values.max() - values.min()
        return (values - values.min()) / span if span > 0 else np.zeros_like(values)
    rgba = image.convert("RGBA")
    paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(paper, rgba).convert("L"), dtype=np.float64) / 255


def from_user_image(image: Image.Image, image_shape: tuple[int, int, int]) -> torch.Tensor:
    """A photo or drawing prepared the way the dataset's images were made: ``[1, C, H, W]`` in [0, 1].

    For grey datasets (MNIST-like): ink is whatever differs from the paper (the border's typical
    shade), so dark ink on light paper and light ink on dark are both read; the ink is cropped,
    fitted into 20/28 of the frame keeping its aspect ratio, and centred by its centre of mass.
    Colour datasets get the picture resized to the frame. Raises ``UserImageError`` when no ink.
    """
    channels, height, width = image_shape
    if channels != 1:
        resized = image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
        return torch.from_numpy(np.asarray(resized, dtype=np.float32) / 255).permute(2, 0, 1)[None]
    grey = _grey(image)
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    paper = float(np.median(border))
    ink = np.abs(grey - paper)
    contrast = np.percentile(ink, 99.9)
    if contrast < 0.05:
        raise UserImageError("no ink found: the picture is blank (draw or photograph a digit)")
    ink = np.clip((ink / contrast - INK_FLOOR) / (1 - INK_FLOOR), 0, 1)
    crop = ink[_mass_span(ink.sum(1)), _mass_span(ink.sum(0))]
    scale = DIGIT_BOX_FRACTION * min(height, width) / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    fitted = Image.fromarray(crop.astype(np.float32), mode="F").resize(size, Image.Resampling.LANCZOS)
    fitted = np.asarray(fitted)
    fitted = np.clip(fitted / max(float(fitted.max()), 1e-6), 0, 1)
    return torch.from_numpy(_centred(fitted, height, width))[None, None]


def _mass_span(mass: np.ndarray, trim: float = 0.005) -> slice:
    """The range holding all but ``trim`` of ``mass`` at each end: specks of noise far from the
    ink carry almost no mass, so they do not stretch the digit's box the way a bounding box would."""
    total = np.cumsum(mass) / mass.sum()
    return slice(int(np.searchsorted(total, trim)), int(np.searchsorted(total, 1 - trim)) + 1)


def _centred(patch: np.ndarray, height: int, width: int) -> np.ndarray:
    """``patch`` placed in a ``[height, width]`` frame with its centre of mass at the centre."""
    total = patch.sum()
    ys, xs = np.indices(patch.shape)
    com_y, com_x = (ys * patch).sum() / total, (xs * patch).sum() / total
    top = int(np.clip(round(height / 2 - com_y), 0, height - patch.shape[0]))
    left = int(np.clip(round(width / 2 - com_x), 0, width - patch.shape[1]))
    frame = np.zeros((height, width), dtype=np.float32)
    frame[top:top + patch.shape[0], left:left + patch.shape[1]] = patch
    return frame
