"""The page's ONNX decoder (``gen_core.media.onnx_decoder``) against torch, and the engine choice."""

from __future__ import annotations

import onnxruntime
import pytest
import torch

from gen_core.files.checkpoint import load_model_bytes
from gen_core.media.browser_decoder import export_decoder, multiply_adds
from gen_core.media.onnx_decoder import INPUT, OUTPUT, export_onnx_decoder
from gen_core.models import build_model
from tests.conftest import tiny_colour_models, tiny_model, tiny_models
from tests.test_onnx_battery import BATTERY, Conditional, export_bytes, randomized
from ui import decode_path


def onnx_max_difference(model) -> float:
    session = onnxruntime.InferenceSession(export_onnx_decoder(model))
    latents = model.sample_latent(3, torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = model.decode(latents).numpy()
    (got,) = session.run([OUTPUT], {INPUT: latents.numpy()})
    assert got.shape == expected.shape
    return float(abs(got - expected).max())


@pytest.mark.parametrize("family", sorted({family for family, _ in tiny_models()}))
def test_every_family_exports_the_decode_the_server_runs(family):
    assert onnx_max_difference(tiny_model(family)) <= 1e-5


@pytest.mark.parametrize(("family", "config"), tiny_colour_models())
def test_every_conv_family_at_64x64_colour_exports_its_three_stages(family, config):
    torch.manual_seed(0)
    assert onnx_max_difference(build_model(family, config).eval()) <= 1e-5


@pytest.mark.parametrize("name", ["diffusers-block", "acgan-bilinear", "elu-selu", "nhwc-output"])
def test_graphs_the_compact_runtime_cannot_run_export(name):
    module, shape = BATTERY[name]
    model = load_model_bytes(export_bytes(randomized(module), (torch.randn(2, *shape),), ["z"]), "g.onnx")
    assert onnx_max_difference(model) <= 1e-5


def test_a_conditional_graph_takes_its_class_as_the_last_latent_column():
    data = export_bytes(Conditional(one_hot=True).eval(), (torch.randn(2, 4), torch.eye(3)[[0, 2]]),
                        ["noise", "one_hot_labels"])
    assert onnx_max_difference(load_model_bytes(data, "cgan.onnx")) <= 1e-5


def test_small_chains_stay_compact_and_larger_ones_go_to_onnx(monkeypatch):
    model = tiny_model("dcgan")
    cost = multiply_adds(export_decoder(model))
    assert cost > 0
    assert decode_path.page_decoder(model)[1] == ".bin"
    monkeypatch.setattr(decode_path, "COMPACT_MAX_MULTIPLY_ADDS", cost - 1)
    data, suffix = decode_path.page_decoder(model)
    assert suffix == ".onnx" and data == export_onnx_decoder(model)
