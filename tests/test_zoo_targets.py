"""The zoo's target check picks the right model of each group and judges it by the metadata."""

from bench.zoo_targets import END, START, main
from gen_core.files.checkpoint import save_model
from tests.conftest import tiny_model

GAN_METRICS = {"fd_spread": 0.1, "fd_real_halves": 0.12, "precision": 0.85, "recall": 0.7998,
               "min_class_fraction": 0.06}


def _save(folder, name, family, dataset, metrics, **training):
    save_model(tiny_model(family), folder / f"{name}.safetensors", dataset={"name": dataset},
               metrics=metrics, training=training)


def test_each_target_is_judged_on_the_best_model_of_its_group(tmp_path, capsys):
    _save(tmp_path, "good-gan", "sngan", "mnist", {"fd_classifier_features": 2.5, **GAN_METRICS})
    _save(tmp_path, "worse-gan", "dcgan", "mnist", {"fd_classifier_features": 3.0, **GAN_METRICS,
                                                    "min_class_fraction": 0.03})
    _save(tmp_path, "vae-on-mnist", "vae", "mnist", {"fd_classifier_features": 0.5})  # not a GAN
    _save(tmp_path, "f-gan", "wgan-gp", "fashion-mnist", {"fd_classifier_features": 6.0, "recall": 0.61})
    _save(tmp_path, "bin-vae", "vae", "mnist", {"nll_iwae_nats": 86.5, "iwae_k": 1000,
                                                "likelihood_images": 10000}, options={"binarize": True})
    _save(tmp_path, "plain-vae", "vae", "mnist", {"bce_iwae_nats": 80.0, "iwae_k": 1000})
    _save(tmp_path, "info", "infogan", "mnist", {"categories_matched": 8, "category_agreement": [0.9] * 10,
                                                 "category_majority_class": [0, 1, 2, 3, 4, 5, 6, 7, 7, 7]})
    rows = {row[0]: row[1:] for row in main([str(tmp_path)])}
    assert rows["MNIST best GAN: FD"] == ("good-gan", "2.50 ± 0.10 (real halves 0.12)", "≤ 2.8", "yes")
    assert rows["MNIST best GAN: precision"] == ("good-gan", "0.85", "≥ 0.80", "yes")
    assert rows["MNIST best GAN: recall"] == ("good-gan", "0.7998", "≥ 0.80", "no")
    assert rows["Every MNIST generator: rarest class"][1:] == ("3.0% (worse-gan)", "≥ 5%", "no")
    assert rows["Fashion-MNIST best GAN: FD"][-1] == "no"
    assert rows["Fashion-MNIST best GAN: recall"][-1] == "yes"
    assert rows["Binarized MNIST VAE: IWAE NLL"] == (
        "bin-vae", "86.50 nats, k=1000, 10000 images", "≤ 86.76 nats (k=1000)", "yes")
    categories = rows["MNIST InfoGAN: category values ≥ 80% one digit, distinct digits"]
    assert categories == ("info", "10 values, 8 distinct digits", "≥ 8, ≥ 8", "yes")
    assert "| MNIST best GAN: precision | good-gan | 0.85 | ≥ 0.80 | yes |" in capsys.readouterr().out


def test_the_iwae_trained_target_counts_only_the_whole_test_set(tmp_path):
    iwae = {"nll_iwae_nats": 84.9, "iwae_k": 1000}
    _save(tmp_path, "elbo-vae", "vae", "mnist", {**iwae, "nll_iwae_nats": 84.0, "likelihood_images": 10000},
          options={"binarize": True})  # better, but trained on the ELBO: not this target's model
    _save(tmp_path, "iwae-vae", "vae", "mnist", {**iwae, "likelihood_images": 1000},
          options={"binarize": True, "iwae_samples": 8})
    label = "Binarized MNIST IWAE-trained VAE: IWAE NLL"
    assert {row[0]: row[1:] for row in main([str(tmp_path)])}[label] == (
        "iwae-vae", "84.90 nats, k=1000, 1000 images", "≤ 85.0 nats (k=1000, whole test set)", "no")
    _save(tmp_path, "iwae-vae", "vae", "mnist", {**iwae, "likelihood_images": 10000},
          options={"binarize": True, "iwae_samples": 8})
    assert {row[0]: row[1:] for row in main([str(tmp_path)])}[label][-1] == "yes"


def test_a_vae_gan_is_judged_against_the_conv_vae_of_its_dataset(tmp_path):
    _save(tmp_path, "mnist-vae-conv", "vae", "mnist", {"fd_classifier_features": 9.0,
                                                         "test_reconstruction_mse": 0.010})
    _save(tmp_path, "mnist-vae-gan", "vae-gan", "mnist", {"fd_classifier_features": 5.0,
                                                            "test_reconstruction_mse": 0.014})
    rows = {row[0]: row[1:] for row in main([str(tmp_path)])}
    assert rows["mnist: VAE-GAN vs conv VAE"] == (
        "mnist-vae-gan", "FD 5.00 vs 9.00; error 0.0140 vs 0.0100 (mnist-vae-conv)", "lower FD, error ≤ 1.5×",
        "yes")


