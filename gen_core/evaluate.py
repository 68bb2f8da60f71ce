"""``python -m gen_core.evaluate CHECKPOINT...``: measure models and write the numbers into their files.

Every model gets, in its dataset classifier's features (``gen_core.classifier``): the Frechet
distance of ``--samples`` samples to the test set beside the train-vs-test floor (the distance a
perfect model would score), precision and recall (k = 3), and the class coverage of its samples.
VAEs also get the test ELBO and the importance-weighted bound (IWAE, ``--iwae-k`` samples), and
models with a categorical code (InfoGAN) how consistently each code value maps to one class.
Results go into each file's ``metrics`` metadata (``checkpoint.update_metadata``).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import torch

from gen_core.checkpoint import CheckpointError, load_model, update_metadata
from gen_core.classifier import Classifier, default_classifier_path, load_classifier
from gen_core.data import DataError, ImageData, load_dataset, load_eval_images
from gen_core.metrics import class_coverage, frechet_distance, iwae_bound, precision_recall
from gen_core.models import GenerativeModel
from gen_core.train.vae_trainer import fixed_binarization, vae_test_loss
from gen_core.zoo_table import markdown_table

CATEGORY_MATCH = 0.8  # a code value "is" a class when this share of its samples gets that class


@dataclasses.dataclass(frozen=True)
class EvalSettings:
    samples: int = 10000
    iwae_k: int = 1000
    iwae_images: int | None = None  # None: the whole test set
    seed: int = 0
    data_root: str | None = None
    classifier: Path | None = None  # None: the dataset's shipped classifier
    device: str = "cpu"


@dataclasses.dataclass
class Reference:
    """What a dataset's models are compared with: its classifier and test-set features."""

    classifier: Classifier
    classifier_file: str
    test: ImageData
    test_features: torch.Tensor  # [N, F]
    floor: float | None  # FD between train and test features; None without the train split


def build_reference(dataset: str, settings: EvalSettings) -> Reference:
    path = settings.classifier or default_classifier_path(dataset)
    classifier = load_classifier(path, settings.device)
    test = load_eval_images(dataset, settings.data_root)
    test_features = classifier.embed(test.images)[0]
    try:
        train = load_dataset(dataset, train=True, data_root=settings.data_root, download=False)
        shuffled = torch.randperm(len(train), generator=torch.Generator().manual_seed(settings.seed))
        train_features = classifier.embed(train.images[shuffled[:settings.samples]])[0]
        floor = frechet_distance(train_features, test_features)
    except DataError:
        floor = None
    return Reference(classifier, Path(path).name, test, test_features, floor)


@torch.no_grad()
def draw_samples(model: GenerativeModel, n: int, seed: int, batch_size: int = 500) -> torch.Tensor:
    """``n`` images ``[n, C, H, W]`` on the CPU, reproducible from ``seed``."""
    generator = torch.Generator().manual_seed(seed)
    return torch.cat([model.decode(model.sample_latent(min(batch_size, n - start), generator)).cpu()
                      for start in range(0, n, batch_size)])


def sample_metrics(model: GenerativeModel, ref: Reference, settings: EvalSettings) -> dict:
    """FD (with its floor and their ratio), precision/recall and class coverage of samples."""
    features, predicted = ref.classifier.embed(draw_samples(model, settings.samples, settings.seed))
    fd = frechet_distance(features, ref.test_features)
    ratio = fd / ref.floor if ref.floor else None
    return {"fd_classifier_features": round(fd, 4),
            "fd_train_test_floor": None if ref.floor is None else round(ref.floor, 4),
            "fd_ratio_to_floor": None if ratio is None else round(ratio, 2),
            **{k: round(v, 4) for k, v in precision_recall(ref.test_features, features).items()},
            **class_coverage(predicted, ref.classifier.config.num_classes)}


