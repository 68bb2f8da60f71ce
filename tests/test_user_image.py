"""A person's own picture: photos and drawings prepared as the dataset's images, bad files refused."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from gen_core.data import load_probe
from gen_core.eval.classifier import default_classifier_path, load_classifier
from gen_core.media.images import UserImageError, from_user_image, open_user_image
from tests.digit_photos import digit_photos

MNIST = (1, 28, 28)


def _bytes(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def test_photos_of_handwritten_digits_are_read_as_the_right_digit():
    photos, labels = digit_photos(200, seed=1)
    prepared = torch.cat([from_user_image(open_user_image(p), MNIST) for p in photos])
    classifier = load_classifier(default_classifier_path("mnist"))
    with torch.no_grad():
        read = classifier(prepared).argmax(1).numpy()
    assert (read == labels).mean() >= 0.9


def test_an_mnist_digit_comes_back_nearly_unchanged():
    digit = load_probe("mnist").images[0, 0].numpy()
    prepared = from_user_image(Image.fromarray((digit * 255).astype(np.uint8)), MNIST)[0, 0].numpy()
    assert prepared.shape == (28, 28) and prepared.min() >= 0 and prepared.max() <= 1
    assert np.corrcoef(prepared.ravel(), digit.ravel())[0, 1] > 0.8


def test_a_drawing_on_a_transparent_pad_is_ink_on_paper():
    pad = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    ImageDraw.Draw(pad).line([(140, 40), (140, 240)], fill=(0, 0, 0, 255), width=22)
    prepared = from_user_image(open_user_image(_bytes(pad)), MNIST)[0, 0]
    column_ink = prepared.sum(0)
    assert column_ink[12:17].sum() > 0.95 * column_ink.sum()  # a centred vertical stroke ...
    assert (prepared.sum(1) > 0.5).sum() >= 18  # ... about 20 pixels tall


@pytest.mark.parametrize("mode", ["I;16", "CMYK", "P", "LA"])
def test_unusual_modes_are_read(mode):
    image = Image.new("L", (64, 64), 255)
    ImageDraw.Draw(image).ellipse([16, 8, 48, 56], outline=0, width=6)
    wide = Image.fromarray(np.asarray(image).astype(np.uint16) * 257)  # 16-bit grey
    converted = wide if mode == "I;16" else image.convert(mode)
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    prepared = from_user_image(open_user_image(_bytes(converted, fmt)), MNIST)
    assert prepared.shape == (1, 1, 28, 28) and prepared.max() == pytest.approx(1.0)


def test_an_animated_image_gives_its_first_frame():
    frames = [Image.new("L", (32, 32), 255) for _ in range(2)]
    ImageDraw.Draw(frames[0]).rectangle([10, 4, 20, 28], fill=0)
    data = _bytes(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert from_user_image(open_user_image(data), MNIST).sum() > 0


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb's trick)."""
    data = bytearray(_bytes(Image.new("L", (8, 8), 255)))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


@pytest.mark.parametrize(("data", "says"), [
    (_png_declaring(50_000, 50_000), "declares far more pixels"),
    (_png_declaring(8_000, 6_000), "declares 8000 × 6000 pixels"),
    (b"", "empty"),
    (b"%PDF-1.4 not a picture at all", "not a picture"),
    (_bytes(Image.new("L", (300, 300), 128), "JPEG")[:300], "damaged"),
    (_bytes(Image.new("L", (16, 16), 0), "TIFF"), "not accepted"),
])
def test_bad_files_get_a_clear_error(data, says):
    with pytest.raises(UserImageError, match=says):
        open_user_image(data)


def test_a_blank_picture_has_no_ink():
    with pytest.raises(UserImageError, match="no ink"):
        from_user_image(Image.new("L", (100, 100), 240), MNIST)
