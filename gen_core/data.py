"""Datasets as in-memory tensors, and the bundled probe sets.

Every loader returns ``ImageData``: images ``[N, C, H, W]`` float32 in [0, 1] and integer labels
``[N]``. Training indexes these tensors directly instead of converting one PIL image per sample.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import torch

PROBE_DIR = Path(__file__).with_name("probes")
DATA_ROOT_ENV = "GEN_CORE_DATA"
TORCHVISION_SETS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}
CLASS_NAMES = {
    "mnist": tuple(str(i) for i in range(10)),
    "digits": tuple(str(i) for i in range(10)),
    "fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
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


def load_dataset(name: str, train: bool = True, data_root: str | Path | None = None,
                 download: bool = True, image_shape: tuple[int, int, int] | None = None) -> ImageData:
    """Load ``mnist``, ``fashion-mnist``, ``digits`` or ``folder:PATH`` as tensors.

    ``image_shape`` converts a folder's images (channels and size); the fixed sets are
    returned as they are.
    """
    if name in TORCHVISION_SETS:
        return _load_torchvision(name, train, resolve_data_root(data_root), download)
    if name == "digits":
        return _load_digits(train)
    if name.startswith("folder:"):
        return _load_folder(Path(name.removeprefix("folder:")), image_shape or (1, 28, 28))
    raise DataError(f"unknown dataset {name!r}: use mnist, fashion-mnist, digits or folder:PATH")


def has_full_split(name: str, data_root: str | Path | None = None) -> bool:
    """Whether the data root holds ``name``'s training and test files (torchvision's layout),
    checked without reading them or importing torchvision."""
    if name not in TORCHVISION_SETS:
        return False
    raw = resolve_data_root(data_root) / TORCHVISION_SETS[name] / "raw"
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


def _load_digits(train: bool) -> ImageData:
    """scikit-learn's 8x8 digits (values 0-16), split 80/20 with a fixed permutation."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    order = np.random.default_rng(0).permutation(len(bunch.target))
    cut = int(0.8 * len(order))
    idx = order[:cut] if train else order[cut:]
    images = torch.from_numpy(bunch.images[idx] / 16.0).float().unsqueeze(1)
    return ImageData("digits", images, torch.from_numpy(bunch.target[idx]).long(), CLASS_NAMES["digits"])


def _load_folder(path: Path, image_shape: tuple[int, int, int]) -> ImageData:
    from torchvision import datasets, transforms

    if not path.is_dir():
        raise DataError(f"image folder {path} does not exist (expected PATH/CLASS_NAME/*.png)")
    c, h, w = image_shape
    steps = [transforms.Grayscale(1)] if c == 1 else [transforms.Lambda(lambda im: im.convert("RGB"))]
    to_tensor = transforms.Compose([*steps, transforms.Resize((h, w)), transforms.ToTensor()])
    try:
        ds = datasets.ImageFolder(str(path), transform=to_tensor)
    except (FileNotFoundError, OSError) as err:
        raise DataError(f"image folder {path}: {err}") from None
    images = torch.stack([ds[i][0] for i in range(len(ds))])
    return ImageData(f"folder:{path}", images, torch.tensor(ds.targets).long(), tuple(ds.classes))


def probe_path(dataset: str) -> Path:
    return PROBE_DIR / f"{dataset}.npz"


def load_probe(dataset: str) -> ImageData:
    """The bundled probe set of ``dataset`` (test images with labels), needing no data root."""
    path = probe_path(dataset)
    if not path.is_file():
        raise DataError(f"no bundled probe set for {dataset!r} (looked for {path.name})")
    with np.load(path, allow_pickle=False) as arrays:
        images = torch.from_numpy(arrays["images"]).float().div_(255).unsqueeze(1)
        labels = torch.from_numpy(arrays["labels"]).long()
    return ImageData(dataset, images, labels, CLASS_NAMES.get(dataset, ()))


def load_eval_images(dataset: str, data_root: str | Path | None = None) -> ImageData:
    """The test split when a data root holds it, else the bundled probe set."""
    try:
        return load_dataset(dataset, train=False, data_root=data_root, download=False)
    except DataError:
        return load_probe(dataset)


def write_probe(data: ImageData, n: int, seed: int = 0) -> Path:
    """Store a class-stratified random ``n`` of ``data`` (uint8, compressed) as its probe set."""
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(data), generator=gen)
    per_class = n // len(data.class_names)
    chosen = torch.cat([order[data.labels[order] == c][:per_class] for c in range(len(data.class_names))])
    chosen = chosen[torch.randperm(len(chosen), generator=gen)]
    pixels = (data.images[chosen, 0] * 255).round().to(torch.uint8).numpy()
    PROBE_DIR.mkdir(exist_ok=True)
    path = probe_path(data.name)
    np.savez_compressed(path, images=pixels, labels=data.labels[chosen].numpy().astype(np.uint8))
    return path



def main(argv: list[str] | None = None) -> None:
    """``python -m gen_core.data --write-probes``: rebuild the bundled probe sets from a data root."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m gen_core.data", description=main.__doc__)
    parser.add_argument("--data-root", help="torchvision data root holding the test splits")
    parser.add_argument("--size", type=int, default=3000, help="images per probe set")
    args = parser.parse_args(argv)
    for name in TORCHVISION_SETS:
        test = load_dataset(name, train=False, data_root=args.data_root, download=False)
        print(f"wrote {write_probe(test, args.size)}")


if __name__ == "__main__":
    main()
