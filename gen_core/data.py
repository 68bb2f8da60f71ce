"""Datasets as in-memory tensors, and the bundled probe sets.

Every loader returns ``ImageData``: images ``[N, C, H, W]`` float32 in [0, 1] and integer labels
``[N]``. Training indexes these tensors directly instead of converting one PIL image per sample.

``emoji`` is read from the two files ``gen_core.emoji_data`` builds under the data root.

A dataset is always a *name*: one of the fixed sets, or an image folder the operator names in
``$LATENT_ATLAS_IMAGE_FOLDERS`` (``NAME=PATH`` entries separated by ``os.pathsep``). A model
file only ever names its dataset; what a name means is the server's own configuration, so no
file, upload or link can make the app read a folder of its choosing.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import re
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gen_core import emoji_data

PROBE_DIR = Path(__file__).with_name("probes")
DATA_ROOT_ENV = "GEN_CORE_DATA"
IMAGE_FOLDERS_ENV = "LATENT_ATLAS_IMAGE_FOLDERS"
TORCHVISION_SETS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}
EMOJI = emoji_data.DATASET
FIXED_SETS = (*TORCHVISION_SETS, "digits", EMOJI)
# What a dataset name may be: short, lower case, no path separator, no dots in a row.
DATASET_NAME = re.compile(r"[a-z0-9](?:[a-z0-9_-]|\.(?!\.)){0,63}")
MAX_FOLDER_IMAGES = 100_000  # a folder holding more is refused before its pictures are read
FOLDER_PROBE_PER_CLASS = 300  # pictures of each class a folder's probe set holds (maps, reconstructions)
UPLOADED_PROBE = "uploaded"  # the name and only class of the pictures a person uploads as a probe set
MAX_UPLOADED_PROBE_IMAGES, MAX_UPLOADED_PROBE_BYTES = 500, 20 * 2**20
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp")
CLASS_NAMES = {
    "mnist": tuple(str(i) for i in range(10)),
    "digits": tuple(str(i) for i in range(10)),
    "fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    EMOJI: emoji_data.CATEGORIES,
}


class DataError(Exception):
    """A dataset cannot be loaded; the message says what was expected and where."""


@dataclasses.dataclass
class ImageData:
    """Images ``[N, C, H, W]`` in [0, 1], labels ``[N]`` (int64) and their class names."""

    name: str
    images: torch.Tensor
    labels: torch.Tensor
    class_names: tuple[str, ...]

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[1:])

    def subset(self, n: int) -> ImageData:
        return dataclasses.replace(self, images=self.images[:n], labels=self.labels[:n])


def fixed_binarization(data: ImageData, seed: int = 0) -> ImageData:
    """One Bernoulli draw per pixel of ``data`` (images ``[N, C, H, W]`` in [0, 1]), reproducibly:
    the binarized test set that binarized-MNIST models are trained against and evaluated on."""
    bits = torch.bernoulli(data.images, generator=torch.Generator().manual_seed(seed))
    return dataclasses.replace(data, images=bits)


def resolve_data_root(data_root: str | Path | None = None) -> Path:
    """``data_root`` if given, else ``$GEN_CORE_DATA``, else ``./data``."""
    return Path(data_root or os.environ.get(DATA_ROOT_ENV) or "data")


def is_dataset_name(text: str) -> bool:
    """Whether ``text`` has the form of a dataset name (it may still name no known dataset)."""
    return isinstance(text, str) and DATASET_NAME.fullmatch(text) is not None


def image_folders() -> dict[str, Path]:
    """The operator's named image folders, from ``$LATENT_ATLAS_IMAGE_FOLDERS``; ``DataError`` names
    an entry that is not ``NAME=PATH`` with a valid name."""
    folders = {}
    for entry in filter(None, os.environ.get(IMAGE_FOLDERS_ENV, "").split(os.pathsep)):
        name, _, path = entry.partition("=")
        if not (is_dataset_name(name) and path) or name in FIXED_SETS:
            raise DataError(f"{IMAGE_FOLDERS_ENV}: {entry!r} is not NAME=PATH with a new lower-case name")
        folders[name] = Path(path)
    return folders


def dataset_names() -> tuple[str, ...]:
    """Every dataset this server can load: the fixed sets, then the operator's image folders."""
    return (*FIXED_SETS, *image_folders())


