"""Reads an exported browser decoder back, as the page's runtime does: the tests' oracle."""

from __future__ import annotations

import json
import struct

import numpy as np
import torch
import torch.nn.functional as F


def read_export(data: bytes) -> tuple[dict, np.ndarray]:
    """``(header, float32 weights)`` of a decoder written by ``gen_core.media.browser_decoder``."""
    (length,) = struct.unpack_from("<I", data)
    header = json.loads(data[4:4 + length])
    return header, np.frombuffer(data, dtype="<f4", offset=4 + length)


def run_export(data: bytes, z: torch.Tensor) -> torch.Tensor:
    """A reference interpreter of the exported format in torch: ``[B, D]`` -> ``[B, C, H, W]``."""
    header, weights = read_export(data)
    w = torch.from_numpy(weights.copy())

    def tensor(ref, shape=None):
        value = w[ref[0]:ref[0] + ref[1]]
        return value.view(shape) if shape else value

    x = z
    for op in header["layers"]:
        kind = op["op"]
        if kind == "linear":
            x = F.linear(x.flatten(1), tensor(op["weight"], (op["out"], op["in"])), tensor(op["bias"]))
        elif kind == "conv_transpose2d":
            k = op["kernel"]
            x = F.conv_transpose2d(x, tensor(op["weight"], (op["in"], op["out"], k, k)), tensor(op["bias"]),
                                   op["stride"], op["padding"])
        elif kind == "channel_affine":
            view = (1, -1) + (1,) * (x.dim() - 2)
            x = x * tensor(op["scale"]).view(view) + tensor(op["shift"]).view(view)
        elif kind == "reshape":
            x = x.reshape(x.shape[0], *op["shape"])
        elif kind == "one_hot_column":
            col = op["column"]
            index = x[:, col].round().long().clamp(0, op["classes"] - 1)
            x = torch.cat([x[:, :col], F.one_hot(index, op["classes"]).float(), x[:, col + 1:]], 1)
        elif kind == "leaky_relu":
            x = F.leaky_relu(x, op["slope"])
        elif kind == "scale_shift":
            x = x * op["scale"] + op["shift"]
        else:
            x = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[kind](x)
        assert list(x.shape[1:]) == op["shape"], kind
    return x
