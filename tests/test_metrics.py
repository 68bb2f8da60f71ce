"""Metrics against closed-form answers: Frechet distance, precision/recall, coverage, IWAE."""

import math

import pytest
import torch

from gen_core.data import load_dataset
from gen_core.eval.metrics import (
    bootstrap_fd,
    class_coverage,
    frechet_distance,
    held_out_elbo,
    iwae_bound,
    kernel_inception_distance,
    mode_score,
    precision_recall,
)
from tests.conftest import tiny_model


def _features(n=2000, dims=6, seed=0):
    gen = torch.Generator().manual_seed(seed)
    mixing = torch.randn(dims, dims, generator=gen)
    return torch.randn(n, dims, generator=gen) @ mixing + torch.randn(dims, generator=gen)


def test_fd_of_equal_covariances_is_the_squared_mean_distance():
    features = _features()
    shift = torch.tensor([1.0, -2.0, 0.5, 0.0, 3.0, -1.0])
    assert frechet_distance(features, features + shift) == pytest.approx(shift.pow(2).sum().item(), rel=1e-6)


def test_fd_of_identical_sets_is_zero():
    features = _features()
    assert frechet_distance(features, features) == pytest.approx(0.0, abs=1e-6)


def test_fd_of_a_scaled_set_matches_the_closed_form():
    # b = 2a: mu_b = 2 mu_a and S_b = 4 S_a, so d^2 = ||mu_a||^2 + tr(S_a + 4 S_a - 2 * 2 S_a)
    #                                           = ||mu_a||^2 + tr(S_a).
    features = _features().double()
    expected = features.mean(0).pow(2).sum() + torch.cov(features.T).trace()
    assert frechet_distance(features, 2 * features) == pytest.approx(expected.item(), rel=1e-6)
    assert frechet_distance(2 * features, features) == pytest.approx(expected.item(), rel=1e-6)


def test_precision_and_recall_of_a_collapsed_sample_set():
    real = torch.arange(10.0).unsqueeze(1)  # 1-D points 0..9: each ball reaches the 3rd neighbour
    fake = torch.tensor([[0.0], [0.1], [0.2], [0.3], [0.4]])  # every fake sits near real point 0
    result = precision_recall(real, fake, k=3)
    assert result == {"precision": 1.0, "recall": 0.1}  # fake balls (radius 0.3) hold only real 0


def test_precision_counts_only_fakes_inside_the_real_manifold():
    real = torch.arange(10.0).unsqueeze(1)  # radius 3 at both ends, 2 inside
    fake = torch.tensor([[4.5], [-2.5], [-3.5], [100.0]])  # inside, inside (0 +- 3), outside, outside
    assert precision_recall(real, fake, k=3)["precision"] == 0.5


def test_identical_sets_have_full_precision_and_recall():
    features = _features(300)
    assert precision_recall(features, features) == {"precision": 1.0, "recall": 1.0}


def test_class_coverage_fractions_and_the_collapse_flag():
    balanced = class_coverage(torch.arange(10).repeat(10), 10)
    assert balanced["class_fractions"] == [0.1] * 10 and not balanced["mode_collapse"]
    rare = torch.cat([torch.zeros(1), torch.arange(1, 10).repeat(11)])  # class 0: 1 of 100
    rare_result = class_coverage(rare, 10)
    assert rare_result["min_class_fraction"] == 0.01 and rare_result["mode_collapse"]
    dominant = torch.cat([torch.zeros(25), torch.arange(1, 10).repeat(8), torch.ones(3)])  # 100
    result = class_coverage(dominant, 10)
    assert result["max_class_fraction"] == 0.25 and result["mode_collapse"]
    assert sum(result["class_fractions"]) == pytest.approx(1.0)


UNIFORM_LABELS = torch.full((10,), 0.1)


def test_mode_score_of_a_perfect_model_is_the_number_of_classes():
    # Confident predictions, every class as often as in the real labels: exp(H(y)) = 10.
    perfect = torch.eye(10).repeat(20, 1)
    assert mode_score(perfect, UNIFORM_LABELS) == pytest.approx(10.0)


def test_mode_score_of_a_model_drawing_one_class_is_its_floor():
    # E_x KL(p(y|x) || p(y)) = 0 (every sample alike), KL(p(y) || p*) = log 10: exp(-log 10).
    one_class = torch.zeros(200, 10)
    one_class[:, 3] = 1.0
    assert mode_score(one_class, UNIFORM_LABELS) == pytest.approx(0.1)


