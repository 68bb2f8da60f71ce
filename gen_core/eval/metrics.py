"""Sample-quality and likelihood metrics, each returning a dict with fixed keys.

Features are those of a dataset classifier (``gen_core.eval.classifier``), so the Frechet distance here
is "FD in classifier features", not FID: Inception features would not fit 28x28 digits and
numbers from different feature extractors are not comparable.
"""

from __future__ import annotations

import math

import torch

from gen_core.eval.metric_keys import CLASS_FRACTIONS, MAX_CLASS, MIN_CLASS, MODE_COLLAPSE, PRECISION, RECALL
from gen_core.latent.encoding import pixel_errors, reconstruct
from gen_core.models.base import EncoderModel
from gen_core.models.vae import VAE

MODE_COLLAPSE_LOW, MODE_COLLAPSE_HIGH = 0.02, 0.20  # class fractions outside count as collapse


def gaussian_stats(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean ``[F]`` and unbiased covariance ``[F, F]`` of ``features`` ``[N, F]``, in float64."""
    x = features.double()
    return x.mean(0), torch.cov(x.T)


def frechet_distance(features_a: torch.Tensor, features_b: torch.Tensor) -> float:
    """Frechet distance between Gaussians fitted to ``[N, F]`` and ``[M, F]`` feature sets.

    d^2 = ||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)) (Dowson & Landau 1982), the FID
    formula of Heusel et al. 2017. tr((S_a S_b)^(1/2)) is the sum of the square roots of the
    eigenvalues of the symmetric S_a^(1/2) S_b S_a^(1/2), which avoids a non-symmetric sqrtm.
    """
    mu_a, cov_a = gaussian_stats(features_a)
    mu_b, cov_b = gaussian_stats(features_b)
    root_a = _psd_sqrt(cov_a)
    cross = torch.linalg.eigvalsh(root_a @ cov_b @ root_a).clamp(min=0).sqrt().sum()
    distance = (mu_a - mu_b).pow(2).sum() + cov_a.trace() + cov_b.trace() - 2 * cross
    return max(float(distance), 0.0)  # rounding can push identical sets a hair below zero


def _psd_sqrt(matrix: torch.Tensor) -> torch.Tensor:
    """Symmetric square root of a positive semi-definite matrix ``[F, F]``."""
    values, vectors = torch.linalg.eigh(matrix)
    return vectors @ torch.diag(values.clamp(min=0).sqrt()) @ vectors.T


def kernel_inception_distance(features_a: torch.Tensor, features_b: torch.Tensor, subsets: int = 10,
                              subset_size: int = 1000, generator: torch.Generator | None = None
                              ) -> tuple[float, float]:
    """KID (Binkowski et al. 2018): the unbiased MMD^2 with kernel k(x, y) = (x.y / F + 1)^3 between
    ``[N, F]`` and ``[M, F]``, averaged over random subsets: ``(mean, standard deviation)``.

    Unlike FD it has no bias that depends on the sample size, so small sets can be compared.
    """
    size = min(subset_size, len(features_a), len(features_b))
    width = features_a.shape[1]
    estimates = []
    for _ in range(subsets):
        a = features_a[torch.randperm(len(features_a), generator=generator)[:size]].double()
        b = features_b[torch.randperm(len(features_b), generator=generator)[:size]].double()
        k_aa, k_bb, k_ab = ((x @ y.T / width + 1) ** 3 for x, y in ((a, a), (b, b), (a, b)))
        off_diagonal = size * (size - 1)
        mmd = ((k_aa.sum() - k_aa.diagonal().sum()) / off_diagonal
               + (k_bb.sum() - k_bb.diagonal().sum()) / off_diagonal - 2 * k_ab.mean())
        estimates.append(float(mmd))
    values = torch.tensor(estimates)
    return float(values.mean()), float(values.std()) if subsets > 1 else 0.0


def bootstrap_fd(features: torch.Tensor, reference: torch.Tensor, resamples: int = 10,
                 generator: torch.Generator | None = None) -> float:
    """The spread (standard deviation) of ``frechet_distance(features, reference)`` when
    ``features`` ``[N, F]`` is resampled with replacement ``resamples`` times."""
    values = [frechet_distance(features[torch.randint(len(features), (len(features),), generator=generator)],
                               reference) for _ in range(resamples)]
    return float(torch.tensor(values).std())


def kth_neighbour_radii(points: torch.Tensor, k: int = 3, batch_size: int = 1000) -> torch.Tensor:
    """Distance ``[N]`` from each of ``points`` ``[N, F]`` to its k-th nearest other point."""
    radii = []
    for chunk in points.split(batch_size):
        distances = torch.cdist(chunk.double(), points.double())
        # The smallest distance is the point to itself (0); index k is the k-th other point.
        radii.append(distances.kthvalue(k + 1, dim=1).values)
    return torch.cat(radii)


def inside_any_ball(queries: torch.Tensor, points: torch.Tensor, radii: torch.Tensor,
                    batch_size: int = 1000) -> torch.Tensor:
    """Whether each of ``queries`` ``[M, F]`` lies inside at least one ball (centres ``points``
    ``[N, F]``, radii ``[N]``): bool ``[M]``."""
    inside = [(torch.cdist(chunk.double(), points.double()) <= radii.unsqueeze(0)).any(dim=1)
              for chunk in queries.split(batch_size)]
    return torch.cat(inside) if inside else torch.zeros(0, dtype=torch.bool)


def manifold_coverage(queries: torch.Tensor, points: torch.Tensor, radii: torch.Tensor,
                      batch_size: int = 1000) -> float:
    """Fraction of ``queries`` ``[M, F]`` inside at least one ball (``points`` ``[N, F]``, ``radii [N]``)."""
    return int(inside_any_ball(queries, points, radii, batch_size).sum()) / queries.shape[0]


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3) -> dict[str, float]:
    """Improved precision and recall (Kynkaanniemi et al. 2019) of ``fake`` ``[M, F]`` vs ``real`` ``[N, F]``.

    Each set's manifold is the union of balls reaching every point's k-th nearest neighbour.
    Precision: the share of fakes inside the real manifold; recall: the share of reals inside
    the fake manifold.
    """
    precision = manifold_coverage(fake, real, kth_neighbour_radii(real, k))
    recall = manifold_coverage(real, fake, kth_neighbour_radii(fake, k))
    return {PRECISION: precision, RECALL: recall}


def class_coverage(predicted: torch.Tensor, num_classes: int) -> dict:
    """Histogram of predicted classes ``[N]`` (int) as fractions, and a mode-collapse flag.

    The flag is raised when any class gets under 2% or over 20% of the samples (a balanced
    10-class set gives 10% each).
    """
    fractions = torch.bincount(predicted.long(), minlength=num_classes).double() / predicted.numel()
    low, high = float(fractions.min()), float(fractions.max())
    return {CLASS_FRACTIONS: [round(float(f), 4) for f in fractions],
            MIN_CLASS: low, MAX_CLASS: high,
            MODE_COLLAPSE: low < MODE_COLLAPSE_LOW or high > MODE_COLLAPSE_HIGH}


def classes_covered(fractions: list[float]) -> int:
    """How many classes the samples draw at least as often as the mode-collapse floor (2%), from
    each class's share ``[K]`` (``class_coverage``'s ``CLASS_FRACTIONS``)."""
    return sum(share >= MODE_COLLAPSE_LOW for share in fractions)


def mode_score(probabilities: torch.Tensor, label_distribution: torch.Tensor) -> float:
    """The MODE score (Che et al. 2017, sec. 4) of class probabilities ``[N, K]`` p(y|x) of N
    samples, against the real data's label distribution p*(y) ``[K]``.

    exp(E_x KL(p(y|x) || p(y)) - KL(p(y) || p*(y))), with p(y) the samples' mean prediction: the
    Inception score exp(E_x KL(p(y|x) || p(y))), confident and varied predictions, divided by
    exp(KL(p(y) || p*(y))), how far the classes' shares stray from the real ones. The paper prints
    the first KL against p*(y); written so, p* cancels (both terms hold E_x sum_y p(y|x) log p*(y))
    and the score is the Inception score whatever the real labels, so it is taken against p(y),
    as the score is usually quoted. With K balanced real classes it lies in [1/K, K]: K for
    confident predictions in the real shares, 1/K for samples all confidently of one class.
    """
    p = probabilities.double().clamp_min(1e-12)
    marginal = p.mean(0)
    target = label_distribution.double().clamp_min(1e-12)
    within = (p * (p.log() - marginal.log())).sum(1).mean()
    against_real = (marginal * (marginal.log() - target.log())).sum()
    return float(torch.exp(within - against_real))


@torch.no_grad()
def reconstruction_mse(model: EncoderModel, images: torch.Tensor, batch_size: int = 500) -> float:
    """Mean squared pixel error of ``decode(posterior mean)`` over ``images`` ``[N, C, H, W]`` in [0, 1].

    For encoder models without a likelihood (VAE-GAN, AAE): how much of an image its code keeps.
    """
    model.eval()
    total = 0.0
    for chunk in images.split(batch_size):
        chunk = chunk.to(model.device)
        total += pixel_errors(chunk, reconstruct(model, chunk)).sum().item()
    return total / len(images)


@torch.no_grad()
def held_out_elbo(model: VAE, images: torch.Tensor, generator: torch.Generator | None = None,
              batch_size: int = 1000) -> dict[str, float]:
    """Mean per-image ``neg_elbo``, ``bce`` and ``kl`` in nats over ``images`` ``[N, C, H, W]``, one
    z draw per image from ``generator`` (the global random stream is never touched)."""
    model.eval()
    totals = {"neg_elbo": 0.0, "bce": 0.0, "kl": 0.0}
    for chunk in images.split(batch_size):
        terms = model.loss(chunk.to(model.device), generator)
        for key in totals:
            totals[key] += terms[key].item() * chunk.shape[0]
    return {key: value / len(images) for key, value in totals.items()}


@torch.no_grad()
def iwae_bound(model: VAE, images: torch.Tensor, k: int, max_decodes: int = 20000,
               generator: torch.Generator | None = None) -> float:
    """Mean importance-weighted bound L_k on log p(x) (Burda et al. 2015, eq. 8) in nats.

    L_k = E[log (1/k) sum_i w_i]; k = 1 is the ELBO and L_k rises towards log p(x) as k grows.
    Work is split so at most ``max_decodes`` images are decoded at once: images are batched, and
    each image's k samples too, then combined exactly by log-sum-exp. Images ``[N, C, H, W]``.
    """
    model.eval()
    samples_per_pass = min(k, max_decodes)
    images_per_pass = max(1, max_decodes // samples_per_pass)
    total = 0.0
    for chunk in images.split(images_per_pass):
        chunk = chunk.to(model.device)
        parts = [model.log_importance_weights(chunk, min(samples_per_pass, k - done), generator)
                 for done in range(0, k, samples_per_pass)]
        log_w = torch.cat(parts, dim=1).double()  # [B, k]
        total += float((torch.logsumexp(log_w, dim=1) - math.log(k)).sum())
    return total / images.shape[0]
