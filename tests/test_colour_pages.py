"""Colour and larger pictures on every page: a 32×32 RGB VAE mapping an operator-named image folder
and a 64×64 RGB DCGAN, both active on each page."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from gen_core.data import IMAGE_FOLDERS_ENV
from gen_core.files.checkpoint import save_model
from gen_core.models import build_model
from gen_core.models.dcgan import DCGANConfig
from gen_core.models.vae import VAEConfig
from tests.app_support import assert_clean, open_page
from ui.catalog import CHECKPOINTS_ENV
from ui.page_table import PAGES

VAE, GAN = "rgb-vae", "rgb-gan"


@pytest.fixture
def colour_folder(tmp_path, monkeypatch):
    swatches = tmp_path / "swatches"
    for name, colour in (("red", (220, 30, 30)), ("blue", (30, 60, 220))):
        (swatches / name).mkdir(parents=True)
        for i in range(6):
            picture = np.full((40, 40, 3), colour, np.uint8)
            picture[5 + i:20 + i, 10:30] = 255  # a white mark, so pictures differ
            Image.fromarray(picture).save(swatches / name / f"{i}.png")
    models = tmp_path / "checkpoints"
    dataset = {"name": "swatches", "class_names": ["blue", "red"]}
    vae = VAEConfig(arch="conv", latent_dim=4, hidden=(4, 8, 16), image_shape=(3, 32, 32))
    save_model(build_model("vae", vae), models / f"{VAE}.safetensors", dataset=dataset)
    save_model(build_model("dcgan", DCGANConfig(latent_dim=4, ngf=4, ndf=4, image_shape=(3, 64, 64))),
               models / f"{GAN}.safetensors", dataset=dataset)
    monkeypatch.setenv(CHECKPOINTS_ENV, str(models))
    monkeypatch.setenv(IMAGE_FOLDERS_ENV, f"swatches={swatches}")
    return models


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_page_shows_colour_models_of_two_sizes(colour_folder, page):
    at = open_page(page, query={"model": f"{VAE},{GAN}"}, state={"live_decoding": False})
    assert_clean(at)
    assert not at.error, [e.value for e in at.error]
    if page in ("home", "explore", "interpolate", "compare"):
        assert at.image, page  # pictures drawn