def load_dataset(name: str, train: bool = True, data_root: str | Path | None = None,
                 download: bool = True, image_shape: tuple[int, int, int] | None = None) -> ImageData:
    """Load ``mnist``, ``fashion-mnist``, ``digits``, ``emoji`` or one of the operator's named image
    folders.

    ``image_shape`` converts a folder's images (channels and size); the fixed sets are
    returned as they are. ``emoji`` is never downloaded: it is built from its package once.
    """
    if name in TORCHVISION_SETS:
        return _load_torchvision(name, train, resolve_data_root(data_root), download)
    if name == "digits":
        return _load_digits(train)
    if name == EMOJI:
        return _load_emoji(train, resolve_data_root(data_root))
    folders = image_folders()
    if name in folders:
        return _load_folder(name, folders[name], image_shape or (1, 28, 28))
    raise DataError(f"unknown dataset {str(name)[:64]!r}: use one of {', '.join(dataset_names())}, or "
                    f"name an image folder in {IMAGE_FOLDERS_ENV} (NAME=PATH)")


def has_full_split(name: str, data_root: str | Path | None = None) -> bool:
    """Whether the data root holds ``name``'s training and test files (torchvision's layout, or
    the built emoji files), checked without reading them or importing torchvision."""
    root = resolve_data_root(data_root)
    if name == EMOJI:
        return all(emoji_data.split_file(root, train).is_file() for train in (True, False))
    if name not in TORCHVISION_SETS:
        return False
    raw = root / TORCHVISION_SETS[name] / "raw"
    return all((raw / f"{split}-{kind}-idx{3 if kind == 'images' else 1}-ubyte").is_file()
               for split in ("train", "t10k") for kind in ("images", "labels"))


def _missing(name: str, train: bool, root: Path, detail: str) -> DataError:
    folder, split = TORCHVISION_SETS[name], "train" if train else "t10k"
    return DataError(
        f"{name} not found under {root.resolve()}: expected {root}/{folder}/raw/"
        f"{split}-images-idx3-ubyte and {split}-labels-idx1-ubyte (torchvision's layout). "
        f"Pass --data-root or set {DATA_ROOT_ENV}; online, torchvision downloads them. ({detail})")


def _load_torchvision(name: str, train: bool, root: Path, download: bool) -> ImageData:
    if not download and not (root / TORCHVISION_SETS[name]).is_dir():
        # Said before importing torchvision, which costs about a second: the app asks this of
        # every fresh process that has no data root and falls back to the probe set.
        raise _missing(name, train, root, "no such folder")
    from torchvision import datasets

    cls = getattr(datasets, TORCHVISION_SETS[name])
    try:
        ds = cls(str(root), train=train, download=download)
    except (RuntimeError, OSError) as err:
        raise _missing(name, train, root, str(err)) from None
    images = ds.data.unsqueeze(1).float().div_(255)
    return ImageData(name, images, ds.targets.long(), CLASS_NAMES[name])


def _load_emoji(train: bool, root: Path) -> ImageData:
    """A split built by ``gen_core.emoji_data``, as images ``[N, 3, 64, 64]`` in [0, 1]."""
    try:
        pixels, labels = emoji_data.read_split(root, train)
    except emoji_data.EmojiFileError as err:
        raise DataError(str(err)) from None
    images = torch.from_numpy(pixels).permute(0, 3, 1, 2).float().div_(255).contiguous()
    return ImageData(EMOJI, images, torch.from_numpy(labels), CLASS_NAMES[EMOJI])


