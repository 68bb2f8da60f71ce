"""VAE-GAN, AAE, EBGAN and f-GAN: their losses with exact answers, and each family's training step."""

import math

import pytest
import torch
from torch import nn

from gen_core.data import load_dataset
from gen_core.files.checkpoint import load_model
from gen_core.latent.encoding import encodings_name, mean_kl_per_dim
from gen_core.models.aae import CodeDiscriminator
from gen_core.train.aae_trainer import AAETrainer, code_discriminator_loss, encoder_adversarial_loss
from gen_core.train.cli import main
from gen_core.train.distributed import DistContext
from gen_core.train.divergences import DIVERGENCES, variational_bound
from gen_core.train.ebgan_trainer import EBGANOptions, EBGANTrainer, pull_away_term
from gen_core.train.fgan_trainer import FGANOptions, FGANTrainer
from gen_core.train.gan_trainer import generator_loss
from gen_core.train.loop import RunConfig
from gen_core.train.vae_gan_trainer import VAEGANTrainer, feature_reconstruction_nll
from gen_core.training_options import VAEGANOptions
from tests.conftest import TINY_SHAPE, tiny_model
from ui.latent_controls import dimension_note, inactive_texts

LOG_2 = math.log(2.0)

# (family, config index, trainer, options, learning rate): each family with the trainer the CLI pairs.
TRAINING_CASES = {
    "vae-gan": ("vae-gan", 0, VAEGANTrainer, None, 3e-4),
    "aae": ("aae", 0, AAETrainer, None, 2e-4),
    "aae-gaussian-uniform": ("aae", 1, AAETrainer, None, 2e-4),
    "ebgan": ("ebgan", 0, EBGANTrainer, None, 2e-4),
    **{f"f-gan-{name}": ("f-gan", 0, FGANTrainer, FGANOptions(name), 2e-4) for name in sorted(DIVERGENCES)},
}


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", train=True).subset(256)


def _trainer(tmp_path, case, data, options_override=None):
    family, index, trainer_class, options, lr = TRAINING_CASES[case]
    return trainer_class(tiny_model(family, index).train(), data, None, RunConfig(lr=lr), DistContext(),
                         tmp_path, options_override or options)


# --- f-GAN: the divergences of Nowozin et al. -------------------------------------------------------

def test_activations_and_conjugates_at_known_points():
    v = torch.tensor([-2.0, 0.0, 1.5])
    kl, rkl, pearson, js = (DIVERGENCES[k] for k in ("kl", "reverse-kl", "pearson", "js"))
    torch.testing.assert_close(kl.activation(v), v)
    assert kl.conjugate(torch.tensor(1.0)).item() == pytest.approx(1.0)  # exp(1 - 1)
    torch.testing.assert_close(rkl.activation(v), -torch.exp(-v))
    assert rkl.conjugate(torch.tensor(-1.0)).item() == pytest.approx(-1.0)  # -1 - log 1
    assert rkl.conjugate(torch.tensor(-0.5)).item() == pytest.approx(-1 + LOG_2)
    torch.testing.assert_close(pearson.activation(v), v)
    assert pearson.conjugate(torch.tensor(2.0)).item() == pytest.approx(3.0)  # 4/4 + 2
    torch.testing.assert_close(js.activation(v), LOG_2 - torch.log1p(torch.exp(-v)))
    assert js.activation(torch.tensor(0.0)).item() == pytest.approx(0.0)  # log 2 - log 2
    assert js.conjugate(torch.tensor(0.0)).item() == pytest.approx(0.0)  # -log(2 - 1)
    assert js.conjugate(torch.tensor(-LOG_2)).item() == pytest.approx(-math.log(1.5))
    assert DIVERGENCES["squared-hellinger"].conjugate(torch.tensor(0.5)).item() == pytest.approx(1.0)
    assert DIVERGENCES["gan"].conjugate(torch.tensor(-LOG_2)).item() == pytest.approx(LOG_2)


