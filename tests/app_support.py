"""Helpers for the app tests: a checkpoint folder of tiny models and AppTest runs of its pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gen_core.files.checkpoint import save_model
from tests.conftest import tiny_model
from ui.catalog import CHECKPOINTS_ENV
from ui.page_table import PAGES

ROOT = Path(__file__).resolve().parents[1]
VAE, CONV_VAE, GAN, BROKEN, INFOGAN = "a-vae", "b-conv-vae", "c-gan", "d-broken", "e-infogan"
RUN_TIMEOUT_S = 120
# Explore with its "Live" toggle off: the server decodes, so AppTest can read the pictures.
SERVER_DECODING = {"live_decoding": False}


def write_model_dir(folder: Path) -> Path:
    """Tiny 8x8 models on sklearn's digits (no data root needed) plus one corrupt file."""
    folder.mkdir(parents=True, exist_ok=True)
    metrics = {"bce_elbo_nats": 31.5, "likelihood_images": 64}
    save_model(tiny_model("vae", 0), folder / f"{VAE}.safetensors", dataset={"name": "digits"},
               metrics=metrics, training={"epochs": 3})
    save_model(tiny_model("vae", 1), folder / f"{CONV_VAE}.safetensors", dataset={"name": "digits"},
               metrics={"bce_elbo_nats": 40.25, "precision": 0.5})
    save_model(tiny_model("dcgan", 0), folder / f"{GAN}.safetensors", dataset={"name": "digits"})
    (folder / f"{BROKEN}.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    # An InfoGAN whose category values were measured (value 1 draws a 0), as gen_core.eval.evaluate does.
    categories = {"category_majority_class": [3, 0, 1, 2, 4, 5, 6, 7, 8, 9],
                  "category_agreement": [0.9] * 10, "categories_matched": 10}
    save_model(tiny_model("infogan"), folder / f"{INFOGAN}.safetensors",
               dataset={"name": "digits", "class_names": [str(i) for i in range(10)]}, metrics=categories)
    return folder


@pytest.fixture(scope="session")
def shared_model_dir(tmp_path_factory) -> Path:
    return write_model_dir(tmp_path_factory.mktemp("checkpoints"))


@pytest.fixture
def checkpoint_env(shared_model_dir, monkeypatch) -> Path:
    """Point the app at the tiny models (use with ``pytest.mark.usefixtures``)."""
    monkeypatch.setenv(CHECKPOINTS_ENV, str(shared_model_dir))
    return shared_model_dir


def open_page(page: str, query: dict[str, str] | None = None, state: dict | None = None) -> AppTest:
    """Run one page once, with an optional opened link (``query``) and preset session state."""
    # Every page starts from app.py, as under `streamlit run`, so page links resolve from the root.
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=RUN_TIMEOUT_S)
    if page != "home":
        at.switch_page(PAGES[page])
    for key, value in (query or {}).items():
        at.query_params[key] = value
    for key, value in (state or {}).items():
        at.session_state[key] = value
    return at.run()


def image_urls(at: AppTest) -> list[str]:
    """Media URLs of the images on the page; the name is a hash of the picture's bytes."""
    return [img.proto.imgs[0].url for img in at.image]


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error if "went wrong" in e.value]


def shown(markdown: str) -> str:
    """What a viewer reads of Markdown the app escaped with ``ui.text.plain``: backslash escapes
    resolved, as the browser renders them."""
    return re.sub(r"\\(.)", r"\1", markdown)
