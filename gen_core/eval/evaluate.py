"""``python -m gen_core.eval.evaluate CHECKPOINT...``: measure models and write the numbers into their files.

Every model gets, in its dataset classifier's features (``gen_core.eval.classifier``), against one
random half of the test set: the Frechet distance of as many samples (with a bootstrap spread),
KID, precision and recall (k = 3) and the MODE score of Che et al. 2017, each beside the same
figure for the other real half (what a perfect model would score at this sample size), and the
class coverage of its samples. VAEs also
get the ELBO and the importance-weighted bound (IWAE, ``--iwae-k`` samples) on the same test
images, and models with a categorical code (InfoGAN) how consistently each code value maps to
one class.
Results go into each file's ``metrics`` metadata (``checkpoint.update_metadata``).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import torch

from gen_core.data import DataError, ImageData, fixed_binarization, load_eval_images
from gen_core.eval.classifier import Classifier, default_classifier_path, load_classifier
from gen_core.eval.metric_keys import (
    CATEGORIES_MATCHED,
    CATEGORY_AGREEMENT,
    CATEGORY_MAJORITY,
    EVAL_CLASSIFIER,
    EVAL_N,
    EVAL_SECONDS,
    EVAL_SEED,
    EVAL_TEST_IMAGES,
    FD,
    FD_SPREAD,
    IWAE_K,
    KID,
    KID_SPREAD,
    LIKELIHOOD_IMAGES,
    LIKELIHOOD_KEYS,
    METRIC,
    MODE_SCORE,
    MODE_SCORE_REAL,
    RECONSTRUCTION_MSE,
)
from gen_core.eval.metrics import (
    bootstrap_fd,
    class_coverage,
    frechet_distance,
    held_out_elbo,
    iwae_bound,
    kernel_inception_distance,
    mode_score,
    precision_recall,
    reconstruction_mse,
)
from gen_core.eval.smoothness import smoothness_metrics
from gen_core.eval.zoo_table import markdown_table
from gen_core.files.checkpoint import CheckpointError, load_model, update_metadata
from gen_core.models import GenerativeModel

CATEGORY_MATCH = 0.8  # a code value "is" a class when this share of its samples gets that class


@dataclasses.dataclass(frozen=True)
class EvalSettings:
    samples: int = 5000  # per model; the real halves are as large (at most half the test set)
    iwae_k: int = 1000
    iwae_images: int | None = None  # None: the whole test set; else a seeded random subset
    seed: int = 0
    data_root: str | None = None
    classifier: Path | None = None  # None: the dataset's shipped classifier
    device: str = "cpu"
    bootstrap: int = 10  # resamples for the spread of each FD


@dataclasses.dataclass
class Reference:
    """What a dataset's models are compared with, in its classifier's features.

    The test set is split at random into two disjoint halves of ``n`` images: a model's ``n``
    samples are compared with ``held_out``, and so is ``real``, the other half, which gives each
    figure's real-data value at the same sample size (what a perfect model would score).
    """

    classifier: Classifier
    classifier_file: str
    test: ImageData
    held_out: torch.Tensor  # [n, F]
    real: torch.Tensor  # [n, F]
    real_scores: dict
    label_distribution: torch.Tensor  # [K]: the test set's share of each class, p*(y) of the MODE score


def build_reference(dataset: str, settings: EvalSettings) -> Reference:
    path = settings.classifier or default_classifier_path(dataset)
    classifier = load_classifier(path, settings.device)
    test = load_eval_images(dataset, settings.data_root)
    features = classifier.embed(test.images)[0]
    order = torch.randperm(len(test), generator=torch.Generator().manual_seed(settings.seed))
    n = min(settings.samples, len(test) // 2)
    real, held_out = features[order[:n]], features[order[n:2 * n]]
    real_scores = {METRIC[key].reference: value
                   for key, value in feature_scores(real, held_out, settings).items()}
    label_distribution = torch.bincount(test.labels, minlength=classifier.config.num_classes) / len(test)
    real_probabilities = classifier.class_probabilities(real)
    real_scores[MODE_SCORE_REAL] = round(mode_score(real_probabilities, label_distribution), 4)
    return Reference(classifier, Path(path).name, test, held_out, real, real_scores, label_distribution)


def feature_scores(features: torch.Tensor, held_out: torch.Tensor, settings: EvalSettings) -> dict:
    """FD (with its bootstrap spread), KID (with its spread over subsets), precision and recall of
    ``features`` ``[n, F]`` against the held-out real half ``[n, F]``."""
    generator = torch.Generator().manual_seed(settings.seed)
    kid, kid_spread = kernel_inception_distance(features, held_out, generator=generator)
    scores = {FD: frechet_distance(features, held_out),
              FD_SPREAD: bootstrap_fd(features, held_out, settings.bootstrap, generator),
              KID: kid, KID_SPREAD: kid_spread, **precision_recall(held_out, features)}
    return {key: round(value, 5 if key in (KID, KID_SPREAD) else 4) for key, value in scores.items()}


@torch.no_grad()
def draw_samples(model: GenerativeModel, n: int, seed: int, batch_size: int = 500) -> torch.Tensor:
    """``n`` images ``[n, C, H, W]`` on the CPU, reproducible from ``seed``."""
    generator = torch.Generator().manual_seed(seed)
    return torch.cat([model.decode(model.sample_latent(min(batch_size, n - start), generator)).cpu()
                      for start in range(0, n, batch_size)])


def sample_metrics(model: GenerativeModel, ref: Reference, settings: EvalSettings) -> dict:
    """FD, KID, precision, recall and the MODE score of as many samples as the held-out half, each
    beside the real half's value, and the class coverage of the samples."""
    features, predicted = ref.classifier.embed(draw_samples(model, len(ref.held_out), settings.seed))
    scores = feature_scores(features, ref.held_out, settings)
    scores[MODE_SCORE] = round(mode_score(ref.classifier.class_probabilities(features),
                                          ref.label_distribution), 4)
    return {**scores, **ref.real_scores, EVAL_N: len(ref.held_out),
            **class_coverage(predicted, ref.classifier.config.num_classes)}


