"""Every registered family: shapes, value ranges, determinism, and its training signal."""

import dataclasses

import pytest
import torch

from gen_core.data import load_dataset
from gen_core.models import FAMILIES, build_model
from gen_core.models.posterior import standard_normal
from gen_core.models.registry import register
from gen_core.models.vae import VAE, VAEConfig
from tests.conftest import TINY_CONFIGS, TINY_SHAPE, tiny_model, tiny_models


def test_every_registered_family_has_a_tiny_config():
    assert set(FAMILIES) <= set(TINY_CONFIGS)


@pytest.mark.parametrize(("family", "config"), tiny_models(), ids=lambda v: getattr(v, "arch", str(v)))
def test_decode_and_sample_shapes_and_range(family, config):
    model = build_model(family, config).eval()
    assert model.image_shape == TINY_SHAPE
    z = model.sample_latent(5, torch.Generator().manual_seed(1))
    assert z.shape == (5, len(model.latent_spec))
    images = model.decode(z)
    assert images.shape == (5, *TINY_SHAPE) and images.dtype == torch.float32
    assert images.min() >= 0 and images.max() <= 1
    again = model.sample(5, torch.Generator().manual_seed(1))
    torch.testing.assert_close(model.sample(5, torch.Generator().manual_seed(1)), again)
    assert not torch.equal(model.sample(5, torch.Generator().manual_seed(2)), again)


@pytest.mark.parametrize("index", range(len(TINY_CONFIGS["vae"])))
def test_vae_encode_shapes(index):
    model = tiny_model("vae", index)
    posterior = model.encode(torch.rand(3, *TINY_SHAPE))
    mu, logvar = posterior.mean, posterior.logvar
    assert mu.shape == logvar.shape == (3, 4)


def test_vae_loss_terms_are_consistent():
    model = build_model("vae", dataclasses.replace(TINY_CONFIGS["vae"][0], beta=4.0))
    terms = model.loss(torch.rand(6, *TINY_SHAPE))
    assert terms["kl"] >= 0 and terms["bce"] > 0
    torch.testing.assert_close(terms["neg_elbo"], terms["bce"] + terms["kl"])
    torch.testing.assert_close(terms["loss"], terms["bce"] + 4.0 * terms["kl"])


@pytest.mark.parametrize("index", range(len(TINY_CONFIGS["vae"])))
def test_elbo_improves_over_dozens_of_steps(index):
    data = load_dataset("digits", train=True).images[:256]
    model = tiny_model("vae", index).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    torch.manual_seed(0)
    first = model.loss(data)["neg_elbo"].item()
    for step in range(60):
        batch = data[(step * 64) % 256:(step * 64) % 256 + 64]
        optimizer.zero_grad()
        model.loss(batch)["loss"].backward()
        optimizer.step()
    assert model.loss(data)["neg_elbo"].item() < 0.9 * first


def test_config_typo_is_an_error():
    with pytest.raises(ValueError, match="latent_dimm"):
        build_model("vae", {"arch": "mlp", "latent_dimm": 3})


def test_invalid_config_values_are_refused():
    with pytest.raises(ValueError, match="arch"):
        VAEConfig(arch="transformer")
    with pytest.raises(ValueError, match="divisible by 4"):
        VAEConfig(arch="conv", image_shape=(1, 10, 10))


def test_registering_a_family_twice_is_an_error():
    with pytest.raises(ValueError, match="registered twice"):
        register(type("AnotherVAE", (VAE,), {}))


def test_unknown_family_names_the_known_ones():
    with pytest.raises(KeyError, match="dcgan"):
        build_model("diffusion", {})


def test_titles_name_the_kind_of_model_and_a_vaes_beta():
    assert tiny_model("wgan-gp").title == "WGAN-GP" and tiny_model("infogan").title == "InfoGAN"
    assert all(tiny_model(family).title for family in FAMILIES)
    assert tiny_model("vae").title == "VAE"
    beta = VAE(dataclasses.replace(TINY_CONFIGS["vae"][0], beta=4.0))
    assert beta.title == "β-VAE (β=4)"


def test_seeded_evaluation_noise_is_the_generators_stream_in_the_tensors_dtype():
    like = torch.zeros(2, dtype=torch.float64)
    drawn = standard_normal((3, 4), torch.Generator().manual_seed(5), like)
    assert drawn.dtype == torch.float64 and drawn.device == like.device
    expected = torch.randn(3, 4, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    assert torch.equal(drawn, expected)
    torch.manual_seed(9)
    unseeded = standard_normal((3, 4), None, like)
    torch.manual_seed(9)
    assert torch.equal(unseeded, torch.randn(3, 4, dtype=torch.float64))
