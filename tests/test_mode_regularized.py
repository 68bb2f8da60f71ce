"""The mode-regularized GAN (Che et al. 2017): its encoder, its losses with exact answers, and training."""

import math

import pytest
import torch

from gen_core.data import load_dataset
from gen_core.files.checkpoint import load_model
from gen_core.train.cli import main
from gen_core.train.distributed import DistContext
from gen_core.train.loop import RunConfig
from gen_core.train.mode_regularized_trainer import (
    ModeRegularizedGANTrainer,
    geometric_regularizer,
    mode_regularized_discriminator_loss,
    r1_penalty,
    regularized_generator_losses,
)
from gen_core.training_options import ModeRegularizedOptions
from tests.conftest import TINY_SHAPE, tiny_model

LOG_2 = math.log(2.0)


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", train=True).subset(256)


def _trainer(tmp_path, data, options=None):
    return ModeRegularizedGANTrainer(tiny_model("mode-regularized").train(), data, None, RunConfig(lr=2e-3),
                                     DistContext(), tmp_path, options)


def test_the_encoder_is_deterministic_and_independent_of_its_batch():
    model = tiny_model("mode-regularized").train()  # training mode: a batch norm would mix the batch
    images = torch.rand(5, *TINY_SHAPE)
    posterior = model.encode(images)
    assert posterior.mean.shape == (5, 4) and torch.equal(posterior.logvar, torch.zeros(5, 4))
    torch.testing.assert_close(model.encode(images[:1]).mean[0], posterior.mean[0])
    assert model.has_encoder and model.codes_are_points and not model.has_likelihood
    z = model.sample_latent(3, torch.Generator().manual_seed(0))
    torch.testing.assert_close(model.decode(z), (model.generator(z) + 1) / 2)


def test_generator_terms_at_known_points():
    options = ModeRegularizedOptions(lambda_geometric=0.5, lambda_mode=0.25)
    real, reconstructed = torch.zeros(2, *TINY_SHAPE), torch.full((2, *TINY_SHAPE), 0.5)
    reconstructed[1] = -1.0  # one image off by 0.5 everywhere, one by 1: MSE (0.25 + 1) / 2
    undecided, confident = torch.zeros(2), torch.tensor([math.log(3.0), math.log(3.0)])  # D = 1/2, 3/4
    losses = regularized_generator_losses(undecided, confident, real, reconstructed, options)
    assert losses["loss_g"].item() == pytest.approx(LOG_2)  # -log D(G(z)) at D = 1/2
    assert losses["geometric"].item() == pytest.approx(0.625)
    assert losses["mode"].item() == pytest.approx(-math.log(0.75))  # -log D(G(E(x))) at D = 3/4
    assert losses["total"].item() == pytest.approx(LOG_2 + 0.5 * 0.625 - 0.25 * math.log(0.75))
    assert geometric_regularizer(real, real).item() == 0.0


def test_the_discriminator_takes_samples_and_reconstructions_for_fakes():
    zeros = torch.zeros(4)
    assert mode_regularized_discriminator_loss(zeros, zeros, zeros).item() == pytest.approx(3 * LOG_2)
    sure = torch.full((4,), 20.0)  # D(x) ~ 1 on real, ~ 0 on both kinds of fake
    assert mode_regularized_discriminator_loss(sure, -sure, -sure).item() == pytest.approx(0.0, abs=1e-6)
    assert mode_regularized_discriminator_loss(sure, -sure, sure).item() == pytest.approx(20.0, abs=1e-6)


