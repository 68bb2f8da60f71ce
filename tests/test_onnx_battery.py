"""Tiny decoders written the way well-known public code writes them, exported by torch's ONNX
exporter, rebuilt by ``gen_core.files.onnx_graph`` and compared with the torch original."""

from __future__ import annotations

import pytest
import torch

from bench.onnx_battery import (
    BATTERY,
    Conditional,
    dynamo_error,
    export_bytes,
    largest_error,
    randomized,
)
from gen_core.files.checkpoint import load_model_bytes
from gen_core.media.browser_decoder import ExportError, export_decoder


@pytest.mark.parametrize("name", list(BATTERY))
@pytest.mark.parametrize("opset", [11, 17])
def test_a_public_decoder_exports_loads_and_decodes_as_the_original(name, opset):
    _, error, model = largest_error(name, opset)
    assert error <= 1e-4
    if name in ("examples-dcgan", "tutorial-dcgan", "pytorch-gan-dcgan", "nhwc-output"):
        assert model.output_range == (-1.0, 1.0) and model.card.output_range_source == "graph: Tanh"
    if name == "no-activation":
        assert model.card.output_range_source.startswith("sampled: 64 outputs")


# torch's default exporter takes about 0.8 s a decoder here: the whole battery goes through it in
# bench.onnx_battery (docs/file-formats.md), these four in the tests. They cover a [B, D, 1, 1]
# latent, a residual GroupNorm + SiLU block with Resize, Softplus (exported with Greater and
# Where) and channels last.
DYNAMO_CASES = ["examples-dcgan", "diffusers-block", "softplus-clip", "nhwc-output"]


@pytest.mark.parametrize("name", DYNAMO_CASES)
def test_torchs_default_exporter_with_its_data_file_loads_and_decodes_as_the_original(name, tmp_path):
    error, model = dynamo_error(name, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{name}.onnx", f"{name}.onnx.data"]
    assert error <= 1e-4
    assert model.card.output_range_source  # the range came from the graph or from samples, and says which


def test_a_tanh_decoder_is_never_shown_as_unit_range():
    module = randomized(BATTERY["examples-dcgan"][0])
    model = load_model_bytes(export_bytes(module, (torch.randn(2, 4, 1, 1),), ["z"]), "g.onnx")
    z = torch.randn(64, 4, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        raw, shown = module(z.reshape(64, 4, 1, 1)), model.decode(z)
    assert raw.min() < -0.1  # half the raw values are negative: a [0, 1] clamp would blacken them
    assert torch.allclose(shown, (raw + 1) / 2, atol=1e-5)


def test_the_file_property_overrides_the_graphs_range():
    module = randomized(BATTERY["no-activation"][0])
    data = export_bytes(module, (torch.randn(2, 4),), ["z"], **{"latent_atlas.output_range": "[-2, 2]"})
    model = load_model_bytes(data, "g.onnx")
    assert model.output_range == (-2.0, 2.0) and model.card.output_range_source == "file property"


@pytest.mark.parametrize("one_hot", [False, True])
def test_a_conditional_generator_gets_a_categorical_latent(one_hot):
    module = Conditional(one_hot=one_hot).eval()
    label = torch.eye(3)[[0, 2]] if one_hot else torch.tensor([0, 2])
    names = ["noise", "one_hot_labels" if one_hot else "labels"]
    data = export_bytes(
        module, (torch.randn(2, 4), label), names, **{"latent_atlas.class_names": '["cat", "dog", "owl"]'}
    )
    model = load_model_bytes(data, "cgan.onnx")
    category = model.latent_spec[-1]
    assert (
        model.latent_dim == 5 and category.kind == "categorical" and category.classes == ("cat", "dog", "owl")
    )
    assert model.card.class_names == ("cat", "dog", "owl")
    z = torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    labels = torch.tensor([2, 0, 1])
    with torch.no_grad():
        expected = module(z, torch.eye(3)[labels] if one_hot else labels)
        got = model.decode(torch.cat([z, labels[:, None].float()], dim=1))
    assert (got - (expected + 1) / 2).abs().max() <= 1e-4
    with pytest.raises(ExportError, match="second input"):
        export_decoder(model)


def test_gradients_reach_the_latent_through_a_residual_graph():
    module = randomized(BATTERY["diffusers-block"][0])
    model = load_model_bytes(export_bytes(module, (torch.randn(2, 4),), ["z"]), "d.onnx")
    z = torch.randn(2, 4, requires_grad=True)
    model.decode(z).sum().backward()
    assert z.grad is not None and z.grad.abs().sum() > 0


def test_only_chains_of_compact_layers_run_in_the_compact_runtime():  # the rest: ONNX Runtime Web
    chain = load_model_bytes(
        export_bytes(randomized(BATTERY["examples-dcgan"][0]), (torch.randn(2, 4, 1, 1),), ["z"]), "c.onnx"
    )
    assert export_decoder(chain)
    residual = load_model_bytes(
        export_bytes(randomized(BATTERY["diffusers-block"][0]), (torch.randn(2, 4),), ["z"]), "r.onnx"
    )
    with pytest.raises(ExportError, match="browser runtime has no layer for Conv"):
        export_decoder(residual)