@pytest.mark.parametrize("name", sorted(DIVERGENCES))
def test_activation_lands_where_the_conjugate_is_finite_and_the_composite_matches(name):
    divergence = DIVERGENCES[name]
    v = torch.linspace(-4, 4, 81, dtype=torch.float64)
    composed = divergence.conjugate(divergence.activation(v))
    assert torch.isfinite(composed).all()
    torch.testing.assert_close(divergence.conjugate_of_activation(v), composed)


@pytest.mark.parametrize("name", sorted(DIVERGENCES))
def test_conjugate_meets_fenchel_young_with_equality(name):
    # f*(f'(u)) = u f'(u) - f(u): the supremum defining f* is reached at u.
    f = DIVERGENCES[name].f
    u = torch.tensor([0.25, 1.0, 4.0], dtype=torch.float64, requires_grad=True)
    (slope,) = torch.autograd.grad(f(u).sum(), u)
    u = u.detach()
    torch.testing.assert_close(DIVERGENCES[name].conjugate(slope), u * slope - f(u))
    at_one = -math.log(4) if name == "gan" else 0.0  # the GAN's D_f is 2 JSD - log 4
    assert f(torch.tensor(1.0, dtype=torch.float64)).item() == pytest.approx(at_one, abs=1e-12)


P = torch.tensor([0.5, 0.3, 0.2], dtype=torch.float64)
Q = torch.tensor([0.2, 0.2, 0.6], dtype=torch.float64)
M = (P + Q) / 2
CLOSED_FORMS = {
    "kl": (P * (P / Q).log()).sum(),
    "reverse-kl": (Q * (Q / P).log()).sum(),
    "pearson": ((P - Q).pow(2) / Q).sum(),
    "squared-hellinger": (P.sqrt() - Q.sqrt()).pow(2).sum(),
    "js": (P * (P / M).log()).sum() + (Q * (Q / M).log()).sum(),
    "gan": (P * (P / M).log()).sum() + (Q * (Q / M).log()).sum() - math.log(4),
}
# g_f^-1: the discriminator output V that the activation maps to a given T.
INVERSE_ACTIVATIONS = {
    "kl": lambda t: t,
    "reverse-kl": lambda t: -torch.log(-t),
    "pearson": lambda t: t,
    "squared-hellinger": lambda t: -torch.log(1 - t),
    "js": lambda t: -torch.log(2 * torch.exp(-t) - 1),
    "gan": lambda t: -torch.log(torch.exp(-t) - 1),
}


def _optimal_critic(name):
    """T*(x) = f'(p(x) / q(x)), where the variational bound is tight (Nowozin et al., sec. 2.3)."""
    ratio = (P / Q).requires_grad_(True)
    (slope,) = torch.autograd.grad(DIVERGENCES[name].f(ratio).sum(), ratio)
    return slope


@pytest.mark.parametrize("name", sorted(DIVERGENCES))
def test_variational_bound_at_the_optimal_critic_is_the_divergence(name):
    divergence, t_opt = DIVERGENCES[name], _optimal_critic(name)
    bound = (P * t_opt).sum() - (Q * divergence.conjugate(t_opt)).sum()
    assert bound.item() == pytest.approx(CLOSED_FORMS[name].item(), rel=1e-9)
    assert (Q * divergence.f(P / Q)).sum().item() == pytest.approx(CLOSED_FORMS[name].item(), rel=1e-9)
    worse = t_opt + torch.tensor([0.05, -0.05, 0.02], dtype=torch.float64)
    assert (P * worse).sum() - (Q * divergence.conjugate(worse)).sum() < bound


