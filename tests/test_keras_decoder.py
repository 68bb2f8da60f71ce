"""Decoders from Keras 3 (the torch backend's ONNX export): they load, read NHWC pictures in the
right range from the graph, and decode as Keras predicts."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gen_core.files.checkpoint import load_model_bytes
from tests import background_runs


@pytest.fixture(scope="module")
def exported(request):
    """The folder ``python -m tests.keras_decoder`` exported into (started at collection)."""
    return background_runs.output(request.config, background_runs.KERAS_EXPORT, timeout_s=300)


@pytest.mark.parametrize(("name", "shape", "source"), [("keras-vae-decoder", (1, 16, 16), "graph: Sigmoid"),
                                                       ("keras-dcgan", (3, 16, 16), "graph: Tanh")])
def test_a_keras_decoder_decodes_as_keras_predicts(exported, name, shape, source):
    model = load_model_bytes((exported / f"{name}.onnx").read_bytes(), f"{name}.onnx")
    assert model.image_shape == shape and model.card.output_range_source == source
    reference = np.load(exported / f"{name}.npz")
    low, high = model.output_range
    expected = (torch.from_numpy(reference["images"]).permute(0, 3, 1, 2) - low) / (high - low)
    with torch.no_grad():
        decoded = model.decode(torch.from_numpy(reference["z"]))
    assert (decoded - expected).abs().max() <= 1e-4
