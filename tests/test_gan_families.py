"""The GAN zoo's parts with exact answers: gradient penalty, spectral norm, minibatch
discrimination, InfoGAN's codes, and each family's training step."""

import math

import pytest
import torch
from torch import nn

from gen_core.data import load_dataset
from gen_core.models.dcgan import MinibatchDiscrimination
from gen_core.train.distributed import DistContext
from gen_core.train.gan_trainer import GANOptions, GANTrainer
from gen_core.train.infogan_trainer import InfoGANTrainer, information_loss
from gen_core.train.loop import RunConfig
from gen_core.train.wgan_trainer import WGANGPTrainer, WGANOptions, WGANTrainer, interpolates, penalty_at
from tests.conftest import TINY_SHAPE, tiny_model

# (family, trainer, options, learning rate): every family with the trainer the CLI pairs it with.
TRAINING_CASES = {
    "dcgan": ("dcgan", GANTrainer, GANOptions(), 2e-4),
    "dcgan-feature-matching": ("dcgan", GANTrainer, GANOptions(feature_matching=True), 2e-4),
    "dcgan-minibatch": ("dcgan", GANTrainer, GANOptions(minibatch_discrimination=True), 2e-4),
    "dcgan-smoothed": ("dcgan", GANTrainer, GANOptions(label_smoothing=0.9), 2e-4),
    "sngan": ("sngan", GANTrainer, None, 2e-4),
    "wgan": ("wgan", WGANTrainer, None, 5e-5),
    "wgan-gp": ("wgan-gp", WGANGPTrainer, None, 1e-4),
    "infogan": ("infogan", InfoGANTrainer, None, 2e-4),
}


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", train=True).subset(256)


def _trainer(tmp_path, case, data, options_override=None):
    family, trainer_class, options, lr = TRAINING_CASES[case]
    return trainer_class(tiny_model(family).train(), data, None, RunConfig(lr=lr), DistContext(),
                         tmp_path, options_override or options)


def _generator_copy(trainer):
    return [p.detach().clone() for p in trainer.model.generator.parameters()]


@pytest.mark.parametrize("case", sorted(TRAINING_CASES))
def test_training_steps_keep_losses_finite_and_move_the_generator(tmp_path, case, digits):
    trainer = _trainer(tmp_path, case, digits)
    before = _generator_copy(trainer)
    for step in range(10):
        losses = trainer.train_step(digits.images[(step * 32) % 256:(step * 32) % 256 + 32])
        trainer.steps += 1  # as the epoch loop does; WGANs count steps to pace the generator
        assert losses and all(math.isfinite(v) for v in losses.values()), losses
        if isinstance(trainer, GANTrainer):  # the discriminator's mean probabilities
            assert 0 <= losses["d_real"] <= 1 and 0 <= losses["d_fake"] <= 1, losses
    assert any(not torch.equal(a, b) for a, b in zip(before, _generator_copy(trainer), strict=True))


def test_gradient_penalty_of_a_linear_critic_is_exact():
    # D(x) = w . x + b has gradient w everywhere, so the penalty is (||w|| - 1)^2 at any interpolate.
    critic = nn.Sequential(nn.Flatten(), nn.Linear(64, 1))
    with torch.no_grad():
        critic[1].weight.copy_(torch.full((1, 64), 3.0 / 8))  # ||w|| = sqrt(64 * 9 / 64) = 3
    real, fake = torch.rand(5, *TINY_SHAPE), torch.rand(5, *TINY_SHAPE)
    mixed = interpolates(real, fake)
    penalty = penalty_at(critic(mixed), mixed)
    assert penalty.item() == pytest.approx(4.0, rel=1e-5)
    penalty.backward()  # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||
    torch.testing.assert_close(critic[1].weight.grad, torch.full((1, 64), 2 * 2 * (3.0 / 8) / 3))
    with torch.no_grad():
        critic[1].weight.copy_(torch.full((1, 64), 1.0 / 8))  # ||w|| = 1: no penalty
    assert penalty_at(critic(mixed), mixed).item() == pytest.approx(0.0, abs=1e-10)


