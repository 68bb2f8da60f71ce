"""A tiny VAE trained elsewhere, exported as two ONNX files: its decoder and its encoder."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import onnx
import torch
from onnx import helper
from torch import nn

LATENT, SHAPE = 4, (1, 8, 8)


class TinyVAE(nn.Module):
    """An 8x8 VAE as someone else writes it: a conv encoder with mean and log-variance heads."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, 2, 1), nn.ReLU(),  # 4 x 4 x 4
                                      nn.Flatten(), nn.Linear(64, 16), nn.ReLU())
        self.mu, self.logvar = nn.Linear(16, LATENT), nn.Linear(16, LATENT)
        self.decoder = nn.Sequential(nn.Linear(LATENT, 16), nn.ReLU(), nn.Linear(16, 64), nn.Sigmoid())

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.features(x)
        return self.mu(h), self.logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z).view(-1, *SHAPE)


class Decoder(nn.Module):
    def __init__(self, vae: TinyVAE) -> None:
        super().__init__()
        self.vae = vae

    def forward(self, z):
        return self.vae.decode(z)


class PairEncoder(Decoder):
    """(a) two outputs: the means and the log-variances."""

    def forward(self, x):
        return self.vae.encode(x)


class StatsEncoder(Decoder):
    """(b) one output ``[B, 2D]``: means, then log-variances."""

    def forward(self, x):
        return torch.cat(self.vae.encode(x), dim=1)


class CodeEncoder(Decoder):
    """(c) one output ``[B, D]``: a deterministic code."""

    def forward(self, x):
        return self.vae.encode(x)[0]


def tiny_vae(seed: int = 0) -> TinyVAE:
    torch.manual_seed(seed)
    return TinyVAE().eval()


def onnx_bytes(module: nn.Module, example: torch.Tensor, outputs: list[str], **props: str) -> bytes:
    """``module`` exported with a dynamic batch; ``props`` become ``latent_atlas.*`` properties."""
    buffer = io.BytesIO()
    names = ["x", *outputs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter announces its deprecation
        torch.onnx.export(module.eval(), (example,), buffer, input_names=names[:1], output_names=outputs,
                          dynamic_axes={n: {0: "batch"} for n in names}, dynamo=False)
    proto = onnx.load_model_from_string(buffer.getvalue())
    if props:
        helper.set_model_props(proto, {f"latent_atlas.{k}": v for k, v in props.items()})
    return proto.SerializeToString()


def decoder_bytes(vae: TinyVAE, **props: str) -> bytes:
    return onnx_bytes(Decoder(vae), torch.randn(1, LATENT), ["image"], **props)


def encoder_bytes(vae: TinyVAE, kind: type[Decoder] = PairEncoder, flat: bool = False, **props: str) -> bytes:
    example = torch.rand(1, 64) if flat else torch.rand(1, *SHAPE)
    module = FlatInput(kind(vae)) if flat else kind(vae)
    outputs = ["mu", "logvar"] if kind is PairEncoder else ["stats"]
    return onnx_bytes(module, example, outputs, **props)


class FlatInput(nn.Module):
    """An encoder taking flat pixels ``[B, 64]``."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x.view(-1, *SHAPE))


def write_foreign_vae(folder: Path, name: str = "foreign", dataset: str = "digits", seed: int = 0) -> TinyVAE:
    """``NAME.onnx`` and ``NAME.encoder.onnx`` in ``folder``; returns the torch VAE they hold."""
    vae = tiny_vae(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.onnx").write_bytes(decoder_bytes(vae, **({"dataset": dataset} if dataset else {})))
    (folder / f"{name}.encoder.onnx").write_bytes(encoder_bytes(vae))
    return vae
