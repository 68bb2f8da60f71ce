"""The zoo's target check picks the right model of each group and judges it by the metadata."""

from bench.zoo_targets import END, START, main
from gen_core.checkpoint import save_model
from tests.conftest import tiny_model

GAN_METRICS = {"fd_ratio_to_floor": 4.0, "precision": 0.85, "recall": 0.79, "min_class_fraction": 0.06}


def _save(folder, name, family, dataset, metrics, **training):
    save_model(tiny_model(family), folder / f"{name}.safetensors", dataset={"name": dataset},
               metrics=metrics, training=training)


def test_each_target_is_judged_on_the_best_model_of_its_group(tmp_path, capsys):
    _save(tmp_path, "good-gan", "sngan", "mnist", {"fd_classifier_features": 1.0, **GAN_METRICS})
    _save(tmp_path, "worse-gan", "dcgan", "mnist", {"fd_classifier_features": 2.0, **GAN_METRICS,
                                                    "fd_ratio_to_floor": 1.0})
    _save(tmp_path, "vae-on-mnist", "vae", "mnist", {"fd_classifier_features": 0.5})  # not a GAN
    _save(tmp_path, "f-gan", "wgan-gp", "fashion-mnist", {"fd_classifier_features": 3.0})
    _save(tmp_path, "f-vae", "vae", "fashion-mnist", {"fd_classifier_features": 2.5})
    _save(tmp_path, "bin-vae", "vae", "mnist", {"iwae_nll_nats": 86.5, "iwae_k": 1000},
          options={"binarize": True})
    _save(tmp_path, "plain-vae", "vae", "mnist", {"iwae_nll_nats": 80.0, "iwae_k": 1000})
    _save(tmp_path, "info", "infogan", "mnist", {"categories_matched": 8, "category_agreement": [0.9] * 10})
    rows = {row[0]: row[1:] for row in main([str(tmp_path)])}
    assert rows["MNIST best GAN: FD / floor"] == ("good-gan", "4.0", "≤ 5", "yes")
    assert rows["MNIST best GAN: recall"] == ("good-gan", "0.79", "≥ 0.80", "no")
    assert rows["MNIST best GAN: rarest class"][-1] == "yes"
    fashion = rows["Fashion-MNIST: best GAN beats best VAE on FD"]
    assert fashion == ("f-gan", "GAN 3.00 vs VAE 2.50 (f-vae)", "GAN < VAE", "no")
    assert rows["Binarized MNIST VAE: IWAE NLL"] == (
        "bin-vae", "86.50 nats, k=1000 (below Burda's VAE)", "≤ 90 nats (k=1000)", "yes")
    assert rows["MNIST InfoGAN: categories with ≥ 80% one class"] == ("info", "8 of 10", "≥ 8 of 10", "yes")
    assert "| MNIST best GAN: precision | good-gan | 0.85 | ≥ 0.80 | yes |" in capsys.readouterr().out


def test_a_missing_model_is_reported_not_met_and_the_readme_gets_the_table(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"Targets:\n{START}\nold\n{END}\nEnd.\n")
    rows = main([str(tmp_path), "--readme", str(readme)])
    text = readme.read_text()
    assert "old" not in text and "| MNIST best GAN: recall | – | no evaluated model |" in text
    assert text.startswith("Targets:\n") and text.endswith("\nEnd.\n")
    assert len(rows) == 7 and all(row[1:] == ("–", "no evaluated model", row[3], "no") for row in rows)
