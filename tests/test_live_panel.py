"""Explore's live panel through AppTest: what the browser is sent, and the server fallback."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from gen_core.cache import content_hash
from gen_core.files.checkpoint import load_model, save_model
from gen_core.media.browser_decoder import export_decoder
from gen_core.models import vae
from gen_core.models.registry import FAMILIES, register
from tests.app_support import VAE, assert_clean, open_page, shown, write_model_dir
from ui.catalog import CHECKPOINTS_ENV
from ui.decode_path import STATIC_DECODERS, STATIC_URL_PREFIX


def component_data(at, name: str) -> dict:
    found = [e for e in at.get("bidi_component") if e.proto.id and name in str(e.key)]
    assert found, f"no {name} component on the page"
    return json.loads(found[0].proto.json)


@pytest.fixture
def models(tmp_path, monkeypatch):
    folder = write_model_dir(tmp_path / "models")
    monkeypatch.setenv(CHECKPOINTS_ENV, str(folder))
    return folder


def test_explore_sends_the_panel_its_decoder_latent_and_kl_ordered_controls(models):
    at = open_page("explore", state={"active_models": [VAE]})
    assert_clean(at)
    panel = component_data(at, "live_panel")
    path = models / f"{VAE}.safetensors"
    assert panel["decoder_url"] == f"{STATIC_URL_PREFIX}decoders/{content_hash(path)}.bin"  # by content
    served = STATIC_DECODERS.parent / panel["decoder_url"].removeprefix(STATIC_URL_PREFIX)
    assert served.read_bytes() == export_decoder(load_model(path))
    kl = [float(s["label"].split("KL ")[1]) for s in panel["spec"]]
    ordered = [kl[i] for i in panel["active"] + panel["inactive"]]
    assert ordered == sorted(ordered, reverse=True)
    assert panel["z"] == at.session_state["views"][VAE].z and panel["version"] >= 1
    traversal = component_data(at, "live_traversal")
    assert traversal["dims"] == panel["active"][:3] and len(traversal["values"]) == len(traversal["dims"])


class _Expm1(nn.Module):
    """A layer neither page engine has: not in the compact runtime, and torch exports no ONNX for it."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.expm1(z)


class _GELUVAE(vae.VAE):
    """A VAE whose decoder starts with a layer the compact runtime does not have (ONNX runs it)."""

    family = "test-gelu-vae"
    first_layer = nn.GELU

    def decoder_layers(self) -> list[nn.Module]:
        return [self.first_layer(), *super().decoder_layers()]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return nn.Sequential(*self.decoder_layers())(z)


class _Expm1VAE(_GELUVAE):
    family = "test-expm1-vae"
    first_layer = _Expm1


def _saved(family: type[vae.VAE], folder, monkeypatch) -> str:
    register(family)
    torch.manual_seed(0)
    model = family(vae.VAEConfig(latent_dim=3, hidden=(16, 8), image_shape=(1, 8, 8)))
    stem = family.first_layer.__name__.lower()
    save_model(model, folder / f"{stem}.safetensors", dataset={"name": "digits"})
    monkeypatch.setenv(CHECKPOINTS_ENV, str(folder))
    return stem


@pytest.fixture
def unsupported_model(tmp_path, monkeypatch):
    yield _saved(_Expm1VAE, tmp_path / "unsupported", monkeypatch)
    del FAMILIES[_Expm1VAE.family]


@pytest.fixture
def onnx_only_model(tmp_path, monkeypatch):
    yield _saved(_GELUVAE, tmp_path / "onnx-only", monkeypatch)
    del FAMILIES[_GELUVAE.family]


def test_a_graph_the_compact_runtime_lacks_runs_in_onnx_runtime(onnx_only_model):
    at = open_page("explore", state={"active_models": [onnx_only_model]})
    assert_clean(at)
    panel = component_data(at, "live_panel")
    assert panel["decoder_url"].endswith(".onnx") and not at.info


def test_a_model_the_browser_cannot_run_is_decoded_on_the_server_with_a_note(unsupported_model):
    at = open_page("explore", state={"active_models": [unsupported_model]})
    assert_clean(at)
    assert any("cannot run in the browser" in i.value and "expm1" in shown(i.value) for i in at.info)
    assert not [e for e in at.get("bidi_component") if "live_panel" in str(e.key)]
    assert at.toggle(key="live_decoding").proto.disabled
    before = at.image[0].proto.imgs[0].url
    at.slider[0].set_value(at.slider[0].max).run()
    assert at.image[0].proto.imgs[0].url != before