def likelihood_metrics(model: GenerativeModel, test: ImageData, settings: EvalSettings) -> dict:
    """Test ELBO and IWAE bound as negative log-likelihoods in nats (VAEs only)."""
    if model.metadata.get("training", {}).get("options", {}).get("binarize"):
        test = fixed_binarization(test)  # the same bits the training run evaluated on
    elbo = vae_test_loss(model, test, seed=settings.seed)
    subset = test.images[:settings.iwae_images]
    bound = iwae_bound(model, subset, settings.iwae_k, generator_seed=settings.seed)
    return {"test_neg_elbo_nats": round(elbo["neg_elbo"], 3), "iwae_nll_nats": round(-bound, 3),
            "iwae_k": settings.iwae_k, "iwae_images": subset.shape[0]}


@torch.no_grad()
def category_agreement(model: GenerativeModel, classifier: Classifier, n: int, seed: int) -> dict:
    """For each value of the first categorical latent: the share of its samples in their majority class."""
    column = next(i for i, d in enumerate(model.latent_spec) if d.kind == "categorical")
    generator = torch.Generator().manual_seed(seed)
    shares, majority = [], []
    for value in range(len(model.latent_spec[column].classes)):
        z = model.sample_latent(n, generator)
        z[:, column] = value
        predicted = classifier.embed(model.decode(z).cpu())[1]
        counts = torch.bincount(predicted, minlength=classifier.config.num_classes)
        shares.append(round(float(counts.max()) / n, 4))
        majority.append(int(counts.argmax()))
    matched = {c for s, c in zip(shares, majority, strict=True) if s >= CATEGORY_MATCH}
    return {"category_agreement": shares, "category_majority_class": majority,
            "categories_matched": len(matched)}


def evaluate_checkpoint(path: Path, settings: EvalSettings, references: dict[str, Reference]) -> dict:
    """All metrics of one checkpoint, also written into its metadata; ``references`` caches datasets."""
    started = time.perf_counter()
    model = load_model(path, settings.device)
    dataset = model.metadata["dataset"].get("name")
    if dataset not in references:
        references[dataset] = build_reference(dataset, settings)
    ref = references[dataset]
    if ref.classifier.config.image_shape != model.image_shape:
        raise CheckpointError(path, f"images {model.image_shape} do not fit the classifier's "
                              f"{ref.classifier.config.image_shape}")
    metrics = sample_metrics(model, ref, settings)
    if model.has_likelihood:
        metrics.update(likelihood_metrics(model, ref.test, settings))
    if any(d.kind == "categorical" for d in model.latent_spec):
        metrics.update(category_agreement(model, ref.classifier, settings.samples // 10, settings.seed))
    metrics.update({"eval_samples": settings.samples, "eval_test_images": len(ref.test),
                    "eval_classifier": ref.classifier_file, "eval_seed": settings.seed,
                    "eval_seconds": round(time.perf_counter() - started, 1)})
    update_metadata(path, metrics=metrics)
    return metrics


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m gen_core.evaluate", description=__doc__.splitlines()[0])
    p.add_argument("checkpoints", nargs="+", type=Path, help="model .safetensors files")
    p.add_argument("--data-root", help="torchvision data root (else the bundled probe set is the test set)")
    p.add_argument("--samples", type=int, default=EvalSettings.samples, help="samples per model")
    p.add_argument("--iwae-k", type=int, default=EvalSettings.iwae_k, help="importance samples (VAEs)")
    p.add_argument("--iwae-images", type=int, help="test images for the IWAE bound (default: all)")
    p.add_argument("--classifier", type=Path, help="classifier file (default: the dataset's shipped one)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, dict]:
    args = parse_args(argv)
    settings = EvalSettings(args.samples, args.iwae_k, args.iwae_images, args.seed, args.data_root,
                            args.classifier, args.device)
    references: dict[str, Reference] = {}
    results = {}
    for path in args.checkpoints:
        try:
            results[str(path)] = evaluate_checkpoint(path, settings, references)
        except (CheckpointError, DataError) as err:
            raise SystemExit(f"error: {err}") from None
        print(f"evaluated {path} in {results[str(path)]['eval_seconds']:.0f} s", flush=True)
    print(markdown_table(args.checkpoints))
    return results


if __name__ == "__main__":
    main()