@pytest.mark.parametrize("name", sorted(DIVERGENCES))
def test_variational_bound_of_batches_of_discriminator_outputs(name):
    # P and Q as batches of 10 with outcomes in the proportions 5:3:2 and 2:2:6, scored by the V
    # whose activation is the optimal critic: batch means reproduce the expectations exactly.
    scores = INVERSE_ACTIVATIONS[name](_optimal_critic(name))
    real = scores.repeat_interleave(torch.tensor([5, 3, 2]))
    fake = scores.repeat_interleave(torch.tensor([2, 2, 6]))
    bound = variational_bound(DIVERGENCES[name], real, fake)
    assert bound.item() == pytest.approx(CLOSED_FORMS[name].item(), rel=1e-9)


def test_f_gan_losses_are_the_negated_bound(tmp_path, digits):
    trainer = _trainer(tmp_path, "f-gan-kl", digits)
    real, fake = torch.tensor([0.5, 1.0]), torch.tensor([0.0, 1.0])
    total = trainer.real_loss(real) + trainer.fake_loss(fake)
    assert total.item() == pytest.approx(-(0.75 - (math.exp(-1) + 1) / 2))
    assert trainer.generator_losses(fake, torch.zeros(2, 3), torch.zeros(2, 3))["loss_g"].item() == -0.5


# --- EBGAN ------------------------------------------------------------------------------------------

def test_pull_away_term_of_orthogonal_and_identical_codes():
    orthogonal = torch.eye(4) * torch.tensor([[1.0], [2.0], [0.5], [3.0]])
    assert pull_away_term(orthogonal).item() == pytest.approx(0.0, abs=1e-12)
    assert pull_away_term(torch.tensor([[1.0, 2.0, 2.0]]).repeat(3, 1)).item() == pytest.approx(1.0)
    same_direction = torch.tensor([[1.0, 1.0], [3.0, 3.0]])  # norms differ, cosine 1
    assert pull_away_term(same_direction).item() == pytest.approx(1.0)
    sixty_degrees = torch.tensor([[1.0, 0.0], [0.5, math.sqrt(3) / 2]])  # cos^2 = 1/4
    assert pull_away_term(sixty_degrees).item() == pytest.approx(0.25)


def test_ebgan_energy_is_each_images_reconstruction_mse():
    disc = tiny_model("ebgan").build_discriminator().eval()
    images = torch.rand(3, *TINY_SHAPE) * 2 - 1
    energy, codes = disc(images, with_features=True)
    expected = (disc.decoder(disc.encoder(images)) - images).pow(2).mean((1, 2, 3))
    torch.testing.assert_close(energy, expected)
    assert codes.shape == (3, 2 * 4 * 2 * 2)  # (ndf*2) x H/4 x W/4, flattened


def test_ebgan_margin_loss(tmp_path, digits):
    trainer = _trainer(tmp_path, "ebgan", digits, EBGANOptions(margin=1.0, pull_away_weight=0.5))
    energies = torch.tensor([0.25, 2.0])
    assert trainer.real_loss(energies).item() == pytest.approx(1.125)
    assert trainer.fake_loss(energies).item() == pytest.approx(0.375)  # max(0, 1 - e): 0.75 and 0
    losses = trainer.generator_losses(energies, torch.ones(2, 5), torch.zeros(2, 5))
    assert losses["loss_g"].item() == pytest.approx(1.125)
    assert losses["pull_away"].item() == pytest.approx(0.5)  # identical codes: PT = 1, times the weight


# --- AAE ----------------------------------------------------------------------------------------------

def test_aae_priors_are_what_the_latent_spec_says():
    gaussian, uniform = tiny_model("aae", 0), tiny_model("aae", 1)
    z = gaussian.sample_latent(20000, torch.Generator().manual_seed(0))
    assert z.mean().abs() < 0.02 and (z.std() - 1).abs() < 0.02
    assert all(d.kind == "uniform" and (d.low, d.high) == (-1.0, 1.0) for d in uniform.latent_spec)
    u = uniform.sample_latent(20000, torch.Generator().manual_seed(0))
    assert u.min() >= -1 and u.max() <= 1 and (u.var() - 1 / 3).abs() < 0.01


