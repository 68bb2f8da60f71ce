"""How smoothly a model's pictures change along its latent space, in the dataset classifier's features.

- **Perceptual path length** (Karras et al. 2019, "A Style-Based Generator Architecture for
  GANs", sec. 3): the mean of ``d(f(G(lerp(z0, z1, t))), f(G(lerp(z0, z1, t + eps)))) / eps**2``
  over random pairs of prior latents and ``t ~ U(0, 1)``, where ``f`` is the shipped classifier's
  feature map (their ``d`` is LPIPS; ours is the squared Euclidean distance between classifier
  features, as FD here uses those features and not Inception's). As in their code, values outside
  the 1st to 99th percentile are dropped before the mean. Its reference is the same figure for a
  pixel cross-fade between two real test images, measured the same way at the same n: what a
  path with no model in it costs in these features. Its spread is a bootstrap standard deviation.
- **Effect size per dimension**: the mean feature distance between pictures whose latents differ
  in that dimension alone, from its 16th to its 84th percentile (one standard deviation either
  side of a Gaussian's mean; another value for a categorical code), everything else drawn from
  the prior. Explore orders a GAN's controls by it.

Both are computed in float64: a step of ``eps = 1e-4`` in float32 would be lost in rounding.
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

import torch

from gen_core.eval.classifier import Classifier
from gen_core.eval.metric_keys import DIM_EFFECT, EFFECTIVE_DIMS, PPL, PPL_REAL, PPL_SPREAD, PPL_SPREAD_REAL
from gen_core.models import GenerativeModel

PPL_EPSILON = 1e-4
PPL_PAIRS = 1000
EFFECT_SAMPLES = 100  # latents per dimension
EFFECTIVE_SHARE = 0.1  # a dimension counts when its effect is at least this share of the largest
BOOTSTRAP = 200
BATCH = 250


def _filtered_mean_and_spread(distances: torch.Tensor, generator: torch.Generator) -> tuple[float, float]:
    """Mean of ``distances`` ``[N]`` within their 1st-99th percentile, and its bootstrap std."""
    low, high = torch.quantile(distances, torch.tensor([0.01, 0.99], dtype=distances.dtype))
    kept = distances[(distances >= low) & (distances <= high)]
    picks = torch.randint(len(kept), (BOOTSTRAP, len(kept)), generator=generator)
    return float(kept.mean()), float(kept[picks].mean(1).std())


def _path_distances(classifier: Classifier, start: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
    """``|f(start) - f(end)|^2 / eps^2`` per pair of picture batches ``[N, C, H, W]``."""
    apart = classifier.embed(start, BATCH)[0] - classifier.embed(end, BATCH)[0]
    return apart.pow(2).sum(1) / PPL_EPSILON ** 2


def _in_double(model: GenerativeModel, classifier: Classifier) -> tuple[GenerativeModel, Classifier]:
    """float64 copies; a read-only model card is shared, not copied."""
    shared = {id(m.card): m.card for m in (model, classifier) if getattr(m, "card", None) is not None}
    return (copy.deepcopy(model, dict(shared)).double().eval(),
            copy.deepcopy(classifier, dict(shared)).double().eval())


@torch.no_grad()
def perceptual_path_length(model: GenerativeModel, classifier: Classifier, real: torch.Tensor,
                           pairs: int = PPL_PAIRS, seed: int = 0) -> dict[str, float]:
    """PPL of ``model`` and of a cross-fade between pairs of ``real`` images ``[N, C, H, W]``
    (at most ``pairs`` of each), with their bootstrap spreads, as metrics."""
    model, classifier = _in_double(model, classifier)
    generator = torch.Generator().manual_seed(seed)
    z0, z1 = model.sample_latent(pairs, generator).double(), model.sample_latent(pairs, generator).double()
    categorical = [i for i, d in enumerate(model.latent_spec) if d.kind == "categorical"]
    z1[:, categorical] = z0[:, categorical]  # a code value has no in-between: it stays on the path
    t = (torch.rand(pairs, 1, generator=generator, dtype=torch.float64) * (1 - PPL_EPSILON)).to(z0.device)
    decode = model.decode
    ours = _path_distances(classifier, decode(torch.lerp(z0, z1, t)),
                           decode(torch.lerp(z0, z1, t + PPL_EPSILON)))
    # The reference draws from a stream of its own: the same pairs whatever the model.
    crossfade = torch.Generator().manual_seed(seed + 1)
    real = real.double()
    n = min(pairs, len(real) // 2)
    order = torch.randperm(len(real), generator=crossfade)
    x0, x1 = real[order[:n]], real[order[n:2 * n]]
    s = torch.rand(n, 1, 1, 1, generator=crossfade, dtype=torch.float64) * (1 - PPL_EPSILON)
    theirs = _path_distances(classifier, torch.lerp(x0, x1, s), torch.lerp(x0, x1, s + PPL_EPSILON))
    ppl, spread = _filtered_mean_and_spread(ours, generator)
    ppl_real, spread_real = _filtered_mean_and_spread(theirs, crossfade)
    return {PPL: round(ppl, 3), PPL_SPREAD: round(spread, 3), PPL_REAL: round(ppl_real, 3),
            PPL_SPREAD_REAL: round(spread_real, 3)}


@torch.no_grad()
def dimension_effects(model: GenerativeModel, classifier: Classifier, samples: int = EFFECT_SAMPLES,
                      seed: int = 0) -> dict[str, object]:
    """Per latent dimension, the mean classifier-feature distance between pictures whose latents
    differ in it alone (from its 16th to its 84th percentile; two code values for a categorical
    one), and how many dimensions reach ``EFFECTIVE_SHARE`` of the strongest, as metrics."""
    generator = torch.Generator().manual_seed(seed)
    base = model.sample_latent(samples, generator)
    effects = []
    for i, dim in enumerate(model.latent_spec):
        low, high = base.clone(), base.clone()
        if dim.kind == "categorical":
            low[:, i] = torch.randint(len(dim.classes), (samples,), generator=generator).float()
            shift = torch.randint(1, len(dim.classes), (samples,), generator=generator).to(base.device)
            high[:, i] = (low[:, i] + shift) % len(dim.classes)
        else:
            low[:, i], high[:, i] = _quantile_pair(dim)
        apart = classifier.embed(model.decode(low), BATCH)[0] - classifier.embed(model.decode(high), BATCH)[0]
        distance = apart.norm(dim=1)
        effects.append(round(float(distance.mean()), 4))
    strongest = max(effects)
    return {DIM_EFFECT: effects,
            EFFECTIVE_DIMS: sum(e >= EFFECTIVE_SHARE * strongest for e in effects) if strongest > 0 else 0}


def order_by_effect(effects: list[float]) -> list[int]:
    """Dimension indices by descending effect size (ties in index order)."""
    return sorted(range(len(effects)), key=lambda i: -effects[i])


def _quantile_pair(dim) -> tuple[float, float]:
    """A continuous dimension's 16th and 84th percentile: mean ∓ scale for a Gaussian, the same
    shares of the support for a uniform."""
    if dim.kind == "gaussian":  # its slider spans ±3 standard deviations
        middle, sigma = (dim.low + dim.high) / 2, (dim.high - dim.low) / 6
        return middle - sigma, middle + sigma
    return dim.low + 0.16 * (dim.high - dim.low), dim.low + 0.84 * (dim.high - dim.low)


def smoothness_metrics(model: GenerativeModel, classifier: Classifier, real: torch.Tensor,
                       seed: int = 0) -> dict[str, object]:
    """PPL beside its real cross-fade, and every dimension's effect size: what a card records."""
    return {**perceptual_path_length(model, classifier, real, seed=seed),
            **dimension_effects(model, classifier, seed=seed)}


def main(argv: list[str] | None = None) -> None:
    """``python -m gen_core.eval.smoothness FILE ...``: measure and record smoothness alone."""
    from gen_core.data import load_eval_images
    from gen_core.eval.classifier import default_classifier_path, load_classifier
    from gen_core.files.checkpoint import load_model, update_metadata

    parser = argparse.ArgumentParser(prog="python -m gen_core.eval.smoothness", description=main.__doc__)
    parser.add_argument("checkpoints", nargs="+", type=Path)
    parser.add_argument("--data-root", help="torchvision data root (else the bundled probe set)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for path in args.checkpoints:
        model = load_model(path)
        dataset = model.card.dataset
        classifier = load_classifier(default_classifier_path(dataset))
        real = load_eval_images(dataset, args.data_root).images
        metrics = smoothness_metrics(model, classifier, real, args.seed)
        update_metadata(path, metrics=metrics)
        print(f"{path.name}: PPL {metrics[PPL]} ± {metrics[PPL_SPREAD]} (cross-fade {metrics[PPL_REAL]}), "
              f"{metrics[EFFECTIVE_DIMS]} of {len(metrics[DIM_EFFECT])} dimensions effective", flush=True)


if __name__ == "__main__":
    main()
