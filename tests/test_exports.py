"""Exported files: latents as .npy, the map as CSV, sweeps as GIFs, pictures at slide size."""

from __future__ import annotations

import csv
import io

import numpy as np
import torch
from PIL import Image

from gen_core.media.downloads import SLIDE_PX, map_csv, npy_bytes, sweep_gif
from gen_core.media.images import crisp


def test_latents_round_trip_through_npy_without_pickle():
    latents = torch.randn(5, 3)
    loaded = np.load(io.BytesIO(npy_bytes(latents)), allow_pickle=False)
    assert loaded.dtype == np.float32 and np.array_equal(loaded, latents.numpy())
    assert np.array_equal(np.load(io.BytesIO(npy_bytes([0.5, -1.0]))), np.array([0.5, -1.0], np.float32))


def test_map_csv_has_a_row_per_point_with_its_class_and_latent():
    coords = np.array([[0.5, -1.25], [3.0, 4.0]], dtype=np.float32)
    rows = list(csv.reader(io.StringIO(map_csv(coords, np.array([1, -1]), ("zero", "one"),
                                               np.array([[1.0, 2.0], [3.0, 4.5]])).decode())))
    assert rows[0] == ["index", "x", "y", "label", "class", "z0", "z1"]
    assert rows[1] == ["0", "0.5", "-1.25", "1", "one", "1", "2"]
    assert rows[2] == ["1", "3", "4", "-1", "", "3", "4.5"]  # unlabelled: no class name


def test_a_sweep_gif_goes_forward_and_back_with_every_row():
    frames = torch.zeros(4, 2, 1, 8, 8)
    for t in range(4):
        frames[t] = t / 3  # brighter each frame
    gif = Image.open(io.BytesIO(sweep_gif(frames, target_px=64)))
    assert gif.n_frames == 4 + 2  # there and back, ends not repeated
    assert gif.size[0] >= 64 and gif.size[0] > gif.size[1]  # two images side by side
    brightness = []
    for index in range(gif.n_frames):
        gif.seek(index)
        brightness.append(np.asarray(gif.convert("L"))[gif.size[1] // 2, 4])
    assert brightness == sorted(brightness[:4]) + sorted(brightness[4:], reverse=True)


def test_pictures_are_enlarged_crisply_to_slide_size():
    picture = np.random.default_rng(0).integers(0, 255, (28, 28, 1), dtype=np.uint8)
    big = crisp(picture, SLIDE_PX)
    assert big.shape == (1036, 1036, 1)  # 37 x 28: the whole factor nearest 1024
    assert np.array_equal(big[::37, ::37], picture)  # every pixel a block of its own value