@pytest.mark.parametrize("plain", [False, True])
def test_a_plain_discriminator_learns_from_data_and_samples_only(tmp_path, digits, plain):
    trainer = _trainer(tmp_path, digits, ModeRegularizedOptions(plain_discriminator=plain))
    real, fake = digits.images[:16] * 2 - 1, torch.rand(16, *TINY_SHAPE) * 2 - 1
    reconstructed = torch.rand(16, *TINY_SHAPE) * 2 - 1
    with torch.no_grad():  # the loss it should take, at the weights before its step
        logits = [trainer.disc(x) for x in (real, fake, reconstructed)]
    expected = mode_regularized_discriminator_loss(logits[0], logits[1], None if plain else logits[2])
    assert trainer.discriminator_step(real, fake, reconstructed)["loss_d"] == pytest.approx(expected.item())
    assert mode_regularized_discriminator_loss(torch.zeros(4), torch.zeros(4), None).item() == \
        pytest.approx(2 * LOG_2)


def test_each_network_gets_only_its_own_loss(tmp_path, digits):
    trainer = _trainer(tmp_path, digits, ModeRegularizedOptions(lambda_geometric=0.0, lambda_mode=0.0))
    batch = digits.images[:16]
    fake = trainer.model.generator(torch.randn(16, 4))
    reconstructed = trainer.model.generator(trainer.model.code(batch))
    trainer.disc.zero_grad(set_to_none=True)
    trainer.generator_step(batch * 2 - 1, fake, reconstructed)
    assert all(p.grad is None for p in trainer.disc.parameters())  # D is not moved by G's loss
    assert all(p.grad is not None for p in trainer.generator_params)
    # Without the regularizers the encoder's loss is nothing: -log D(G(z)) does not depend on E.
    assert all(not p.grad.any() for p in trainer.encoder_params)


def test_training_steps_lower_the_geometric_term(tmp_path, digits):
    torch.manual_seed(0)
    trainer = _trainer(tmp_path, digits)
    steps = [trainer.train_step(digits.images[(s * 32) % 256:(s * 32) % 256 + 32]) for s in range(40)]
    assert all(math.isfinite(v) for logs in steps for v in logs.values())
    assert {"loss_d", "loss_g", "geometric", "mode", "d_reconstructed"} <= set(steps[0])
    first, last = (sum(logs["geometric"] for logs in part) / 5 for part in (steps[:5], steps[-5:]))
    assert last < 0.7 * first, (first, last)


def test_the_command_trains_the_preset_and_records_its_options(tmp_path):
    out = tmp_path / "m.safetensors"
    main(["--model", "mrgan", "--dataset", "digits", "--dry-run", "--latent-dim", "3", "--out", str(out),
          "--run-dir", str(tmp_path / "run"), "--lambda-mode", "0.3"])
    card = load_model(out).card
    assert card.family == "mode-regularized" and card.config["latent_dim"] == 3
    assert card.training.options == {"lambda_geometric": 1.0, "lambda_mode": 0.3, "manifold_diffusion": False,
                                     "plain_discriminator": False, "r1_weight": 0.0}
    assert card.training.record["ema_decay"] is None  # an average of G would not match the live E
    assert set(card.metrics) == {"test_reconstruction_mse"}
    with pytest.raises(SystemExit, match="--lambda-mode does not apply"):
        main(["--model", "dcgan", "--dataset", "digits", "--dry-run", "--lambda-mode", "0.3",
              "--out", str(tmp_path / "d.safetensors")])


def test_mdgan_matches_reconstructions_to_data_and_samples_to_reconstructions(tmp_path, digits):
    torch.manual_seed(0)
    trainer = _trainer(tmp_path, digits, ModeRegularizedOptions(manifold_diffusion=True))
    assert set(trainer.training_modules()) == {"discriminator", "diffusion_discriminator"}
    assert set(trainer.optimizers()) == set(trainer.learning_rates())
    seen = {"discriminator": [], "diffusion_discriminator": []}
    for name, module in trainer.training_modules().items():
        module.register_forward_hook(lambda _m, args, _out, name=name: seen[name].append(args[0].detach()))
    before = [p.detach().clone() for p in trainer.diffusion_disc.parameters()]
    batch = digits.images[:32]
    logs = trainer.train_step(batch)
    assert {"loss_d", "loss_dd", "loss_g", "geometric", "mode", "d_fake"} <= set(logs)
    assert all(math.isfinite(v) for v in logs.values())
    # The first discriminator reads only data and reconstructions: the real batch is among its inputs.
    assert any(torch.equal(x, batch * 2 - 1) for x in seen["discriminator"])
    assert all(not torch.equal(x, batch * 2 - 1) for x in seen["diffusion_discriminator"])
    after = list(trainer.diffusion_disc.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, after, strict=True))
    steps = [trainer.train_step(digits.images[(s * 32) % 256:(s * 32) % 256 + 32]) for s in range(40)]
    first, last = (sum(logs["geometric"] for logs in part) / 5 for part in (steps[:5], steps[-5:]))
    assert last < 0.7 * first, (first, last)


