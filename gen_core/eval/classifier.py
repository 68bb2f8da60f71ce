"""A small CNN per dataset whose penultimate features feed the Frechet distance and precision/recall.

It is saved like a model (one ``.safetensors`` file, JSON metadata under ``gen_core_classifier``)
and loaded through the same header validation as ``gen_core.files.checkpoint``, never by unpickling.

    python -m gen_core.eval.classifier --dataset mnist --data-root DATA \\
        --out checkpoints/classifiers/mnist-classifier.safetensors
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from gen_core.data import DataError, ImageData, load_dataset
from gen_core.files.checkpoint import (
    CheckpointError,
    assign_weights,
    check_tensors,
    read_tensors,
    write_safetensors,
)
from gen_core.models.registry import config_from_dict

METADATA_KEY = "gen_core_classifier"
SCHEMA_VERSION = 1
CLASSIFIER_DIR = Path(__file__).resolve().parents[2] / "checkpoints" / "classifiers"


@dataclasses.dataclass(frozen=True)
class ClassifierConfig:
    # One 3x3 conv stage each, 2x2 pooling between; four stages let the last see the whole digit
    # (``stage_channels`` adds stages for larger pictures).
    channels: tuple[int, ...] = (32, 64, 128, 128)
    num_classes: int = 10
    image_shape: tuple[int, int, int] = (1, 28, 28)


def stage_channels(image_shape: tuple[int, int, int]) -> tuple[int, ...]:
    """``ClassifierConfig.channels`` for pictures of ``image_shape`` ``(C, H, W)``: the default four
    stages, and more of 128 channels until the last one sees the whole picture (28x28: 4 stages,
    64x64: 5). Stage n sees 5 * 2^(n-1) - 2 pixels across (3x3 convolutions, 2x2 pooling between)."""
    channels = ClassifierConfig.channels
    while 5 * 2 ** (len(channels) - 1) - 2 < max(image_shape[1:]):
        channels = (*channels, channels[-1])
    return channels


class Classifier(nn.Module):
    """Images ``[B, C, H, W]`` in [0, 1] -> class logits ``[B, K]``; ``features`` gives ``[B, F]``.

    Conv-BN-ReLU stages, 2x2 max-pooling between them, then global average pooling: the pooled
    vector (F = ``channels[-1]``) is the penultimate layer used as the feature space.
    """

    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        width = config.image_shape[0]
        for index, channels in enumerate(config.channels):
            if index:
                layers.append(nn.MaxPool2d(2))
            layers += [nn.Conv2d(width, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels),
                       nn.ReLU(True)]
            width = channels
        self.body = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(width, config.num_classes)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        return self.body(images)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(images))

    @torch.no_grad()
    def class_probabilities(self, features: torch.Tensor) -> torch.Tensor:
        """The softmax p(y|x) ``[N, K]`` of features ``[N, F]`` from ``embed``, on the CPU."""
        self.eval()
        return torch.softmax(self.head(features.to(self.device)), 1).cpu()

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    @torch.no_grad()
    def embed(self, images: torch.Tensor, batch_size: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
        """Features ``[N, F]`` and predicted classes ``[N]`` of ``images`` ``[N, C, H, W]``, on the CPU."""
        self.eval()
        features, predicted = [], []
        for chunk in images.split(batch_size):
            f = self.features(chunk.to(self.device))
            features.append(f.cpu())
            predicted.append(self.head(f).argmax(1).cpu())
        return torch.cat(features), torch.cat(predicted)


def accuracy(model: Classifier, data: ImageData) -> float:
    """Share of ``data`` classified correctly."""
    return float((model.embed(data.images)[1] == data.labels).double().mean())


def save_classifier(model: Classifier, path: str | Path, **info) -> Path:
    """Write weights and ``{config, schema_version, **info}`` metadata to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    config = json.loads(json.dumps(dataclasses.asdict(model.config)))
    meta = {"schema_version": SCHEMA_VERSION, "config": config, **info}
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    return write_safetensors(path, tensors, METADATA_KEY, meta)


def load_classifier(path: str | Path, device: str | torch.device = "cpu") -> Classifier:
    """Rebuild a classifier from its file, in eval mode; every fault is a ``CheckpointError``."""
    path = Path(path)
    raw, tensors = read_tensors(path)
    meta = _classifier_metadata(path, raw)
    try:
        # Built on the meta device: no memory and no draws from the global random stream for
        # initial weights that the file's replace at once.
        with torch.device("meta"):
            model = Classifier(config_from_dict(ClassifierConfig, meta["config"]))
    except (TypeError, ValueError) as err:
        raise CheckpointError(path, f"unusable classifier ({err})") from None
    check_tensors(path, model.state_dict(), tensors)
    assign_weights(path, model, tensors)
    model.metadata = meta
    return model.to(device).eval()


