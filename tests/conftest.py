"""Shared fixtures: tiny models of every family on 8x8 images (and of the conv families on 64x64
colour ones), and their checkpoints."""

from __future__ import annotations

import dataclasses
import functools
import os

import pytest
import torch
from streamlit.components.v2 import manifest_scanner

from gen_core.files.checkpoint import save_model
from gen_core.models import FAMILIES, GenerativeModel, build_model
from gen_core.models.aae import AAEConfig
from gen_core.models.dcgan import DCGANConfig
from gen_core.models.foreign import ForeignConfig, ForeignVAEConfig
from gen_core.models.infogan import InfoGANConfig
from gen_core.models.mode_regularized import ModeRegularizedGANConfig
from gen_core.models.vae import VAEConfig
from gen_core.models.vae_gan import VAEGANConfig
from tests import background_runs

# One torch thread in this process and (unless set otherwise) in the processes tests start: the
# test models are tiny, and two threads contending on a busy 2-core machine made their steps 3 to
# 40 times slower (tests/test_models.py: 45 s with two threads, 3.5 s with one).
os.environ.setdefault("OMP_NUM_THREADS", "1")
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Again before every test, as a library may reset it (importing umap set two threads again)."""
    torch.set_num_threads(1)


def pytest_collection_modifyitems(items):
    background_runs.late_tests_last(items)


def pytest_collection_finish(session):
    background_runs.start_collected(session)


def pytest_runtest_setup(item):
    background_runs.start_late(item)


def pytest_sessionfinish(session):
    background_runs.stop_all(session.config)


@pytest.fixture(autouse=True, scope="session")
def components_scanned_once():
    """Streamlit's scan of every installed package for component manifests, once per session:
    ``AppTest`` scans on each new test app (about 0.2 s of its 0.24 s run of a page here, over
    hundreds of page runs), and the installed packages cannot change while the tests run."""
    scanned = functools.cache(manifest_scanner.scan_component_manifests)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(manifest_scanner, "scan_component_manifests", lambda: list(scanned()))
        yield


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
    "ebgan": [DCGANConfig(latent_dim=4, ngf=4, ndf=4, image_shape=TINY_SHAPE)],
    "f-gan": [DCGANConfig(latent_dim=4, ngf=4, ndf=4, image_shape=TINY_SHAPE)],
    "vae-gan": [VAEGANConfig(latent_dim=4, encoder_hidden=(4, 8, 16), ngf=4, ndf=4, image_shape=TINY_SHAPE)],
    "mode-regularized": [ModeRegularizedGANConfig(latent_dim=4, ngf=4, ndf=4, nef=4, image_shape=TINY_SHAPE)],
    "foreign": [ForeignConfig(arch="tiny-mlp-gan", latent_dim=4, image_shape=TINY_SHAPE,
                              decoder=("linear 4 16", "batch_norm1d 16 eps=0.8", "leaky_relu 0.2",
                                       "linear 16 64", "tanh", "unflatten 1 8 8"))],
    "foreign-vae": [ForeignVAEConfig(arch="tiny-mlp-vae", latent_dim=4, image_shape=TINY_SHAPE,
                                     encoder=("flatten", "linear 64 16", "relu"),
                                     decoder=("linear 4 16", "relu", "linear 16 64", "sigmoid",
                                              "unflatten 1 8 8"))],
    "aae": [AAEConfig(latent_dim=4, hidden=(4, 8, 16), discriminator_width=16, image_shape=TINY_SHAPE),
            AAEConfig(latent_dim=4, hidden=(4, 8, 16), posterior="gaussian", prior="uniform",
                      discriminator_width=16, image_shape=TINY_SHAPE)],
}


def tiny_models() -> list[tuple[str, object]]:
    return [(family, cfg) for family in sorted(FAMILIES) for cfg in TINY_CONFIGS.get(family, [])]


COLOUR_SHAPE = (3, 64, 64)  # as the emoji pictures: three stride-2 stages to an 8x8 base


def tiny_colour_models() -> list:
    """``tiny_models`` of the conv nets (no MLP, no foreign layer list) made for ``COLOUR_SHAPE``,
    as ``pytest.param(family, config)``."""
    return [pytest.param(family, dataclasses.replace(cfg, image_shape=COLOUR_SHAPE), id=f"{family}-64x64x3")
            for family, cfg in tiny_models()
            if not family.startswith("foreign") and getattr(cfg, "arch", "conv") == "conv"]


def tiny_model(family: str = "vae", index: int = 0, seed: int = 0) -> GenerativeModel:
    torch.manual_seed(seed)
    return build_model(family, TINY_CONFIGS[family][index]).eval()


@pytest.fixture
def tiny_vae() -> GenerativeModel:
    return tiny_model("vae")


@pytest.fixture
def vae_file(tmp_path, tiny_vae):
    return save_model(tiny_vae, tmp_path / "tiny-vae.safetensors", dataset={"name": "digits"})


@pytest.fixture(scope="session")
def digits_classifier_file(tmp_path_factory):
    """A dataset classifier trained on the 8x8 digits (about 97% test accuracy), saved once."""
    from gen_core.data import load_dataset
    from gen_core.eval.classifier import save_classifier, train_classifier

    train, test = load_dataset("digits", train=True), load_dataset("digits", train=False)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small convolutions run several times slower when threads contend
    try:
        model, history = train_classifier(train, test, epochs=8, batch_size=64, seed=0, channels=(8, 16, 32))
    finally:
        torch.set_num_threads(threads)
    path = tmp_path_factory.mktemp("classifier") / "digits-classifier.safetensors"
    return save_classifier(model, path, dataset="digits", test_accuracy=history[-1]["test_accuracy"])