def _load_digits(train: bool) -> ImageData:
    """scikit-learn's 8x8 digits (values 0-16), split 80/20 with a fixed permutation."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    order = np.random.default_rng(0).permutation(len(bunch.target))
    cut = int(0.8 * len(order))
    idx = order[:cut] if train else order[cut:]
    images = torch.from_numpy(bunch.images[idx] / 16.0).float().unsqueeze(1)
    return ImageData("digits", images, torch.from_numpy(bunch.target[idx]).long(), CLASS_NAMES["digits"])


def folder_pictures(root: Path) -> tuple[list[Path], list[int], tuple[str, ...]]:
    """The pictures of an image folder (``ROOT/CLASS_NAME/**/*.png`` …), their class indices and the
    class names, in a fixed order. Links inside the folder are not followed (a link loop would
    otherwise never end), and a folder of more than ``MAX_FOLDER_IMAGES`` pictures is refused."""
    if not root.is_dir():
        raise DataError(f"image folder {root} does not exist (expected PATH/CLASS_NAME/*.png)")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.is_symlink())
    files, labels = [], []
    for index, name in enumerate(classes):
        for folder, subfolders, names in os.walk(root / name, followlinks=False):
            subfolders.sort()
            for file in sorted(names):
                if Path(file).suffix.lower() in IMAGE_SUFFIXES and not Path(folder, file).is_symlink():
                    files.append(Path(folder, file))
                    labels.append(index)
                    if len(files) > MAX_FOLDER_IMAGES:
                        raise DataError(f"image folder {root} holds more than {MAX_FOLDER_IMAGES:,} pictures")
    if not files:
        raise DataError(f"image folder {root} holds no pictures (expected PATH/CLASS_NAME/*.png)")
    return files, labels, tuple(classes)


def _load_folder(name: str, root: Path, image_shape: tuple[int, int, int]) -> ImageData:
    """Each picture read with the checks an upload gets, converted to ``image_shape``."""
    files, labels, classes = folder_pictures(root)
    return ImageData(name, _read_pictures(root, files, image_shape), torch.tensor(labels, dtype=torch.long),
                     classes)


def _read_pictures(root: Path, files: list[Path], image_shape: tuple[int, int, int]) -> torch.Tensor:
    """``files`` under ``root`` as images ``[N, C, H, W]`` in [0, 1]; ``DataError`` names a bad one."""
    from gen_core.media.images import UserImageError, open_user_image

    images = torch.empty(len(files), *image_shape)
    for i, file in enumerate(files):
        try:
            images[i] = picture_tensor(open_user_image(file.read_bytes()), image_shape)
        except (OSError, UserImageError) as err:
            raise DataError(f"image folder {root}: {file.relative_to(root)}: {err}") from None
    return images


def picture_tensor(picture: Image.Image, image_shape: tuple[int, int, int]) -> torch.Tensor:
    """A dataset's picture as an image ``[C, H, W]`` in [0, 1]: grey or RGB, resized to the frame."""
    c, h, w = image_shape
    picture = picture.convert("L" if c == 1 else "RGB").resize((w, h), Image.Resampling.BILINEAR)
    pixels = torch.from_numpy(np.asarray(picture, dtype=np.float32) / 255)
    return pixels[None] if c == 1 else pixels.permute(2, 0, 1)


def uploaded_probe(files: list[tuple[str, bytes]], image_shape: tuple[int, int, int]) -> ImageData:
    """Pictures a person uploaded, ``(file name, bytes)`` each, as a probe set of ``image_shape``
    images labelled ``uploaded``: at most ``MAX_UPLOADED_PROBE_IMAGES`` pictures and
    ``MAX_UPLOADED_PROBE_BYTES`` together, each opened with ``open_user_image``'s caps. Raises
    ``UserImageError`` naming the first picture (or cap) refused."""
    from gen_core.media.images import UserImageError, open_user_image

    if not 1 <= len(files) <= MAX_UPLOADED_PROBE_IMAGES:
        raise UserImageError(f"{len(files)} pictures: upload 1 to {MAX_UPLOADED_PROBE_IMAGES}")
    total = sum(len(data) for _, data in files)
    if total > MAX_UPLOADED_PROBE_BYTES:
        raise UserImageError(f"the pictures hold {total / 2**20:.1f} MiB together, over the cap of "
                             f"{MAX_UPLOADED_PROBE_BYTES / 2**20:.0f} MiB")
    images = torch.empty(len(files), *image_shape)
    for i, (name, data) in enumerate(files):
        try:
            images[i] = picture_tensor(open_user_image(data), image_shape)
        except UserImageError as err:
            raise UserImageError(f"{name[:80]}: {err}") from None
    return ImageData(UPLOADED_PROBE, images, torch.zeros(len(files), dtype=torch.long), (UPLOADED_PROBE,))