def test_the_command_trains_mdgan_and_records_it(tmp_path):
    out = tmp_path / "md.safetensors"
    main(["--model", "mrgan", "--dataset", "digits", "--dry-run", "--latent-dim", "3", "--out", str(out),
          "--run-dir", str(tmp_path / "run"), "--manifold-diffusion"])
    assert load_model(out).card.training.options["manifold_diffusion"] is True


def test_codes_on_the_prior_shell_have_the_prior_norm_and_survive_the_file(tmp_path):
    import dataclasses

    from gen_core.files.checkpoint import save_model
    from gen_core.models.registry import build_model

    plain = tiny_model("mode-regularized")
    shell = build_model("mode-regularized", dataclasses.replace(plain.config, codes_on_prior_shell=True))
    shell.load_state_dict(plain.state_dict())
    images = torch.rand(5, *TINY_SHAPE)
    free, on_shell = plain.code(images), shell.code(images)
    torch.testing.assert_close(on_shell.norm(dim=1), torch.full((5,), 2.0))  # sqrt(latent_dim 4)
    torch.testing.assert_close(on_shell, free * 2.0 / free.norm(dim=1, keepdim=True))  # direction kept
    loaded = load_model(save_model(shell.eval(), tmp_path / "s.safetensors", dataset={"name": "digits"}))
    assert loaded.config.codes_on_prior_shell
    torch.testing.assert_close(loaded.encode(images).mean, shell.code(images))


def test_r1_penalty_is_the_squared_input_gradient_of_a_linear_discriminator():
    weights = torch.randn(math.prod(TINY_SHAPE))
    real = torch.rand(6, *TINY_SHAPE, requires_grad=True)
    logits = real.flatten(1) @ weights + 0.5  # D(x) = w.x + b: its gradient is w at every x
    torch.testing.assert_close(r1_penalty(logits, real), weights.pow(2).sum())
    with pytest.raises(ValueError, match="r1_weight"):
        ModeRegularizedOptions(r1_weight=-1.0)


def _input_gradient_sq(disc, images):
    images = images.detach().requires_grad_(True)
    return r1_penalty(disc(images), images).item()


@pytest.mark.parametrize("manifold_diffusion", [False, True])
def test_r1_keeps_each_discriminator_smooth_on_its_real_inputs(tmp_path, digits, manifold_diffusion):
    """Trained on the same batches from the same weights, a discriminator under a strong R1
    penalty ends with a smaller input gradient on the data than one without it; each step logs it."""
    ends = {}
    for weight in (0.0, 10.0):
        torch.manual_seed(0)
        trainer = _trainer(tmp_path / str(weight), digits,
                           ModeRegularizedOptions(manifold_diffusion=manifold_diffusion, r1_weight=weight))
        for s in range(30):
            logs = trainer.train_step(digits.images[(s * 32) % 256:(s * 32) % 256 + 32])
        penalties = {"r1", "r1_diffusion"} if manifold_diffusion else {"r1"}
        assert (penalties <= set(logs)) == (weight > 0) and all(math.isfinite(v) for v in logs.values())
        ends[weight] = _input_gradient_sq(trainer.disc, digits.images[:64] * 2 - 1)
    assert ends[10.0] < 0.5 * ends[0.0], ends