def test_adversarial_losses_at_an_undecided_discriminator_are_log_two():
    zeros = torch.zeros(5)
    assert code_discriminator_loss(zeros, zeros).item() == pytest.approx(2 * LOG_2)
    assert encoder_adversarial_loss(zeros).item() == pytest.approx(LOG_2)


def _train_code_discriminator(shift: float) -> float:
    """Train a code discriminator on prior draws against "codes" drawn from the prior moved by
    ``shift``; return its loss on fresh draws."""
    torch.manual_seed(0)
    disc = CodeDiscriminator(latent_dim=2, width=32)
    optimizer = torch.optim.Adam(disc.parameters(), lr=1e-3)
    for _ in range(200):
        optimizer.zero_grad()
        prior, codes = torch.randn(256, 2), torch.randn(256, 2) + shift
        code_discriminator_loss(disc(prior), disc(codes)).backward()
        optimizer.step()
    with torch.no_grad():
        return code_discriminator_loss(disc(torch.randn(4096, 2)), disc(torch.randn(4096, 2) + shift)).item()


def test_codes_drawn_from_the_prior_leave_the_discriminator_at_chance():
    assert _train_code_discriminator(0.0) == pytest.approx(2 * LOG_2, abs=0.03)
    assert _train_code_discriminator(2.0) < 0.5 * 2 * LOG_2  # codes off the prior are told apart


def test_deterministic_aae_codes_are_their_means_with_zero_logvar():
    model = tiny_model("aae", 0)
    images = torch.rand(6, *TINY_SHAPE)
    posterior = model.encode(images)
    mu, logvar = posterior.mean, posterior.logvar
    assert mu.shape == (6, 4) and torch.equal(logvar, torch.zeros_like(mu))
    torch.testing.assert_close(model.code(images), mu)
    # The Explore page's per-dimension KL reads 0.5 * E[mu^2]: ~0 for an unused dimension.
    torch.testing.assert_close(mean_kl_per_dim(model, images), 0.5 * mu.pow(2).mean(0))


def test_explore_labels_codes_by_their_spread_and_posteriors_by_their_kl():
    images = torch.rand(6, *TINY_SHAPE)
    codes, posteriors = tiny_model("aae", 0), tiny_model("aae", 1)  # deterministic, then Gaussian
    assert codes.codes_are_points and not posteriors.codes_are_points
    assert not tiny_model("vae").codes_are_points
    kl = mean_kl_per_dim(codes, images)
    rms = codes.encode(images).mean.pow(2).mean(0).sqrt()
    assert dimension_note(codes, kl, 2) == f" · rms {rms[2].item():.2f}"
    assert dimension_note(posteriors, kl, 2) == f" · KL {kl[2].item():.2f}"
    assert dimension_note(codes, None, 2) == ""
    title, note = inactive_texts(codes, 3)
    assert "rms < 0.14" in title and "posterior collapse" not in note
    assert inactive_texts(posteriors, 3)[0] == "3 inactive dimensions (mean KL < 0.01 nats)"
    assert (encodings_name(codes), encodings_name(posteriors)) == ("encoder codes", "posterior means")


def test_gaussian_aae_codes_are_draws_from_its_posterior():
    model = tiny_model("aae", 1)
    images = torch.rand(6, *TINY_SHAPE)
    posterior = model.encode(images)
    mu, logvar = posterior.mean, posterior.logvar
    assert mu.shape == logvar.shape == (6, 4)
    torch.manual_seed(0)
    draws = torch.stack([model.code(images) for _ in range(4000)])
    torch.testing.assert_close(draws.mean(0), mu, atol=0.1, rtol=0)
    torch.testing.assert_close(draws.var(0), logvar.exp(), atol=0.1, rtol=0.1)


# --- VAE-GAN ------------------------------------------------------------------------------------------

def test_feature_reconstruction_nll_is_half_the_squared_feature_error():
    real = torch.zeros(2, 3)
    recon = torch.tensor([[1.0, 1.0, 1.0], [0.0, 2.0, 0.0]])
    assert feature_reconstruction_nll(recon, real).item() == pytest.approx((1.5 + 2.0) / 2)