def test_spectral_norm_makes_each_layer_1_lipschitz():
    disc = tiny_model("sngan").build_discriminator().train()
    for _ in range(30):  # each training-mode forward runs one power iteration
        disc(torch.rand(8, *TINY_SHAPE) * 2 - 1)
    layers = [m for m in disc.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(layers) == 3
    for layer in layers:
        sigma = torch.linalg.matrix_norm(layer.weight.detach().flatten(1), ord=2)
        assert sigma.item() == pytest.approx(1.0, abs=0.02)


def test_wgan_critic_weights_are_clipped_and_the_generator_waits_n_critic_steps(tmp_path, digits):
    trainer = _trainer(tmp_path, "wgan", digits, WGANOptions(n_critic=3, clip_value=0.005))
    before = _generator_copy(trainer)
    for step in range(3):
        trainer.train_step(digits.images[step * 32:(step + 1) * 32])
        moved = any(not torch.equal(a, b) for a, b in zip(before, _generator_copy(trainer), strict=True))
        assert moved == (step == 2)
        trainer.steps += 1
    assert all(p.abs().max() <= 0.005 for p in trainer.critic.parameters())


def test_wgan_gp_critic_has_no_batch_norm():
    critic = tiny_model("wgan-gp").build_discriminator()
    assert not any(isinstance(m, nn.BatchNorm2d) for m in critic.modules())
    assert any(isinstance(m, nn.GroupNorm) and m.num_groups == 1 for m in critic.modules())


def test_minibatch_discrimination_sees_identical_samples():
    layer = MinibatchDiscrimination(6, kernels=4, kernel_dim=3)
    same = layer(torch.ones(5, 6))  # every other sample at L1 distance 0: sum of exp(0) = 4
    torch.testing.assert_close(same, torch.full((5, 4), 4.0))
    spread = layer(torch.randn(5, 6) * 100)
    assert spread.shape == (5, 4) and (spread < same).all()


def test_minibatch_discrimination_widens_the_discriminator_head():
    model = tiny_model("dcgan")
    plain, with_layer = model.build_discriminator(), model.build_discriminator(minibatch_discrimination=True)
    assert with_layer.head.in_features == plain.head.in_features + with_layer.minibatch.kernels
    scores, features = with_layer(torch.rand(4, *TINY_SHAPE), with_features=True)
    assert scores.shape == (4,) and features.shape == (4, with_layer.feature_width)


def test_infogan_latent_spec_names_the_codes():
    spec = tiny_model("infogan").latent_spec
    assert spec[0].name == "category" and spec[0].kind == "categorical"
    assert spec[0].classes == tuple(str(i) for i in range(10))
    assert [(d.name, d.kind, d.low, d.high) for d in spec[1:3]] == [("code 1", "uniform", -1.0, 1.0),
                                                                    ("code 2", "uniform", -1.0, 1.0)]
    assert [d.kind for d in spec[3:]] == ["gaussian", "gaussian"]


def test_infogan_decodes_the_category_one_hot():
    model = tiny_model("infogan")
    z = torch.tensor([[3.0, 0.5, -0.5, 1.0, 2.0], [6.4, 0.0, 0.0, 0.0, 0.0]])  # 6.4 rounds to 6
    inputs = model.generator_input(z)
    assert inputs.shape == (2, 10 + 2 + 2)
    expected_first = torch.zeros(14)
    expected_first[3], expected_first[10:] = 1.0, torch.tensor([0.5, -0.5, 1.0, 2.0])
    torch.testing.assert_close(inputs[0], expected_first)
    assert inputs[1, :10].argmax() == 6 and inputs[1, :10].sum() == 1
    torch.testing.assert_close(model.decode(z), (model.generator(inputs) + 1) / 2)
    latents = model.sample_latent(200, torch.Generator().manual_seed(0))
    assert set(latents[:, 0].tolist()) == set(map(float, range(10)))
    assert latents[:, 1:3].abs().max() <= 1


def test_information_loss_of_an_uninformed_q_is_log_k():
    category = torch.tensor([0, 3, 9])
    codes = torch.tensor([[0.5, -0.5], [0.1, 0.2], [-1.0, 1.0]])
    loss = information_loss(torch.zeros(3, 10), codes, category, codes)  # uniform Q, exact means
    assert loss.item() == pytest.approx(math.log(10))
    off = information_loss(torch.zeros(3, 10), codes + 1, category, codes, continuous_weight=0.5)
    assert off.item() == pytest.approx(math.log(10) + 0.5 * 0.5 * 2)  # 0.5 * (1^2 + 1^2) per image


def test_infogan_discriminator_hidden_layer_feeds_both_heads(tmp_path, digits):
    import dataclasses

    from gen_core.models.registry import build_model

    config = dataclasses.replace(tiny_model("infogan").config, discriminator_hidden=12)
    torch.manual_seed(0)
    model = build_model("infogan", config).train()
    disc = model.build_discriminator()
    scores, features = disc(torch.rand(6, *TINY_SHAPE), with_features=True)
    assert disc.feature_width == 12 and features.shape == (6, 12) and scores.shape == (6,)
    assert disc.head.in_features == 12 and isinstance(disc.features[-2], nn.BatchNorm1d)
    trainer = InfoGANTrainer(model, digits, None, RunConfig(lr=2e-4), DistContext(), tmp_path)
    assert trainer.q_net.net[0].in_features == 12  # Q reads the dense layer, as D's score does
    losses = trainer.train_step(digits.images[:32])
    assert all(math.isfinite(v) for v in losses.values()) and "info_d" in losses
    with pytest.raises(ValueError, match="discriminator_hidden"):
        dataclasses.replace(config, discriminator_hidden=-1)


def test_infogan_generator_hidden_layer_and_uniform_noise_survive_file_and_export(tmp_path):
    import dataclasses

    from gen_core.files.checkpoint import load_model, save_model
    from gen_core.media.browser_decoder import export_decoder
    from gen_core.models.registry import build_model
    from tests.decoder_export import run_export

    config = dataclasses.replace(tiny_model("infogan").config, generator_hidden=8, uniform_noise=True)
    torch.manual_seed(0)
    model = build_model("infogan", config)
    dense, norm = model.generator.net[0], model.generator.net[1]
    assert (dense.in_features, dense.out_features) == (model.generator_width, 8)
    assert isinstance(norm, nn.BatchNorm1d) and model.generator.net[3].in_features == 8
    norm.running_mean.uniform_(-1, 1)  # statistics that are not the identity, so folding is tested
    norm.running_var.uniform_(0.5, 2)
    model.eval()
    z = model.sample_latent(400, torch.Generator().manual_seed(1))
    noise = model.split_latent(z)[2]
    assert noise.abs().max() <= 1 and noise.std() < 0.7  # U(-1, 1) has std 0.577; N(0, 1) has 1
    loaded = load_model(save_model(model, tmp_path / "g.safetensors", dataset={"name": "digits"}))
    assert loaded.config == config
    with torch.no_grad():
        images = model.decode(z[:6])
        assert torch.equal(loaded.decode(z[:6]), images)
        assert (run_export(export_decoder(loaded), z[:6]) - images).abs().max().item() < 1e-5
    with pytest.raises(ValueError, match="generator_hidden"):
        dataclasses.replace(config, generator_hidden=-1)
