"""The whole dataset on the map: built in its own process, atomically, one builder at a time."""

from __future__ import annotations

import os
import struct
import subprocess
import sys

import numpy as np
import pytest
import torch

from gen_core.cache import ArtifactCache
from gen_core.data import has_full_split
from gen_core.files.checkpoint import save_model
from gen_core.maps import full_map
from gen_core.models import build_model
from gen_core.models.vae import VAEConfig


def write_idx(folder, split: str, images: np.ndarray, labels: np.ndarray) -> None:
    """MNIST's raw files (torchvision's layout) for ``images`` ``[N, 28, 28]`` uint8 and ``labels``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{split}-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 2051, len(images), 28, 28)
                                                        + images.tobytes())
    (folder / f"{split}-labels-idx1-ubyte").write_bytes(struct.pack(">II", 2049, len(labels))
                                                        + labels.tobytes())


@pytest.fixture
def mnist_root(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / "data"
    for split, n in (("train", 60), ("t10k", 20)):
        labels = (np.arange(n) % 2).astype(np.uint8)
        images = np.zeros((n, 28, 28), np.uint8)
        for i, label in enumerate(labels):  # two kinds of picture, a little noise
            images[i, 4:24, 6:10] = 255 if label == 0 else 0
            images[i, 12:16, 4:24] = 255 if label == 1 else 0
            images[i] = np.clip(images[i] + rng.integers(0, 30, (28, 28)), 0, 255)
        write_idx(root / "MNIST" / "raw", split, images, labels)
    return root


@pytest.fixture
def checkpoint(tmp_path):
    torch.manual_seed(0)
    model = build_model("vae", VAEConfig(arch="mlp", latent_dim=3, hidden=(16,), image_shape=(1, 28, 28)))
    return save_model(model.eval(), tmp_path / "models" / "vae.safetensors", dataset={"name": "mnist"})


def test_the_data_root_is_checked_for_both_splits(mnist_root, tmp_path):
    assert has_full_split("mnist", mnist_root)
    assert not has_full_split("fashion-mnist", mnist_root) and not has_full_split("digits", mnist_root)
    (mnist_root / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").unlink()
    assert not has_full_split("mnist", mnist_root)


@pytest.mark.slow
def test_every_image_is_encoded_projected_and_cached(checkpoint, mnist_root):
    path = full_map.build(checkpoint, mnist_root)
    cache = ArtifactCache.beside(checkpoint)
    built = full_map.read_map(path)
    assert built["coords"].shape == (80, 2) and built["latents"].shape == (80, 3)
    assert built["labels"].tolist() == [i % 2 for i in range(60)] + [i % 2 for i in range(20)]
    assert full_map.read_progress(cache, "mnist") is None  # finished: no progress file left
    assert not list(cache.folder.glob("*lock*")) and not list(cache.folder.glob("*.tmp*"))
    path.write_bytes(path.read_bytes()[:100])  # damaged on disk: read as not built, never served
    assert full_map.read_map(path) is None


def test_one_builder_at_a_time_and_a_dead_builders_lock_is_taken_over(checkpoint):
    cache = ArtifactCache.beside(checkpoint)
    cache.folder.mkdir(parents=True, exist_ok=True)
    lock = cache.file("fullmap-mnist-lock", "pid")
    lock.write_text(str(os.getpid()))  # a live holder
    with pytest.raises(SystemExit, match="another process"), full_map._lock(cache, "mnist"):
        pass
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock.write_text(str(dead.pid))  # its holder has died
    with full_map._lock(cache, "mnist"):
        assert lock.read_text() == str(os.getpid())
    assert not lock.exists()


def test_progress_of_a_build_that_failed_is_not_building(checkpoint):
    cache = ArtifactCache.beside(checkpoint)
    cache.folder.mkdir(parents=True, exist_ok=True)
    full_map._write_progress(cache, "mnist", {"stage": "failed", "done": 0.0, "pid": os.getpid(),
                                               "error": "DataError: no images"})
    assert full_map.read_progress(cache, "mnist")["error"].startswith("DataError")
    assert not full_map.building(cache, "mnist")
    full_map._write_progress(cache, "mnist", {"stage": "encoding", "done": 0.2, "pid": os.getpid()})
    assert full_map.building(cache, "mnist")