def test_vae_gan_features_of_an_image_do_not_depend_on_its_batch():
    disc = tiny_model("vae-gan").build_discriminator().train()
    assert not any(isinstance(m, nn.BatchNorm2d) for m in disc.modules())
    images = torch.rand(5, *TINY_SHAPE) * 2 - 1
    _, alone = disc(images[:1], with_features=True)
    _, batched = disc(images, with_features=True)
    torch.testing.assert_close(alone[0], batched[0])


def test_vae_gan_decodes_with_its_generator():
    model = tiny_model("vae-gan")
    z = model.sample_latent(3, torch.Generator().manual_seed(0))
    torch.testing.assert_close(model.decode(z), (model.generator(z) + 1) / 2)
    posterior = model.encode(torch.rand(3, *TINY_SHAPE))
    mu, logvar = posterior.mean, posterior.logvar
    assert model.has_encoder and not model.has_likelihood and mu.shape == logvar.shape == (3, 4)


def test_vae_gan_gives_each_network_only_its_own_loss(tmp_path, digits):
    trainer = _trainer(tmp_path, "vae-gan", digits)
    batch = digits.images[:16]
    posterior = trainer.model.encode(batch)
    recon = trainer.model.generator(posterior.mean)
    prior = trainer.model.generator(torch.randn_like(posterior.mean))
    trainer.disc.zero_grad(set_to_none=True)
    before = [p.detach().clone() for p in trainer.disc.parameters()]
    trainer.autoencoder_step(batch * 2 - 1, posterior, recon, prior)
    assert all(p.grad is None for p in trainer.disc.parameters())  # D is not moved by the others' losses
    assert all(torch.equal(a, b) for a, b in zip(before, trainer.disc.parameters(), strict=True))
    assert all(p.grad is not None for p in trainer.encoder_params + trainer.decoder_params)


def test_vae_gan_step_gives_the_gradients_of_one_pass_over_all_three_image_sets(tmp_path, digits):
    """Larsen et al.'s losses written over one discriminator pass of real, reconstructed and prior
    images: the step (which passes the real images apart, without a graph) gives the same gradients."""
    trainer = _trainer(tmp_path, "vae-gan", digits)
    real = digits.images[:16] * 2 - 1
    posterior = trainer.model.encode(digits.images[:16])
    recon = trainer.model.generator(posterior.mean)
    prior = trainer.model.generator(torch.randn_like(posterior.mean))
    scores, features = trainer.disc(torch.cat([real, recon, prior]), with_features=True)
    _, scores_recon, scores_prior = scores.chunk(3)
    real_features, recon_features, _ = features.chunk(3)
    llike = feature_reconstruction_nll(recon_features, real_features.detach())
    loss_gan = generator_loss(scores_recon, "non-saturating") + generator_loss(scores_prior, "non-saturating")
    encoder_loss = posterior.kl().sum() / len(real) + llike
    decoder_loss = trainer.options.gamma * llike + loss_gan
    expected = (*torch.autograd.grad(encoder_loss, trainer.encoder_params, retain_graph=True),
                *torch.autograd.grad(decoder_loss, trainer.decoder_params, retain_graph=True))
    losses = trainer.autoencoder_step(real, posterior, recon, prior)
    assert losses["llike"] == pytest.approx(llike.item(), rel=1e-5)
    assert losses["loss_g"] == pytest.approx(loss_gan.item(), rel=1e-5)
    for param, grad in zip(trainer.encoder_params + trainer.decoder_params, expected, strict=True):
        torch.testing.assert_close(param.grad, grad, rtol=1e-4, atol=1e-6)


