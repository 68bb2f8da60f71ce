"""Shared fixtures: tiny models of every family on 8x8 images, and their checkpoints."""

from __future__ import annotations

import pytest
import torch

from gen_core.checkpoint import save_model
from gen_core.models import FAMILIES, GenerativeModel, build_model
from gen_core.models.dcgan import DCGANConfig
from gen_core.models.infogan import InfoGANConfig
from gen_core.models.vae import VAEConfig

TINY_SHAPE = (1, 8, 8)

# One or more tiny configs per registered family; test_models checks that none is missing.
TINY_CONFIGS: dict[str, list] = {
    "vae": [VAEConfig(arch="mlp", latent_dim=4, hidden=(32, 16), image_shape=TINY_SHAPE),
            VAEConfig(arch="conv", latent_dim=4, hidden=(4, 8, 16), image_shape=TINY_SHAPE)],
    "dcgan": [DCGANConfig(latent_dim=4, ngf=4, ndf=4, image_shape=TINY_SHAPE)],
    "wgan": [DCGANConfig(latent_dim=4, ngf=4, ndf=4, image_shape=TINY_SHAPE)],
    "wgan-gp": [DCGANConfig(latent_dim=4, ngf=4, ndf=4, image_shape=TINY_SHAPE)],
    "sngan": [DCGANConfig(latent_dim=4, ngf=4, ndf=4, image_shape=TINY_SHAPE)],
    "infogan": [InfoGANConfig(latent_dim=5, categories=10, continuous_codes=2, ngf=4, ndf=4,
                              image_shape=TINY_SHAPE)],
}


def tiny_models() -> list[tuple[str, object]]:
    return [(family, cfg) for family in sorted(FAMILIES) for cfg in TINY_CONFIGS.get(family, [])]


def tiny_model(family: str = "vae", index: int = 0, seed: int = 0) -> GenerativeModel:
    torch.manual_seed(seed)
    return build_model(family, TINY_CONFIGS[family][index]).eval()


@pytest.fixture
def tiny_vae() -> GenerativeModel:
    return tiny_model("vae")


@pytest.fixture
def vae_file(tmp_path, tiny_vae):
    return save_model(tiny_vae, tmp_path / "tiny-vae.safetensors", dataset={"name": "digits"})
