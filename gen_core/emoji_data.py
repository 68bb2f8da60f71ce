"""The ``emoji`` dataset: 64x64 colour drawings of Noto Color Emoji, built once from an npm package.

    npm pack emoji-datasource-google@16.0.0
    python -m gen_core.emoji_data --package emoji-datasource-google-16.0.0.tgz --data-root DATA

reads the package's ``emoji.json`` and ``img/google/64/*.png`` into memory in one pass (nothing is
extracted: a member's name is only a key to look up, never a path to write) and writes
``DATA/emoji/emoji-train.npz`` and ``emoji-test.npz`` (uint8 ``images [N, 64, 64, 3]``, int64
``labels [N]``, the ``class_names``) and a ``NOTICE`` naming the sources and their licences.
What the set holds:

- one picture per emoji of ``emoji.json`` that has a Google drawing, the base drawing only: the
  skin-tone variants listed under ``skin_variations`` are left out, so each person emoji appears
  once, in its default yellow;
- each drawing alpha-composited over ``BACKGROUND`` (white) and stored as RGB;
- labelled by its Unicode category in ``CATEGORIES`` order; "Component" (skin-tone swatches and
  hair styles on their own) is dropped;
- held out for the test file: in each category, the tenth whose SHA-256 of the ``unified`` code
  sorts first, so the split is the same whatever order the file lists the emoji in.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import io
import json
import re
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from gen_core.files.atomic import write_npz

DATASET = "emoji"
PACKAGE = "emoji-datasource-google@16.0.0"
# Unicode's category order (emoji.json's sort_order), less "Component".
CATEGORIES = ("Smileys & Emotion", "People & Body", "Animals & Nature", "Food & Drink", "Travel & Places",
              "Activities", "Objects", "Symbols", "Flags")
DROPPED_CATEGORY = "Component"
BACKGROUND = (255, 255, 255)
SIZE = 64
TEST_SHARE = 0.1
LISTING, LICENSE = "package/emoji.json", "package/LICENSE"
IMAGE_FOLDER = "package/img/google/64/"
IMAGE_NAME = re.compile(r"[0-9a-f]{4,6}(?:-[0-9a-f]{4,6})*\.png")
UNIFIED = re.compile(r"[0-9A-F]{4,6}(?:-[0-9A-F]{4,6})*")
ODD_NAME = re.compile(r"^/|(?:^|/)\.\.(?:/|$)|[\\\x00-\x1f\x7f]")
# Caps on what the package may make this process read (the real one: 3,809 members, 78 MB unpacked).
MAX_MEMBERS, MAX_UNPACKED_BYTES = 20_000, 512 * 2**20
MAX_LISTING_BYTES, MAX_LICENSE_BYTES, MAX_IMAGE_BYTES = 16 * 2**20, 64 * 2**10, 256 * 2**10
NOTICE = """\
emoji: 64x64 RGB pictures built by `python -m gen_core.emoji_data` (Latent Atlas) from the npm
package {package} (https://github.com/iamcal/emoji-data).

The drawings are Google's Noto Color Emoji (https://github.com/googlefonts/noto-emoji),
Copyright Google Inc., licensed under the Apache License, Version 2.0
(https://www.apache.org/licenses/LICENSE-2.0). Noto's flag drawings derive from region-flags,
which are in the public domain or otherwise exempt from copyright.

Changes: each 64x64 drawing alpha-composited over the background RGB {background} and stored
as RGB; base drawings only (skin-tone variants left out); labelled by Unicode category with the
"Component" category dropped; split into a training and a test file.

The list of emoji and their categories come from the package's emoji.json (emoji-data), under
this licence:

{license}"""


class EmojiFileError(Exception):
    """The emoji package or a built emoji file cannot be used; the message says which and why."""


@dataclasses.dataclass(frozen=True)
class Emoji:
    """One base emoji: its code points (``1F600``, ``1F468-200D-1F469``), class and drawing's file."""

    unified: str
    label: int
    image: str


def split_file(root: Path, train: bool) -> Path:
    """Where the training or test split lies under a data root."""
    return Path(root) / DATASET / f"emoji-{'train' if train else 'test'}.npz"


def build_command(root: Path | str) -> str:
    return (f"`npm pack {PACKAGE}`, then `python -m gen_core.emoji_data --package "
            f"emoji-datasource-google-16.0.0.tgz --data-root {root}`")


def read_package(path: Path) -> tuple[bytes, bytes, dict[str, bytes]]:
    """``emoji.json``, the package's licence and the 64-pixel drawings by file name, read in one
    pass over the gzip stream; ``EmojiFileError`` for an odd member, a cap passed or a bad archive."""
    try:
        with tarfile.open(path, "r|gz") as tar:
            files = dict(_wanted_members(tar, path))
    except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
        raise EmojiFileError(f"{path}: not a readable npm package ({err})") from None
    listing, licence = files.pop(LISTING, None), files.pop(LICENSE, None)
    if listing is None or licence is None:
        raise EmojiFileError(f"{path}: no {LISTING} or {LICENSE}: not the {PACKAGE} package")
    return listing, licence, {name.removeprefix(IMAGE_FOLDER): data for name, data in files.items()}


def _wanted_members(tar: tarfile.TarFile, path: Path) -> Iterator[tuple[str, bytes]]:
    """``(name, bytes)`` of each member this builder reads, in the stream's order; every member's
    name is checked first, and the caps on members, sizes and the whole are kept."""
    names, unpacked = set(), 0
    for member in tar:
        unpacked += member.size
        if len(names) >= MAX_MEMBERS or unpacked > MAX_UNPACKED_BYTES:
            raise EmojiFileError(f"{path}: more than {MAX_MEMBERS:,} members or "
                                 f"{MAX_UNPACKED_BYTES // 2**20} MiB unpacked")
        if _odd(member.name) or member.name in names:
            raise EmojiFileError(f"{path}: refused member name {member.name[:100]!r}")
        names.add(member.name)
        cap = _cap(member.name)
        if cap is None:
            continue
        if not member.isfile() or member.size > cap:
            raise EmojiFileError(f"{path}: {member.name} is not a regular file of at most {cap:,} bytes")
        yield member.name, tar.extractfile(member).read()


def _odd(name: str) -> bool:
    """Whether a member's name is refused: absolute, climbing, with control characters or
    backslashes, or in the drawings' folder without a drawing's name (code points)."""
    drawing = name.removeprefix(IMAGE_FOLDER)
    return bool(ODD_NAME.search(name)) or (drawing != name and not IMAGE_NAME.fullmatch(drawing))


def _cap(name: str) -> int | None:
    """The size cap of a member this builder reads, ``None`` for one it skips."""
    if name.startswith(IMAGE_FOLDER):
        return MAX_IMAGE_BYTES
    return {LISTING: MAX_LISTING_BYTES, LICENSE: MAX_LICENSE_BYTES}.get(name)


def base_emoji(listing: bytes) -> list[Emoji]:
    """The emoji of ``emoji.json`` this set keeps: those with a Google drawing, outside "Component";
    ``EmojiFileError`` names an entry that is malformed or of an unknown category."""
    try:
        entries = json.loads(listing)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise EmojiFileError(f"{LISTING} is not JSON ({err})") from None
    if not isinstance(entries, list):
        raise EmojiFileError(f"{LISTING} is not a list of emoji")
    kept, seen = [], set()
    for index, entry in enumerate(entries):
        fields = entry if isinstance(entry, dict) else {}
        unified, image, category = (fields.get(key) for key in ("unified", "image", "category"))
        if not (isinstance(unified, str) and UNIFIED.fullmatch(unified) and isinstance(image, str)
                and IMAGE_NAME.fullmatch(image) and unified not in seen):
            raise EmojiFileError(f"{LISTING}: entry {index} has no unique code points and drawing file name")
        seen.add(unified)
        if category == DROPPED_CATEGORY or fields.get("has_img_google") is not True:
            continue
        if category not in CATEGORIES:
            raise EmojiFileError(f"{LISTING}: {unified} has the unknown category {str(category)[:40]!r}")
        kept.append(Emoji(unified, CATEGORIES.index(category), image))
    return kept


def held_out(emoji: list[Emoji]) -> set[str]:
    """The ``unified`` codes of the test split: per category, the ``TEST_SHARE`` (rounded) whose
    SHA-256 sorts first."""
    test = set()
    for label in range(len(CATEGORIES)):
        codes = sorted((e.unified for e in emoji if e.label == label),
                       key=lambda code: hashlib.sha256(code.encode()).hexdigest())
        test.update(codes[:round(TEST_SHARE * len(codes))])
    return test


def composite(png: bytes, name: str) -> np.ndarray:
    """A drawing's PNG bytes -> ``[64, 64, 3]`` uint8 RGB over ``BACKGROUND``; ``EmojiFileError``
    for a file that is no PNG or not 64x64 (its size is checked before its pixels are decoded)."""
    try:
        picture = Image.open(io.BytesIO(png))
        if picture.format != "PNG" or picture.size != (SIZE, SIZE):
            raise EmojiFileError(f"{name}: a {picture.format} of {picture.size[0]}x{picture.size[1]}, "
                                 f"not a {SIZE}x{SIZE} PNG")
        drawing = picture.convert("RGBA")  # grey, palette and RGB drawings alike
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        raise EmojiFileError(f"{name}: not a readable PNG ({err})") from None
    background = Image.new("RGBA", drawing.size, (*BACKGROUND, 255))
    return np.asarray(Image.alpha_composite(background, drawing).convert("RGB"))


def build(package: Path, data_root: Path) -> dict[str, tuple[int, int]]:
    """Write both splits and the notice under ``data_root``; returns (train, test) counts by category."""
    listing, licence, drawings = read_package(package)
    emoji = sorted(base_emoji(listing), key=lambda e: (e.label, e.unified))
    missing = [e.image for e in emoji if e.image not in drawings]
    if missing:
        raise EmojiFileError(f"{package}: no drawing {IMAGE_FOLDER}{missing[0]} "
                             f"(and {len(missing) - 1} more)")
    test = held_out(emoji)
    sizes = []
    for train in (True, False):
        chosen = [e for e in emoji if (e.unified in test) != train]
        images = np.empty((len(chosen), SIZE, SIZE, 3), np.uint8)
        for i, e in enumerate(chosen):
            images[i] = composite(drawings[e.image], e.image)
        labels = np.array([e.label for e in chosen], np.int64)
        write_split(split_file(data_root, train), images, labels)
        sizes.append(np.bincount(labels, minlength=len(CATEGORIES)).tolist())
    notice = NOTICE.format(package=PACKAGE, background=BACKGROUND, license=licence.decode("utf-8", "replace"))
    (Path(data_root) / DATASET / "NOTICE").write_text(notice, encoding="utf-8")
    return dict(zip(CATEGORIES, zip(*sizes, strict=True), strict=True))


def write_split(path: Path, images: np.ndarray, labels: np.ndarray) -> None:
    """``images [N, 64, 64, 3]`` uint8 and ``labels [N]`` int64 with the class names, compressed;
    written atomically, so a reader never sees half a file."""
    write_npz(path, images=images, labels=labels, class_names=np.array(CATEGORIES))


def read_split(root: Path, train: bool) -> tuple[np.ndarray, np.ndarray]:
    """A built split's uint8 ``images [N, 64, 64, 3]`` and int64 ``labels [N]``, checked (shapes,
    dtypes, class names, label range); ``EmojiFileError`` names the file and the build command."""
    path = split_file(root, train)
    if not path.is_file():
        raise EmojiFileError(f"emoji not found under {Path(root).resolve()}: expected {path}; build it "
                             f"with {build_command(root)}")
    try:
        with np.load(path, allow_pickle=False) as arrays:
            images, labels, names = arrays["images"], arrays["labels"], arrays["class_names"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise EmojiFileError(f"{path}: not a built emoji split ({str(err)[:200]}); rebuild it with "
                             f"{build_command(root)}") from None
    problem = _arrays_problem(images, labels, names)
    if problem:
        raise EmojiFileError(f"{path}: {problem}; rebuild it with {build_command(root)}")
    return images, labels


def _arrays_problem(images: np.ndarray, labels: np.ndarray, names: np.ndarray) -> str | None:
    if images.dtype != np.uint8 or images.shape[1:] != (SIZE, SIZE, 3):
        return f"images are {images.dtype} {list(images.shape)}, not uint8 [N, {SIZE}, {SIZE}, 3]"
    if labels.dtype != np.int64 or labels.shape != images.shape[:1]:
        return f"labels are {labels.dtype} {list(labels.shape)}, not int64 [{len(images)}]"
    if names.dtype.kind != "U" or tuple(names.tolist()) != CATEGORIES:
        return f"its class names are not {list(CATEGORIES)}"
    if len(labels) and not 0 <= labels.min() <= labels.max() < len(CATEGORIES):
        return "a label is not a class index"
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gen_core.emoji_data",
                                     description=f"Build the emoji dataset from the npm package {PACKAGE}.")
    parser.add_argument("--package", type=Path, required=True,
                        help="the tarball `npm pack emoji-datasource-google@16.0.0` writes")
    parser.add_argument("--data-root", type=Path, required=True, help="writes DATA_ROOT/emoji/")
    args = parser.parse_args(argv)
    try:
        counts = build(args.package, args.data_root)
    except EmojiFileError as err:
        raise SystemExit(f"error: {err}") from None
    print(f"{'category':<20}{'train':>7}{'test':>6}")
    for name, (train, test) in counts.items():
        print(f"{name:<20}{train:>7}{test:>6}")
    total_train, total_test = (sum(column) for column in zip(*counts.values(), strict=True))
    print(f"{'total':<20}{total_train:>7}{total_test:>6}")
    for train in (True, False):
        path = split_file(args.data_root, train)
        print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
