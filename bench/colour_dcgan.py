"""The 64×64 colour DCGAN the UI benchmark decodes beside the shipped models: pytorch/examples'
``dcgan/main.py`` Generator (nz=100, ngf=64, nc=3; 3.6 M parameters) with random weights drawn as
its ``weights_init`` draws them, packed by ``gen_core.pack`` as a user would pack theirs.

Random weights cost nothing to make and decode exactly as fast as trained ones.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from gen_core.files.pack import pack

NAME = "dcgan-64-colour"
NZ, NGF, NC = 100, 64, 3


class _Latent4d(nn.Module):
    """``[B, nz]`` -> ``[B, nz, 1, 1]``, the input pytorch/examples' generator takes (exported as
    Unsqueeze; ``nn.Unflatten`` would export a Mod the app's graph reader does not run)."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return z[:, :, None, None]


def generator() -> nn.Sequential:
    """pytorch/examples' DCGAN generator: ``z`` ``[B, 100]`` -> ``[B, 3, 64, 64]`` in [-1, 1]."""
    return nn.Sequential(
        _Latent4d(),
        nn.ConvTranspose2d(NZ, NGF * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(NGF * 8), nn.ReLU(True),
        # (ngf*8) x 4 x 4
        nn.ConvTranspose2d(NGF * 8, NGF * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(NGF * 4), nn.ReLU(True),
        # (ngf*4) x 8 x 8
        nn.ConvTranspose2d(NGF * 4, NGF * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(NGF * 2), nn.ReLU(True),
        # (ngf*2) x 16 x 16
        nn.ConvTranspose2d(NGF * 2, NGF, 4, 2, 1, bias=False), nn.BatchNorm2d(NGF), nn.ReLU(True),
        # (ngf) x 32 x 32
        nn.ConvTranspose2d(NGF, NC, 4, 2, 1, bias=False), nn.Tanh(),
        # (nc) x 64 x 64
    )


def write(folder: Path, seed: int = 0) -> Path:
    """Pack a freshly drawn generator into ``folder/dcgan-64-colour.onnx``; returns the path."""
    torch.manual_seed(seed)
    net = generator()
    for layer in net.modules():  # pytorch/examples' weights_init
        if isinstance(layer, nn.ConvTranspose2d):
            nn.init.normal_(layer.weight, 0.0, 0.02)
        elif isinstance(layer, nn.BatchNorm2d):
            nn.init.normal_(layer.weight, 1.0, 0.02)
            nn.init.zeros_(layer.bias)
    return pack(net.eval(), latent_spec=NZ, image_shape=(NC, 64, 64), output_range=(-1.0, 1.0),
                name=folder / NAME)
