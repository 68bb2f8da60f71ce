"""The evaluate command and the zoo table on tiny checkpoints and the digits classifier."""

import dataclasses

import pytest
import torch

from gen_core.eval.evaluate import EvalSettings, build_reference, draw_samples, evaluate_checkpoint, main
from gen_core.eval.zoo_table import END, START, markdown_table
from gen_core.eval.zoo_table import main as zoo_main
from gen_core.files.checkpoint import read_header, save_model
from gen_core.models.vae import VAE
from tests.conftest import TINY_CONFIGS, tiny_model

FEATURE_KEYS = {"fd", "fd_spread", "kid", "kid_spread", "precision", "recall"}
SAMPLE_KEYS = ({"fd_classifier_features", "eval_n", "class_fractions", "min_class_fraction",
                "max_class_fraction", "mode_collapse", "eval_test_images", "eval_classifier", "eval_seed",
                "eval_seconds", "ppl_classifier_features", "ppl_spread", "ppl_real_crossfade",
                "ppl_spread_real_crossfade", "dimension_effect", "effective_dimensions", "mode_score",
                "mode_score_real_half"}
               | (FEATURE_KEYS - {"fd"}) | {f"{k}_real_halves" for k in FEATURE_KEYS})
VAE_KEYS = {"bce_elbo_nats", "bce_iwae_nats", "iwae_k", "likelihood_images", "test_reconstruction_mse"}
CATEGORY_KEYS = {"category_agreement", "category_majority_class", "categories_matched"}


@pytest.fixture
def settings(digits_classifier_file):
    return EvalSettings(samples=200, iwae_k=8, classifier=digits_classifier_file)


def _checkpoint(tmp_path, family, **training):
    path = tmp_path / f"{family}.safetensors"
    return save_model(tiny_model(family), path, dataset={"name": "digits"}, training=training)


@pytest.mark.parametrize(("family", "extra"), [("vae", VAE_KEYS), ("dcgan", set()),
                                               ("infogan", CATEGORY_KEYS),
                                               ("mode-regularized", {"test_reconstruction_mse"})])
def test_metrics_have_fixed_keys_and_are_written_into_the_file(tmp_path, settings, family, extra):
    path = _checkpoint(tmp_path, family)
    metrics = evaluate_checkpoint(path, settings, {})
    assert set(metrics) == SAMPLE_KEYS | extra
    stored = read_header(path)[0].metrics  # lists come back as read-only tuples
    assert stored == {k: tuple(v) if isinstance(v, list) else v for k, v in metrics.items()}
    assert metrics["fd_classifier_features"] > metrics["fd_real_halves"] > 0  # untrained models
    assert metrics["kid"] > metrics["kid_real_halves"] and metrics["fd_spread"] > 0
    assert 0 <= metrics["precision"] <= 1 and 0 <= metrics["recall"] <= 1
    assert metrics["recall_real_halves"] > metrics["recall"]
    assert sum(metrics["class_fractions"]) == pytest.approx(1, abs=1e-3)
    assert 0.1 <= metrics["mode_score"] < metrics["mode_score_real_half"] <= 10  # 10 digit classes
    if family == "vae":
        assert metrics["bce_iwae_nats"] <= metrics["bce_elbo_nats"] + 1.0  # one-draw ELBO noise


def test_the_real_halves_are_disjoint_and_as_large_as_the_samples(settings):
    ref = build_reference("digits", settings)
    assert len(ref.test) == 360 and len(ref.real) == len(ref.held_out) == 180  # 200 asked, half the set
    assert not any(torch.equal(a, b) for a in ref.real[:20] for b in ref.held_out)
    # Real against real: a small FD (finite-sample bias only) and precision and recall well above 0.
    assert ref.real_scores["fd_real_halves"] < 0.5 * ref.held_out.var(0).sum()
    assert ref.real_scores["precision_real_halves"] > 0.5 and ref.real_scores["recall_real_halves"] > 0.5
    # Varied and balanced as the test set: above 1 (where predictions say nothing); below the top,
    # 10, by as much as the tiny classifier's softmax is unsure.
    assert 2 < ref.real_scores["mode_score_real_half"] <= 10


def test_samples_are_reproducible_and_batched(settings):
    model = tiny_model("dcgan")
    first = draw_samples(model, 23, seed=4, batch_size=5)
    assert first.shape == (23, 1, 8, 8)
    torch.testing.assert_close(first, draw_samples(model, 23, seed=4, batch_size=5))