def folder_probe(name: str, image_shape: tuple[int, int, int],
                 per_class: int = FOLDER_PROBE_PER_CLASS) -> ImageData:
    """The probe set of the operator's image folder ``name``: the first ``per_class`` pictures of
    each class in the folder's fixed order, taken in turn from each class (so the first few images
    show every class), converted to ``image_shape``. Only these pictures are read."""
    root = image_folders().get(name)
    if root is None:
        raise DataError(f"{str(name)[:64]!r} is not an image folder of this server ({IMAGE_FOLDERS_ENV})")
    files, labels, classes = folder_pictures(root)
    firsts = [[i for i, label in enumerate(labels) if label == c][:per_class] for c in range(len(classes))]
    order = [i for rank in itertools.zip_longest(*firsts) for i in rank if i is not None]
    return ImageData(name, _read_pictures(root, [files[i] for i in order], image_shape),
                     torch.tensor([labels[i] for i in order], dtype=torch.long), classes)


def probe_set(dataset: str, image_shape: tuple[int, int, int]) -> ImageData:
    """The images the app maps and reconstructs for a model of ``dataset`` making ``image_shape``
    pictures: a fixed set's test split or bundled probe set (``load_eval_images``), or an
    operator-named folder's ``folder_probe``. ``DataError`` where this server has none."""
    if dataset in FIXED_SETS:
        return load_eval_images(dataset)
    return folder_probe(dataset, image_shape)


def probe_path(dataset: str) -> Path:
    """The bundled probe file of a fixed dataset; ``DataError`` for any other name (a name is never
    made into a path unless it is one of the fixed sets)."""
    if dataset not in FIXED_SETS:
        raise DataError(f"no bundled probe set for {str(dataset)[:64]!r}")
    return PROBE_DIR / f"{dataset}.npz"


def load_probe(dataset: str) -> ImageData:
    """The bundled probe set of ``dataset`` (test images with labels), needing no data root."""
    path = probe_path(dataset)
    if not path.is_file():
        raise DataError(f"no bundled probe set for {dataset!r} (looked for {path.name})")
    with np.load(path, allow_pickle=False) as arrays:
        pixels = torch.from_numpy(arrays["images"])
        labels = torch.from_numpy(arrays["labels"]).long()
    # Grey sets are stored [N, H, W], colour ones [N, H, W, 3], as the pictures are laid out.
    images = pixels.unsqueeze(1) if pixels.ndim == 3 else pixels.permute(0, 3, 1, 2).contiguous()
    return ImageData(dataset, images.float().div_(255), labels, CLASS_NAMES.get(dataset, ()))


def load_eval_images(dataset: str, data_root: str | Path | None = None) -> ImageData:
    """The test split when a data root holds it, else the bundled probe set."""
    try:
        return load_dataset(dataset, train=False, data_root=data_root, download=False)
    except DataError:
        return load_probe(dataset)


def write_probe(data: ImageData, n: int, seed: int = 0) -> Path:
    """Store a class-stratified random ``n`` of ``data`` (uint8, compressed) as its probe set: images
    ``[n, H, W]`` for grey sets, ``[n, H, W, C]`` for colour ones."""
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(data), generator=gen)
    per_class = n // len(data.class_names)
    chosen = torch.cat([order[data.labels[order] == c][:per_class] for c in range(len(data.class_names))])
    chosen = chosen[torch.randperm(len(chosen), generator=gen)]
    images = data.images[chosen, 0] if data.image_shape[0] == 1 else data.images[chosen].permute(0, 2, 3, 1)
    pixels = (images * 255).round().to(torch.uint8).numpy()
    PROBE_DIR.mkdir(exist_ok=True)
    path = probe_path(data.name)
    np.savez_compressed(path, images=pixels, labels=data.labels[chosen].numpy().astype(np.uint8))
    return path


def main(argv: list[str] | None = None) -> None:
    """``python -m gen_core.data``: rebuild the bundled probe sets from a data root's test splits."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m gen_core.data", description=main.__doc__)
    parser.add_argument("--data-root", help="data root holding the test splits")
    parser.add_argument("--dataset", action="append", choices=[*TORCHVISION_SETS, EMOJI],
                        help="a set to rebuild, may be repeated (default: mnist and fashion-mnist)")
    parser.add_argument("--size", type=int, default=3000, help="images per probe set")
    args = parser.parse_args(argv)
    for name in args.dataset or TORCHVISION_SETS:
        test = load_dataset(name, train=False, data_root=args.data_root, download=False)
        print(f"wrote {write_probe(test, args.size)}")


if __name__ == "__main__":
    main()
