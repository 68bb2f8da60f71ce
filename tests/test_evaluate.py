"""The evaluate command and the zoo table on tiny checkpoints and the digits classifier."""

import dataclasses

import pytest
import torch

from gen_core.checkpoint import read_header, save_model
from gen_core.evaluate import EvalSettings, build_reference, draw_samples, evaluate_checkpoint, main
from gen_core.models.vae import VAE
from gen_core.zoo_table import END, START, markdown_table
from gen_core.zoo_table import main as zoo_main
from tests.conftest import TINY_CONFIGS, tiny_model

SAMPLE_KEYS = {"fd_classifier_features", "fd_train_test_floor", "fd_ratio_to_floor", "precision", "recall",
               "class_fractions", "min_class_fraction", "max_class_fraction", "mode_collapse",
               "eval_samples", "eval_test_images", "eval_classifier", "eval_seed", "eval_seconds"}
VAE_KEYS = {"test_neg_elbo_nats", "iwae_nll_nats", "iwae_k", "iwae_images"}
CATEGORY_KEYS = {"category_agreement", "category_majority_class", "categories_matched"}


@pytest.fixture
def settings(digits_classifier_file):
    return EvalSettings(samples=200, iwae_k=8, classifier=digits_classifier_file)


def _checkpoint(tmp_path, family, **training):
    path = tmp_path / f"{family}.safetensors"
    return save_model(tiny_model(family), path, dataset={"name": "digits"}, training=training)


@pytest.mark.parametrize(("family", "extra"), [("vae", VAE_KEYS), ("dcgan", set()),
                                               ("infogan", CATEGORY_KEYS)])
def test_metrics_have_fixed_keys_and_are_written_into_the_file(tmp_path, settings, family, extra):
    path = _checkpoint(tmp_path, family)
    metrics = evaluate_checkpoint(path, settings, {})
    assert set(metrics) == SAMPLE_KEYS | extra
    assert read_header(path)[0]["metrics"] == metrics
    assert metrics["fd_classifier_features"] > metrics["fd_train_test_floor"] > 0  # untrained models
    assert 0 <= metrics["precision"] <= 1 and 0 <= metrics["recall"] <= 1
    assert sum(metrics["class_fractions"]) == pytest.approx(1, abs=1e-3)
    if family == "vae":
        assert metrics["iwae_nll_nats"] <= metrics["test_neg_elbo_nats"] + 1.0  # one-draw ELBO noise


def test_the_test_set_scores_like_the_floor(settings):
    ref = build_reference("digits", settings)
    assert ref.floor is not None and len(ref.test) == 360
    # A "model" drawing the test images themselves has FD 0 to them: the floor is what sampling noise costs.
    assert ref.floor < 0.5 * ref.test_features.var(0).sum()


def test_samples_are_reproducible_and_batched(settings):
    model = tiny_model("dcgan")
    first = draw_samples(model, 23, seed=4, batch_size=5)
    assert first.shape == (23, 1, 8, 8)
    torch.testing.assert_close(first, draw_samples(model, 23, seed=4, batch_size=5))


def test_binarized_vae_is_evaluated_on_binary_test_images(tmp_path, settings):
    path = _checkpoint(tmp_path, "vae", options={"binarize": True})
    plain = _checkpoint(tmp_path / "plain", "vae")
    binary = evaluate_checkpoint(path, settings, {})["test_neg_elbo_nats"]
    assert binary != evaluate_checkpoint(plain, settings, {})["test_neg_elbo_nats"]


def test_cli_evaluates_every_file_and_prints_the_table(tmp_path, settings, capsys):
    paths = [_checkpoint(tmp_path, family) for family in ("vae", "wgan-gp")]
    results = main([*map(str, paths), "--samples", "100", "--iwae-k", "4", "--iwae-images", "50",
                    "--classifier", str(settings.classifier), "--device", "cpu"])
    assert set(results) == set(map(str, paths)) and results[str(paths[0])]["iwae_images"] == 50
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
    assert cells[7].startswith(f"{metrics['fd_classifier_features']:.2f} (")
    assert cells[9] == f"{metrics['precision']:.2f}" and cells[-1] == "–"


def test_zoo_table_names_the_iwae_subset_and_infogan_categories(tmp_path):
    vae = save_model(tiny_model("vae"), tmp_path / "vae.safetensors", dataset={"name": "digits"}, metrics={
        "test_neg_elbo_nats": 95.123, "iwae_nll_nats": 91.5, "iwae_k": 1000, "iwae_images": 500,
        "eval_test_images": 10000})
    info = save_model(tiny_model("infogan"), tmp_path / "info.safetensors", dataset={"name": "digits"},
                      metrics={"category_agreement": [0.9] * 7 + [0.5] * 3, "categories_matched": 7})
    vae_row, info_row = (markdown_table([p]).splitlines()[2].strip("|").split("|") for p in (vae, info))
    assert vae_row[12].strip() == "95.12 / 91.50 (k=1000, 500 images)" and vae_row[13].strip() == "–"
    assert info_row[13].strip() == "7/10" and info_row[12].strip() == "–"
    beta_vae = VAE(dataclasses.replace(TINY_CONFIGS["vae"][0], beta=4.0))
    beta = save_model(beta_vae, tmp_path / "beta.safetensors", dataset={"name": "digits"})
    assert markdown_table([beta]).splitlines()[2].split("|")[2].strip() == "β-VAE (β=4) (mlp)"


def test_zoo_table_rewrites_the_readme_between_its_markers(tmp_path):
    folder = tmp_path / "zoo"
    _checkpoint(folder, "sngan")
    readme = tmp_path / "README.md"
    readme.write_text(f"# Zoo\n\n{START}\nold table\n{END}\n\nAfter.\n")
    table = zoo_main([str(folder), "--readme", str(readme)])
    text = readme.read_text()
    assert "old table" not in text and table in text and text.endswith("\n\nAfter.\n")
