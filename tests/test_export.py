"""The portable decoder: every family exports, and running its layers reproduces ``decode``."""

import numpy as np
import pytest
import torch
from torch import nn

from gen_core.media.browser_decoder import ExportError, export_decoder
from gen_core.models import build_model
from tests.conftest import tiny_colour_models, tiny_model, tiny_models
from tests.decoder_export import read_export, run_export


def _trained_statistics(model):
    """Batch-norm statistics and scales that are not the identity, so folding is really tested."""
    gen = torch.Generator().manual_seed(1)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.copy_(torch.randn(module.num_features, generator=gen))
            module.running_var.copy_(torch.rand(module.num_features, generator=gen) + 0.5)
            module.weight.data.copy_(torch.rand(module.num_features, generator=gen) + 0.5)
            module.bias.data.copy_(torch.randn(module.num_features, generator=gen))
    return model


@pytest.mark.parametrize(("family", "config"), tiny_models() + tiny_colour_models(),
                         ids=lambda v: str(getattr(v, "arch", v)))
def test_exported_layers_reproduce_decode(family, config):
    torch.manual_seed(0)
    model = _trained_statistics(build_model(family, config)).eval()
    z = model.sample_latent(6, torch.Generator().manual_seed(2))
    data = export_decoder(model)
    header = read_export(data)[0]
    assert header["latent_dim"] == model.latent_dim and header["image_shape"] == list(model.image_shape)
    assert not any(op["op"] == "channel_affine" for op in header["layers"])  # every batch norm folded
    with torch.no_grad():
        assert (run_export(data, z) - model.decode(z)).abs().max().item() < 1e-5


def test_export_leaves_the_model_in_its_mode_and_weights():
    model = tiny_model("dcgan").train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    export_decoder(model)
    assert model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_weights_are_float32_and_aligned():
    data = export_decoder(tiny_model("vae", 1))
    header, weights = read_export(data)
    assert weights.dtype == np.dtype("<f4")
    assert (len(data) - weights.nbytes) % 4 == 0
    last = max(r[0] + r[1] for op in header["layers"] for r in (op.get("weight"), op.get("bias")) if r)
    assert last == weights.size


def test_a_layer_the_browser_cannot_run_is_named():
    model = tiny_model("vae", 1)
    model.decoder[1] = nn.GELU()
    with pytest.raises(ExportError, match="GELU"):
        export_decoder(model)