def _classifier_metadata(path: Path, metadata: dict) -> dict:
    if METADATA_KEY not in metadata:
        raise CheckpointError(path, f"no '{METADATA_KEY}' metadata: not a gen_core classifier")
    try:
        meta = json.loads(metadata[METADATA_KEY])
    except (TypeError, json.JSONDecodeError) as err:
        raise CheckpointError(path, f"classifier metadata is not valid JSON ({err})") from None
    if not isinstance(meta, dict) or meta.get("schema_version") != SCHEMA_VERSION:
        raise CheckpointError(path, f"unknown classifier schema version (this gen_core reads "
                              f"{SCHEMA_VERSION})")
    if not isinstance(meta.get("config"), dict):
        raise CheckpointError(path, "classifier metadata lacks its 'config'")
    return meta


def default_classifier_path(dataset: str) -> Path:
    """Where the shipped classifier of ``dataset`` lives."""
    return CLASSIFIER_DIR / f"{dataset}-classifier.safetensors"


def train_classifier(train: ImageData, test: ImageData | None, epochs: int = 8, batch_size: int = 128,
                     lr: float = 2e-3, seed: int = 0, device: str = "cpu", max_steps: int | None = None,
                     channels: tuple[int, ...] | None = None) -> tuple[Classifier, list[dict]]:
    """Fit a ``Classifier`` with Adam and a cosine learning-rate decay; returns it and per-epoch logs.
    ``channels`` defaults to ``stage_channels`` of the data's image shape."""
    torch.manual_seed(seed)
    config = ClassifierConfig(channels or stage_channels(train.image_shape), len(train.class_names),
                              train.image_shape)
    model = Classifier(config).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = min(-(-len(train) // batch_size), max_steps or len(train))
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs * steps_per_epoch)
    shuffle = torch.Generator().manual_seed(seed)
    history = []
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for index in torch.randperm(len(train), generator=shuffle).split(batch_size)[:steps_per_epoch]:
            loss = F.cross_entropy(model(train.images[index].to(device)), train.labels[index].to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item()
        logs = {"epoch": epoch + 1, "loss": round(total / steps_per_epoch, 4)}
        if test is not None:
            logs["test_accuracy"] = round(accuracy(model, test), 4)
        history.append(logs)
        print(" ".join(f"{k}={v}" for k, v in logs.items()), flush=True)
    return model.eval(), history


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m gen_core.eval.classifier",
                                description="Train the dataset classifier used by gen_core.eval.evaluate.")
    p.add_argument("--dataset", default="mnist", help="mnist, fashion-mnist, digits or emoji")
    p.add_argument("--data-root", help="data root (default: $GEN_CORE_DATA or ./data)")
    p.add_argument("--no-download", action="store_true", help="never download a missing dataset")
    p.add_argument("--out", type=Path, help="default: checkpoints/classifiers/DATASET-classifier.safetensors")
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--dry-run", action="store_true", help="one epoch of 4 batches")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> Path:
    args = parse_args(argv)
    try:
        train = load_dataset(args.dataset, True, args.data_root, not args.no_download)
        test = load_dataset(args.dataset, False, args.data_root, not args.no_download)
    except DataError as err:
        raise SystemExit(f"error: {err}") from None
    started = time.perf_counter()
    model, history = train_classifier(train, test, 1 if args.dry_run else args.epochs, args.batch_size,
                                      args.lr, args.seed, args.device, 4 if args.dry_run else None)
    seconds = time.perf_counter() - started
    out = args.out or default_classifier_path(args.dataset)
    save_classifier(model, out, dataset=args.dataset, class_names=list(train.class_names),
                    test_accuracy=history[-1]["test_accuracy"], train_images=len(train),
                    training={"epochs": len(history), "seconds": round(seconds, 1), "lr": args.lr,
                              "batch_size": args.batch_size, "seed": args.seed, "history": history,
                              "versions": {"torch": torch.__version__}})
    print(f"wrote {out}: test accuracy {history[-1]['test_accuracy']:.4f} in {seconds:.0f} s wall time")
    return out


if __name__ == "__main__":
    main()