def test_mode_score_of_unsure_predictions_and_of_half_the_classes():
    assert mode_score(torch.full((50, 10), 0.1), UNIFORM_LABELS) == pytest.approx(1.0)  # no information
    half = torch.eye(10)[torch.arange(5).repeat(20)]  # confident, five classes evenly
    # exp(log 5 - KL(p(y) || p*)) = exp(log 5 - log 2) = 2.5
    assert mode_score(half, UNIFORM_LABELS) == pytest.approx(2.5)


def test_mode_score_judges_the_class_shares_against_the_real_labels():
    # Real labels 70% / 30%: samples in those shares score exp(H(0.7, 0.3)); balanced samples less.
    real = torch.tensor([0.7, 0.3])
    matching = torch.eye(2)[torch.tensor([0] * 7 + [1] * 3)]
    entropy = -(0.7 * math.log(0.7) + 0.3 * math.log(0.3))
    assert mode_score(matching, real) == pytest.approx(math.exp(entropy))
    balanced = torch.eye(2)[torch.tensor([0, 1] * 5)]
    kl = 0.5 * math.log(0.5 / 0.7) + 0.5 * math.log(0.5 / 0.3)
    assert mode_score(balanced, real) == pytest.approx(math.exp(math.log(2) - kl))
    assert mode_score(balanced, real) < mode_score(matching, real)


@pytest.fixture(scope="module")
def digits_batch():
    return load_dataset("digits", train=False).images[:64]


@pytest.fixture(scope="module")
def trained_vae():
    """A tiny VAE after 80 steps: its decoder uses z, so importance weighting has something to gain."""
    data = load_dataset("digits", train=True).images[:512]
    model = tiny_model("vae", 0).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for step in range(80):
        optimizer.zero_grad()
        model.loss(data[(step * 64) % 512:(step * 64) % 512 + 64])["loss"].backward()
        optimizer.step()
    return model.eval()


def test_iwae_bound_is_above_the_elbo_and_rises_with_k(trained_vae, digits_batch):
    model = trained_vae
    elbo = -held_out_elbo(model, load_dataset("digits", train=False).subset(64).images)["neg_elbo"]
    bounds = [iwae_bound(model, digits_batch, k) for k in (1, 10, 100)]
    assert bounds[0] == pytest.approx(elbo, rel=0.02)  # L_1 is a one-sample ELBO estimate
    assert elbo < bounds[1] < bounds[2]


def test_iwae_batching_keeps_the_bound(digits_batch):
    model = tiny_model("vae", 1)
    whole = iwae_bound(model, digits_batch, 30)
    split = iwae_bound(model, digits_batch, 30, max_decodes=7)  # uneven sample chunks: 7+7+7+7+2
    assert math.isfinite(split) and split == pytest.approx(whole, rel=0.01)


def test_kid_is_near_zero_for_one_distribution_and_grows_with_a_shift():
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(600, 8, generator=gen), torch.randn(600, 8, generator=gen)
    same, spread = kernel_inception_distance(a, b, subsets=5, subset_size=300, generator=gen)
    shifted, _ = kernel_inception_distance(a, b + 1.0, subsets=5, subset_size=300, generator=gen)
    assert abs(same) < 3 * spread + 1e-3 and shifted > 20 * max(abs(same), 1e-4)


def test_bootstrap_spread_shrinks_with_more_samples():
    gen = torch.Generator().manual_seed(0)
    reference = torch.randn(2000, 4, generator=gen)
    small = bootstrap_fd(torch.randn(100, 4, generator=gen), reference, 10, gen)
    large = bootstrap_fd(torch.randn(1600, 4, generator=gen), reference, 10, gen)
    assert 0 < large < small


def test_evaluation_bounds_use_their_own_generator(trained_vae, digits_batch):
    first = held_out_elbo(trained_vae, digits_batch, torch.Generator().manual_seed(1))
    again = held_out_elbo(trained_vae, digits_batch, torch.Generator().manual_seed(1))
    assert first == again
    bound = iwae_bound(trained_vae, digits_batch, 5, generator=torch.Generator().manual_seed(2))
    assert bound == iwae_bound(trained_vae, digits_batch, 5, generator=torch.Generator().manual_seed(2))