def likelihood_metrics(model: GenerativeModel, test: ImageData, settings: EvalSettings) -> dict:
    """The ELBO and the IWAE bound, in nats, on the same test images (all, or a seeded subset).

    On binarized data they bound the negative log-likelihood. On grey pixels the Bernoulli
    "likelihood" is a binary cross-entropy whose floor is the pixels' own entropy, not zero, so
    there they are reported as BCE-ELBO and BCE-IWAE, never as an NLL.
    """
    binarized = bool(model.card.training.options.get("binarize"))
    if binarized:
        test = fixed_binarization(test)  # the same bits the training run evaluated on
    images = test.images
    if settings.iwae_images is not None and settings.iwae_images < len(images):
        chosen = torch.randperm(len(images), generator=torch.Generator().manual_seed(settings.seed))
        images = images[chosen[:settings.iwae_images]]
    elbo = held_out_elbo(model, images, torch.Generator().manual_seed(settings.seed))["neg_elbo"]
    samples = torch.Generator().manual_seed(settings.seed + 1)
    bound = -iwae_bound(model, images, settings.iwae_k, generator=samples)
    elbo_key, iwae_key = LIKELIHOOD_KEYS[binarized]
    return {elbo_key: round(elbo, 3), iwae_key: round(bound, 3),
            IWAE_K: settings.iwae_k, LIKELIHOOD_IMAGES: len(images)}


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
    return {CATEGORY_AGREEMENT: shares, CATEGORY_MAJORITY: majority,
            CATEGORIES_MATCHED: len(matched)}


def evaluate_checkpoint(path: Path, settings: EvalSettings, references: dict[str, Reference]) -> dict:
    """All metrics of one checkpoint, also written into its card; ``references`` caches datasets."""
    started = time.perf_counter()
    model = load_model(path, settings.device)
    dataset = model.card.dataset
    if dataset not in references:
        references[dataset] = build_reference(dataset, settings)
    ref = references[dataset]
    if ref.classifier.config.image_shape != model.image_shape:
        raise CheckpointError(path, f"images {model.image_shape} do not fit the classifier's "
                              f"{ref.classifier.config.image_shape}")
    metrics = sample_metrics(model, ref, settings)
    if model.has_likelihood:
        metrics.update(likelihood_metrics(model, ref.test, settings))
    if model.has_encoder:
        metrics[RECONSTRUCTION_MSE] = round(reconstruction_mse(model, ref.test.images), 5)
    if any(d.kind == "categorical" for d in model.latent_spec):
        metrics.update(category_agreement(model, ref.classifier, settings.samples // 10, settings.seed))
    metrics.update(smoothness_metrics(model, ref.classifier, ref.test.images, settings.seed))
    metrics.update({EVAL_TEST_IMAGES: len(ref.test), EVAL_CLASSIFIER: ref.classifier_file,
                    EVAL_SEED: settings.seed, EVAL_SECONDS: round(time.perf_counter() - started, 1)})
    update_metadata(path, metrics=metrics)
    return metrics


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m gen_core.eval.evaluate", description=__doc__.splitlines()[0])
    p.add_argument("checkpoints", nargs="+", type=Path, help="model .safetensors files")
    p.add_argument("--data-root", help="torchvision data root (else the bundled probe set is the test set)")
    p.add_argument("--samples", type=int, default=EvalSettings.samples, help="samples per model")
    p.add_argument("--iwae-k", type=int, default=EvalSettings.iwae_k, help="importance samples (VAEs)")
    p.add_argument("--iwae-images", type=int,
                   help="a seeded random subset of test images for both likelihood bounds (default: all)")
    p.add_argument("--classifier", type=Path, help="classifier file (default: the dataset's shipped one)")
    p.add_argument("--bootstrap", type=int, default=EvalSettings.bootstrap, help="resamples for FD spreads")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, dict]:
    args = parse_args(argv)
    settings = EvalSettings(args.samples, args.iwae_k, args.iwae_images, args.seed, args.data_root,
                            args.classifier, args.device, args.bootstrap)
    references: dict[str, Reference] = {}
    results = {}
    for path in args.checkpoints:
        try:
            results[str(path)] = evaluate_checkpoint(path, settings, references)
        except (CheckpointError, DataError) as err:
            raise SystemExit(f"error: {err}") from None
        print(f"evaluated {path} in {results[str(path)][EVAL_SECONDS]:.0f} s", flush=True)
    print(markdown_table(args.checkpoints))
    return results


if __name__ == "__main__":
    main()