def test_binarized_vae_is_evaluated_on_binary_test_images(tmp_path, settings):
    path = _checkpoint(tmp_path, "vae", options={"binarize": True})
    plain = _checkpoint(tmp_path / "plain", "vae")
    binary = evaluate_checkpoint(path, settings, {})
    assert "nll_elbo_nats" in binary and "bce_elbo_nats" not in binary  # a likelihood only on bits
    assert binary["nll_elbo_nats"] != evaluate_checkpoint(plain, settings, {})["bce_elbo_nats"]


def test_evaluation_leaves_the_global_random_stream_alone(tmp_path, settings):
    path = _checkpoint(tmp_path, "vae")
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    evaluate_checkpoint(path, settings, {})
    assert torch.equal(torch.rand(3), expected)


def test_evaluation_keeps_figures_it_does_not_measure(tmp_path, settings):
    path = save_model(tiny_model("dcgan"), tmp_path / "old.safetensors", dataset={"name": "digits"},
                      metrics={"test_reconstruction_mse": 0.5})
    evaluate_checkpoint(path, settings, {})
    stored = read_header(path)[0].metrics
    assert stored["test_reconstruction_mse"] == 0.5 and "fd_classifier_features" in stored


def test_cli_evaluates_every_file_and_prints_the_table(tmp_path, settings, capsys):
    paths = [_checkpoint(tmp_path, family) for family in ("vae", "wgan-gp")]
    results = main([*map(str, paths), "--samples", "100", "--iwae-k", "4", "--iwae-images", "50",
                    "--classifier", str(settings.classifier), "--device", "cpu"])
    assert set(results) == set(map(str, paths)) and results[str(paths[0])]["likelihood_images"] == 50
    printed = capsys.readouterr().out
    assert "| vae | VAE (mlp) | digits |" in printed and "| wgan-gp | WGAN-GP (wgan-gp) |" in printed


def test_zoo_table_cells_come_from_the_metadata(tmp_path, settings):
    path = _checkpoint(tmp_path, "dcgan", epochs=7, seconds=600.0, trainer="GANTrainer",
                       options={"feature_matching": True, "minibatch_discrimination": False,
                                "label_smoothing": 0.9})
    metrics = evaluate_checkpoint(path, settings, {})
    row = markdown_table([path]).splitlines()[2]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:4] == ["dcgan", "DCGAN (dcgan)", "digits", "feature_matching, label_smoothing=0.9"]
    assert cells[5:7] == ["7", "10.0 min"]
    assert cells[7] == (f"{metrics['fd_classifier_features']:.2f} ± {metrics['fd_spread']:.2f} "
                        f"({metrics['fd_real_halves']:.2f})")
    assert cells[9].startswith(f"{metrics['precision']:.2f} / {metrics['recall']:.2f} (") and cells[12] == "–"
    assert cells[13] == (f"{metrics['ppl_classifier_features']:.1f} ± {metrics['ppl_spread']:.1f} "
                         f"({metrics['ppl_real_crossfade']:.1f})")
    assert cells[14] == f"{metrics['effective_dimensions']}/{len(metrics['dimension_effect'])}"


def test_zoo_table_names_the_iwae_subset_and_infogan_categories(tmp_path):
    vae = save_model(tiny_model("vae"), tmp_path / "vae.safetensors", dataset={"name": "digits"}, metrics={
        "bce_elbo_nats": 95.123, "bce_iwae_nats": 91.5, "iwae_k": 1000, "likelihood_images": 500})
    info = save_model(tiny_model("infogan"), tmp_path / "info.safetensors", dataset={"name": "digits"},
                      metrics={"category_agreement": [0.9] * 7 + [0.5] * 3, "categories_matched": 7})
    vae_row, info_row = (markdown_table([p]).splitlines()[2].strip("|").split("|") for p in (vae, info))
    assert vae_row[11].strip() == "BCE 95.12 / 91.50 (k=1000, 500 images)" and vae_row[12].strip() == "–"
    assert info_row[12].strip() == "7/10" and info_row[11].strip() == "–"
    beta_vae = VAE(dataclasses.replace(TINY_CONFIGS["vae"][0], beta=4.0))
    beta = save_model(beta_vae, tmp_path / "beta.safetensors", dataset={"name": "digits"})
    assert markdown_table([beta]).splitlines()[2].split("|")[2].strip() == "β-VAE (β=4) (mlp)"


def test_zoo_table_rewrites_the_readme_between_its_markers(tmp_path):
    folder = tmp_path / "zoo"
    _checkpoint(folder, "sngan")
    readme = tmp_path / "README.md"
    readme.write_text(f"# Zoo\n\n{START}\nold table\n{END}\n\nAfter.\n")
    table = zoo_main([str(folder), "--doc", str(readme)])
    text = readme.read_text()
    assert "old table" not in text and table in text and text.endswith("\n\nAfter.\n")
