"""The emoji dataset: built from a (here, tiny made-up) npm package read in memory, composited over
white, base drawings only, Component dropped, a split fixed by code points, loaded like any set."""

from __future__ import annotations

import io
import json
import tarfile
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

from gen_core import emoji_data
from gen_core.data import DataError, has_full_split, load_dataset, load_eval_images, load_probe
from gen_core.emoji_data import CATEGORIES, EmojiFileError, build, split_file

SMILEYS, FLAGS = CATEGORIES.index("Smileys & Emotion"), CATEGORIES.index("Flags")
HALF_RED = (255, 0, 0, 128)  # the drawings' corner pixel: red at half opacity


def drawing(colour: tuple[int, int, int], size: int = 64) -> bytes:
    """A transparent PNG with an opaque square of ``colour`` in the middle and a half-red corner."""
    picture = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    picture.paste((*colour, 255), (16, 16, 48, 48))
    picture.putpixel((0, 0), HALF_RED)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def listing() -> list[dict]:
    """Ten smileys (one with skin-tone variants), three flags, one Component, one with no Google
    drawing."""
    entries = [{"unified": f"1F6{i:02X}", "image": f"1f6{i:02x}.png", "category": "Smileys & Emotion",
                "has_img_google": True} for i in range(10)]
    entries[3]["skin_variations"] = {"1F3FB": {"unified": "1F603-1F3FB", "image": "1f603-1f3fb.png",
                                               "has_img_google": True}}
    entries += [{"unified": f"1F1E6-1F1E{i}", "image": f"1f1e6-1f1e{i}.png", "category": "Flags",
                 "has_img_google": True} for i in range(3)]
    entries += [{"unified": "1F3FB", "image": "1f3fb.png", "category": "Component", "has_img_google": True},
                {"unified": "1FAE8", "image": "1fae8.png", "category": "Smileys & Emotion",
                 "has_img_google": False}]
    return entries


def package(path, entries: list[dict], drawings: dict[str, bytes] | None = None,
            extra: tuple[tarfile.TarInfo, ...] = ()):
    """Write a gzipped tarball laid out as the npm package; every drawing named in ``entries``
    (and each skin-tone variant) is there unless ``drawings`` says otherwise."""
    names = [e["image"] for e in entries] + ["1f603-1f3fb.png"]
    # Each drawing's red channel comes from its name, so the same emoji is the same picture.
    files = {f"{emoji_data.IMAGE_FOLDER}{name}": drawing((zlib.crc32(name.encode()) % 256, 200, 40))
             for name in names}
    files.update({f"{emoji_data.IMAGE_FOLDER}{name}": data for name, data in (drawings or {}).items()})
    files[emoji_data.LISTING] = json.dumps(entries).encode()
    files[emoji_data.LICENSE] = b"The MIT License (MIT)\n"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra:
            tar.addfile(info)
    return path


@pytest.fixture
def built(tmp_path):
    root = tmp_path / "data"
    counts = build(package(tmp_path / "emoji.tgz", listing()), root)
    return root, counts


def test_drawings_are_composited_over_white(built):
    root, _ = built
    images = load_dataset("emoji", train=True, data_root=root, download=False).images  # [N, 3, 64, 64]
    assert images.shape[1:] == (3, 64, 64) and images.dtype == torch.float32
    assert torch.equal(images[:, :, 5, 5], torch.ones(len(images), 3))  # transparent -> white
    torch.testing.assert_close(images[:, 1, 32, 32], torch.full((len(images),), 200 / 255))  # opaque kept
    red_over_white = images[:, :, 0, 0] * 255
    torch.testing.assert_close(red_over_white, torch.tensor([255.0, 127, 127]).expand_as(red_over_white),
                               atol=1, rtol=0)


def test_only_base_drawings_with_a_google_image_outside_component_are_kept(built):
    root, counts = built
    assert counts["Smileys & Emotion"] == (9, 1) and counts["Flags"] == (3, 0)  # a tenth held out
    assert sum(sum(pair) for pair in counts.values()) == 13  # no Component, variant or missing drawing
    train = load_dataset("emoji", train=True, data_root=root)
    test = load_dataset("emoji", train=False, data_root=root)
    assert train.class_names == test.class_names == CATEGORIES and "Component" not in CATEGORIES
    assert sorted(set(train.labels.tolist())) == [SMILEYS, FLAGS] and test.labels.tolist() == [SMILEYS]
    assert (root / "emoji" / "NOTICE").read_text().count("Apache License, Version 2.0") == 1


def test_the_split_depends_on_code_points_not_on_file_order(tmp_path, built):
    root, _ = built
    again = tmp_path / "again"
    build(package(tmp_path / "reversed.tgz", listing()[::-1]), again)
    for train in (True, False):
        with np.load(split_file(root, train)) as first, np.load(split_file(again, train)) as second:
            assert all(np.array_equal(first[key], second[key]) for key in ("images", "labels", "class_names"))


def test_a_drawing_of_another_size_is_refused(tmp_path):
    tgz = package(tmp_path / "emoji.tgz", listing(), {"1f601.png": drawing((0, 0, 0), size=72)})
    with pytest.raises(EmojiFileError, match=r"1f601\.png: a PNG of 72x72, not a 64x64 PNG"):
        build(tgz, tmp_path / "data")
    assert not split_file(tmp_path / "data", True).exists()


def link(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
    return info


@pytest.mark.parametrize(("member", "says"), [
    (tarfile.TarInfo("package/../../escape.png"), "refused member name"),
    (tarfile.TarInfo("/absolute"), "refused member name"),
    (tarfile.TarInfo(f"{emoji_data.IMAGE_FOLDER}notes.txt"), "refused member name"),
    (link(f"{emoji_data.IMAGE_FOLDER}1f1e6-1f1ef.png"), "not a regular file"),
])
def test_odd_members_are_refused_and_nothing_is_written(tmp_path, member, says):
    tgz = package(tmp_path / "emoji.tgz", listing(), extra=(member,))
    with pytest.raises(EmojiFileError, match=says):
        build(tgz, tmp_path / "data")
    assert not (tmp_path / "data").exists()


def test_missing_files_name_the_build_command(tmp_path):
    assert not has_full_split("emoji", tmp_path)
    with pytest.raises(DataError) as caught:
        load_dataset("emoji", train=False, data_root=tmp_path, download=False)
    message = str(caught.value)
    assert str(split_file(tmp_path, False)) in message
    assert "npm pack emoji-datasource-google@16.0.0" in message and "python -m gen_core.emoji_data" in message


def test_a_built_file_of_the_wrong_shape_is_refused(tmp_path):
    path = split_file(tmp_path, True)
    emoji_data.write_split(path, np.zeros((2, 28, 28, 3), np.uint8), np.zeros(2, np.int64))
    with pytest.raises(DataError, match=r"not uint8 \[N, 64, 64, 3\].*rebuild it"):
        load_dataset("emoji", data_root=tmp_path)


def test_full_split_and_evaluation_images_come_from_the_built_files(built):
    root, _ = built
    assert has_full_split("emoji", root)
    assert len(load_eval_images("emoji", root)) == 1


def test_the_bundled_probe_set_is_colour_and_covers_every_category():
    probe = load_probe("emoji")
    assert probe.images.shape[1:] == (3, 64, 64) and probe.class_names == CATEGORIES
    per_category = torch.bincount(probe.labels, minlength=len(CATEGORIES))
    assert per_category.min() >= 5 and per_category.max() <= 20