def test_the_mode_regularized_gan_is_judged_against_the_dcgan_of_its_dataset(tmp_path):
    shares, dcgan = [0.1] * 10, {**GAN_METRICS, "fd_classifier_features": 3.0}
    _save(tmp_path, "mnist-dcgan", "dcgan", "mnist", {**dcgan, "mode_score": 8.5,
                                                      "class_fractions": [0.01, *[0.11] * 9]})
    _save(tmp_path, "mnist-mrgan", "mode-regularized", "mnist",
          {"fd_classifier_features": 3.5, "mode_score": 8.75, "mode_score_real_half": 9.6,
           "class_fractions": shares})
    label = "mnist: mode-regularized GAN vs DCGAN, MODE score and classes covered"
    assert {row[0]: row[1:] for row in main([str(tmp_path)])}[label] == (
        "mnist-mrgan", "MODE 8.75 vs 8.50 (real half 9.60); classes ≥ 2%: 10 vs 9 (mnist-dcgan)",
        "both ≥ the DCGAN's", "yes")
    _save(tmp_path, "mnist-dcgan", "dcgan", "mnist", {**dcgan, "class_fractions": shares})
    assert {row[0]: row[1:] for row in main([str(tmp_path)])}[label][1:] == (
        "needs both evaluated with the MODE score", "both ≥ the DCGAN's", "no")


def test_the_mode_regularized_gan_is_judged_against_the_dcgan_of_its_budget(tmp_path):
    shares = [0.1] * 10
    _save(tmp_path, "long-dcgan", "dcgan", "mnist", {**GAN_METRICS, "fd_classifier_features": 2.0,
                                                     "mode_score": 9.0, "class_fractions": shares},
          epochs=64, batch_size=128)
    _save(tmp_path, "short-dcgan", "dcgan", "mnist", {**GAN_METRICS, "fd_classifier_features": 5.0,
                                                      "mode_score": 7.0, "class_fractions": shares},
          epochs=40, batch_size=128)
    _save(tmp_path, "mnist-mrgan", "mode-regularized", "mnist",
          {"fd_classifier_features": 4.0, "mode_score": 8.0, "class_fractions": shares},
          epochs=40, batch_size=128)
    label = "mnist: mode-regularized GAN vs DCGAN, MODE score and classes covered"
    assert {row[0]: row[1:] for row in main([str(tmp_path)])}[label] == (
        "mnist-mrgan", "MODE 8.00 vs 7.00; classes ≥ 2%: 10 vs 10 (same budget, short-dcgan)",
        "both ≥ the DCGAN's", "yes")
    _save(tmp_path, "short-dcgan", "dcgan", "mnist", {**GAN_METRICS, "fd_classifier_features": 5.0,
                                                      "mode_score": 7.0, "class_fractions": shares},
          epochs=40, batch_size=64)  # another batch: another budget, so the best DCGAN is the reference
    assert {row[0]: row[1:] for row in main([str(tmp_path)])}[label][1:] == (
        "MODE 8.00 vs 9.00; classes ≥ 2%: 10 vs 10 (long-dcgan)", "both ≥ the DCGAN's", "no")
    _save(tmp_path, "mnist-mrgan", "mode-regularized", "mnist",
          {"fd_classifier_features": 4.0, "mode_score": 9.5, "class_fractions": shares},
          epochs=80, batch_size=128)  # ahead, but on more epochs than any DCGAN: not the claim's budget
    assert {row[0]: row[1:] for row in main([str(tmp_path)])}[label][1:] == (
        "MODE 9.50 vs 9.00; classes ≥ 2%: 10 vs 10 (long-dcgan: 64 epochs against 80)", "both ≥ the DCGAN's",
        "no")


def test_the_fd_floor_is_judged_on_the_worst_adversarial_model_of_each_dataset(tmp_path):
    _save(tmp_path, "mnist-dcgan", "dcgan", "mnist", {**GAN_METRICS, "fd_classifier_features": 3.0})
    _save(tmp_path, "mnist-vae-gan", "vae-gan", "mnist", {"fd_classifier_features": 4.5})
    _save(tmp_path, "mnist-vae", "vae", "mnist", {"fd_classifier_features": 9.0})  # no discriminator
    _save(tmp_path, "fashion-mrgan", "mode-regularized", "fashion-mnist", {"fd_classifier_features": 4.2})
    _save(tmp_path, "fashion-dcgan", "dcgan", "fashion-mnist", {**GAN_METRICS, "fd_classifier_features": 2.0})
    rows = {row[0]: row[1:] for row in main([str(tmp_path)])}
    assert rows["Every MNIST GAN (VAE-GAN, mode-regularized too): FD"] == (
        "mnist-vae-gan", "4.50 ± 0.00", "≤ 5.0", "yes")
    assert rows["Every Fashion-MNIST GAN (VAE-GAN, mode-regularized too): FD"] == (
        "fashion-mrgan", "4.20 ± 0.00", "≤ 4.0", "no")


def test_a_missing_model_is_reported_not_met_and_the_readme_gets_the_table(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"Targets:\n{START}\nold\n{END}\nEnd.\n")
    rows = main([str(tmp_path), "--doc", str(readme)])
    text = readme.read_text()
    assert "old" not in text and "| MNIST best GAN: recall | – | no evaluated model |" in text
    assert text.startswith("Targets:\n") and text.endswith("\nEnd.\n")
    assert len(rows) == 15 and all(row[1:] == ("–", "no evaluated model", row[3], "no") for row in rows)
