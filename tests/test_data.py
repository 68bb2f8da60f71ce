"""Datasets load as in-memory tensors; a missing offline dataset fails with the expected layout."""

import numpy as np
import pytest
import torch
from PIL import Image

from gen_core.data import (
    IMAGE_FOLDERS_ENV,
    DataError,
    load_dataset,
    load_eval_images,
    load_probe,
    resolve_data_root,
)


def test_missing_offline_dataset_names_the_expected_layout(tmp_path):
    with pytest.raises(DataError) as info:
        load_dataset("mnist", train=True, data_root=tmp_path, download=False)
    message = str(info.value)
    assert str(tmp_path) in message and "MNIST/raw/train-images-idx3-ubyte" in message
    assert "--data-root" in message and "GEN_CORE_DATA" in message


def test_data_root_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("GEN_CORE_DATA", str(tmp_path))
    assert resolve_data_root("explicit") == resolve_data_root("explicit")
    assert str(resolve_data_root("explicit")) == "explicit"
    assert resolve_data_root(None) == tmp_path
    monkeypatch.delenv("GEN_CORE_DATA")
    assert str(resolve_data_root(None)) == "data"


def test_torchvision_layout_loads_as_tensors(tmp_path):
    """Write a 5-image MNIST in the raw idx format and load it through torchvision."""
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    pixels = np.arange(5 * 28 * 28, dtype=np.uint32).reshape(5, 28, 28).astype(np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    for split in ("train", "t10k"):
        (raw / f"{split}-images-idx3-ubyte").write_bytes(
            np.array([2051, 5, 28, 28], dtype=">u4").tobytes() + pixels.tobytes())
        (raw / f"{split}-labels-idx1-ubyte").write_bytes(
            np.array([2049, 5], dtype=">u4").tobytes() + labels.tobytes())
    data = load_dataset("mnist", train=True, data_root=tmp_path, download=False)
    assert data.images.shape == (5, 1, 28, 28) and data.images.dtype == torch.float32
    assert torch.equal(data.labels, torch.tensor([3, 1, 4, 1, 5]))
    assert data.images.max() == 1.0 and data.images.min() == 0.0
    torch.testing.assert_close(data.images[0, 0, 0, 5], torch.tensor(5 / 255))


def test_digits_split_is_fixed_and_disjoint():
    train, test = load_dataset("digits", train=True), load_dataset("digits", train=False)
    assert train.images.shape[1:] == (1, 8, 8) and len(train) + len(test) == 1797
    assert train.images.min() >= 0 and train.images.max() <= 1
    assert torch.equal(load_dataset("digits", train=True).labels, train.labels)


def test_a_named_image_folder_is_converted_to_the_requested_shape(tmp_path, monkeypatch):
    for cls, colour in (("cats", (255, 0, 0)), ("dogs", (0, 0, 255))):
        (tmp_path / cls).mkdir()
        for i in range(3):
            Image.new("RGB", (40, 30), colour).save(tmp_path / cls / f"{i}.png")
    monkeypatch.setenv(IMAGE_FOLDERS_ENV, f"pets={tmp_path}")
    data = load_dataset("pets", image_shape=(1, 16, 16))
    assert data.images.shape == (6, 1, 16, 16)
    assert data.class_names == ("cats", "dogs") and data.labels.tolist() == [0, 0, 0, 1, 1, 1]
    rgb = load_dataset("pets", image_shape=(3, 8, 8))
    assert rgb.images.shape == (6, 3, 8, 8)
    torch.testing.assert_close(rgb.images[0, :, 0, 0], torch.tensor([1.0, 0.0, 0.0]))


def test_missing_image_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(IMAGE_FOLDERS_ENV, f"gone={tmp_path / 'nope'}")
    with pytest.raises(DataError, match="does not exist"):
        load_dataset("gone")


@pytest.mark.parametrize("name", ["folder:/etc", "../data", "/tmp", "mnist/../x", "Pets"])
def test_a_path_or_a_name_the_server_does_not_know_is_never_read(tmp_path, monkeypatch, name):
    monkeypatch.setenv(IMAGE_FOLDERS_ENV, f"pets={tmp_path}")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match="unknown dataset"):
        load_dataset(name)


def test_an_image_folder_with_a_link_loop_and_stray_files_is_read_once(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    Image.new("L", (8, 8), 200).save(tmp_path / "a" / "0.png")
    (tmp_path / "a" / "loop").symlink_to(tmp_path, target_is_directory=True)  # a loop, if followed
    (tmp_path / "a" / "notes.txt").write_text("not a picture")
    (tmp_path / "b").symlink_to(tmp_path / "a", target_is_directory=True)  # a linked class: skipped
    monkeypatch.setenv(IMAGE_FOLDERS_ENV, f"loop={tmp_path}")
    data = load_dataset("loop", image_shape=(1, 8, 8))
    assert len(data) == 1 and data.class_names == ("a",)


def test_a_misconfigured_folder_entry_is_named(monkeypatch):
    monkeypatch.setenv(IMAGE_FOLDERS_ENV, "mnist=/elsewhere")  # may not replace a fixed set
    with pytest.raises(DataError, match="NAME=PATH"):
        load_dataset("anything")


def test_unknown_dataset():
    with pytest.raises(DataError, match="unknown dataset"):
        load_dataset("cifar-100")


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_bundled_probe_sets(name):
    probe = load_probe(name)
    assert len(probe) >= 2000 and probe.images.shape[1:] == (1, 28, 28)
    assert torch.bincount(probe.labels, minlength=10).min() >= 150
    assert len(probe.class_names) == 10


def test_eval_images_fall_back_to_the_probe_set(tmp_path):
    assert len(load_eval_images("mnist", data_root=tmp_path)) == len(load_probe("mnist"))