@torch.no_grad()
def _gap_between_training_and_decoding(tmp_path, digits, joint: bool) -> float:
    """Mean pixel gap between a VAE-GAN step's reconstructions as training normalized them and
    as decoding after the step gives them, for codes far off the prior (the posterior means moved
    by 3): with every optimizer at rate 0, only the batch-norm statistics differ."""
    trainer = _trainer(tmp_path, "vae-gan", digits, VAEGANOptions(joint_decoder_batch=joint))
    trainer.model.to_stats.bias[:trainer.model.latent_dim] += 3.0
    for optimizer in trainer.optimizers().values():
        for group in optimizer.param_groups:
            group["lr"] = 0.0
    for layer in trainer.model.generator.modules():
        if isinstance(layer, nn.BatchNorm2d):
            layer.momentum = 1.0  # the running statistics are the last pass's
    passes = []
    trainer.model.generator.register_forward_hook(lambda _, args, out: passes.append((args[0], out)))
    batch = digits.images[:128]
    with torch.enable_grad():
        trainer.train_step(batch)
    codes, trained = passes[0][0][:len(batch)], passes[0][1][:len(batch)]
    assert len(passes) == (1 if joint else 2)
    decoded = trainer.model.generator.eval()(codes)
    return (decoded - trained).abs().mean().item()


def test_vae_gan_joint_decoder_batch_trains_with_the_statistics_decoding_keeps(tmp_path, digits):
    joint = _gap_between_training_and_decoding(tmp_path, digits, joint=True)
    apart = _gap_between_training_and_decoding(tmp_path, digits, joint=False)
    assert joint < 1e-3 and apart > 20 * joint, (joint, apart)


# --- every family trains -----------------------------------------------------------------------------

def _decoder_copy(model):
    return [p.detach().clone() for layer in model.decoder_layers() for p in layer.parameters()]


@pytest.mark.parametrize("case", sorted(TRAINING_CASES))
def test_training_steps_keep_losses_finite_and_move_the_decoder(tmp_path, case, digits):
    trainer = _trainer(tmp_path, case, digits)
    before = _decoder_copy(trainer.model)
    for step in range(8):
        losses = trainer.train_step(digits.images[(step * 32) % 256:(step * 32) % 256 + 32])
        trainer.steps += 1
        assert losses and all(math.isfinite(v) for v in losses.values()), losses
    assert any(not torch.equal(a, b) for a, b in zip(before, _decoder_copy(trainer.model), strict=True))


# --- the command line -----------------------------------------------------------------------------------

def _train(tmp_path, preset, *extra, name="m"):
    out = tmp_path / f"{name}.safetensors"
    main(["--model", preset, "--dataset", "digits", "--dry-run", "--latent-dim", "3", "--out", str(out),
          "--run-dir", str(tmp_path / f"run-{name}"), *extra])
    return load_model(out).card


def test_the_divergence_is_recorded_and_refused_elsewhere(tmp_path):
    options = _train(tmp_path, "f-gan", "--divergence", "pearson").training.options
    assert options == {"divergence": "pearson"}
    with pytest.raises(SystemExit, match="--divergence does not apply"):
        _train(tmp_path, "dcgan", "--divergence", "kl")


def test_the_generator_average_is_on_by_default_only_for_gans(tmp_path):
    defaults = {preset: _train(tmp_path, preset, name=preset).training.record["ema_decay"]
                for preset in ("ebgan", "f-gan", "vae-gan", "aae")}
    assert defaults == {"ebgan": 0.999, "f-gan": 0.999, "vae-gan": None, "aae": None}
    assert _train(tmp_path, "vae-gan", "--ema-decay", "0.9", name="avg").training.record["ema_decay"] == 0.9
    with pytest.raises(SystemExit, match="needs a generator"):
        _train(tmp_path, "aae", "--ema-decay", "0.9", name="refused")


def test_encoder_models_without_a_likelihood_record_their_reconstruction_error(tmp_path):
    metrics = _train(tmp_path, "aae").metrics
    assert set(metrics) == {"test_reconstruction_mse"} and 0 < metrics["test_reconstruction_mse"] < 1
