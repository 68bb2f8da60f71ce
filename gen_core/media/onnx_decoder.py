"""A model's decode as an ONNX graph, for ONNX Runtime Web in the page (``static/ort/``).

The compact format of ``gen_core.media.browser_decoder`` runs chains of seven layer kinds; this
one runs anything the server can decode, at WebAssembly SIMD speed: convolutions, resizes, group
norm, residual graphs, conditional inputs. The graph is traced from ``model.decode`` itself, so
it holds what the server does around the network (the class column turned into a one-hot input,
the picture's layout, the output range mapped to [0, 1]) and the page needs no per-model code.

An uploaded ONNX file is exported again from the graph the server rebuilt and checked, not
served as it came: the page then runs exactly what the server decodes, with one input and one
output, and never the file's external data or metadata.

The graph: input ``z`` ``[B, D]`` float32, output ``image`` ``[B, C, H, W]`` in [0, 1]; ``B`` is
free so a page may decode a grid in one run.
"""

from __future__ import annotations

import io
import warnings

import torch
from torch import nn

from gen_core.media.browser_decoder import ExportError
from gen_core.models import GenerativeModel

INPUT, OUTPUT = "z", "image"
OPSET = 17  # every operator torch exports at this opset is in ONNX Runtime Web's WebAssembly build


class _Decode(nn.Module):
    """``model.decode`` as a module, so the exporter traces exactly what the server runs."""

    def __init__(self, model: GenerativeModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.model.decode(z)


def export_onnx_decoder(model: GenerativeModel) -> bytes:
    """``model.decode`` (``z`` ``[B, D]`` -> pictures ``[B, C, H, W]`` in [0, 1]) as ONNX bytes.

    Raises ``ExportError`` when the exporter cannot trace it; the message says what stopped it.
    """
    was_training = model.training
    model.eval()
    buffer = io.BytesIO()
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on constants; tests check the graph
            torch.onnx.export(_Decode(model), (torch.zeros(1, model.latent_dim),), buffer, dynamo=False,
                              input_names=[INPUT], output_names=[OUTPUT], opset_version=OPSET,
                              dynamic_axes={INPUT: {0: "batch"}, OUTPUT: {0: "batch"}})
    except Exception as err:  # the exporter raises many types; the page then decodes on the server
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ExportError(f"the decoder could not be exported to ONNX ({first_line})") from err
    finally:
        model.train(was_training)
    return buffer.getvalue()
