"""``gen_core.pack``: your own decoder module, as you trained it, in one self-describing file.

A file the app opens must not hold code, and a safetensors file of weights means nothing without
the class that uses them. So ``pack`` traces your module to a standard ONNX graph (the operators
it runs, with their weights) and writes the card into the graph's ``metadata_props``
(``latent_atlas.latent_spec``, ``latent_atlas.output_range``, ``latent_atlas.dataset``; see
``gen_core.files.onnx_graph``). Any layers ONNX can express are written; before the file is
written, the app's own ONNX reader rebuilds it and must reproduce the module's output, so a file
``pack`` writes always opens. A state dict of a public architecture needs no code of yours: see
``python -m gen_core.files.convert``.

Command line (run on your machine, with your code importable)::

    python -m gen_core.pack --module my_pkg.models:Generator --weights g.pt --latent-dim 100 \\
        --image-shape 1,28,28 --output-range tanh --dataset mnist --out my-gan.onnx
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import warnings
from pathlib import Path

import torch
from torch import nn

from gen_core.files.convert import read_saved
from gen_core.files.errors import CheckpointError
from gen_core.files.onnx_graph import load_onnx_bytes
from gen_core.files.onnx_graph.loader import PROPERTY_PREFIX
from gen_core.files.state_dicts import flat_state_dicts
from gen_core.models import LatentDim
from gen_core.models.base import gaussian_spec

TOLERANCE = 1e-4  # the rebuilt graph against the module, in [0, 1] pixel values


class _ImageOutput(nn.Module):
    """``decoder`` with its output reshaped to ``[B, C, H, W]`` (a flat one included)."""

    def __init__(self, decoder: nn.Module, image_shape: tuple[int, int, int]) -> None:
        super().__init__()
        self.decoder, self.image_shape = decoder, tuple(image_shape)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z).reshape(-1, *self.image_shape)


def pack(decoder: nn.Module, *, latent_spec: int | list[LatentDim], image_shape: tuple[int, int, int],
         output_range: tuple[float, float] = (0.0, 1.0), encoder: nn.Module | None = None,
         dataset: str | None = None, name: str | Path) -> Path:
    """Write ``decoder`` (latents ``[B, D]`` -> images ``[B, C, H, W]`` or ``[B, C*H*W]``) to
    ``name`` (``.onnx`` added when missing); returns the path.

    ``latent_spec`` is D (that many N(0, 1) dimensions) or a list of ``LatentDim``;
    ``output_range`` the ``[low, high]`` the decoder produces (``(-1, 1)`` after a Tanh);
    ``dataset`` a dataset name (``mnist``) for maps and inversion. ``CheckpointError`` when the
    graph cannot be rebuilt by the app or does not reproduce the module.
    """
    if encoder is not None:
        raise ValueError("packing an encoder is not supported yet: the app reads ONNX decoders only")
    spec = gaussian_spec(latent_spec) if isinstance(latent_spec, int) else list(latent_spec)
    path = Path(name) if str(name).endswith(".onnx") else Path(f"{name}.onnx")
    module = _ImageOutput(decoder, image_shape).eval()
    z = torch.randn(4, len(spec), generator=torch.Generator().manual_seed(0))
    data = _exported(module, z, {"latent_spec": json.dumps([d.to_json() for d in spec]),
                                 "output_range": json.dumps([float(v) for v in output_range]),
                                 **({"dataset": dataset} if dataset else {})})
    rebuilt = load_onnx_bytes(data, path)
    low, high = output_range
    with torch.no_grad():
        expected = ((module(z) - low) / (high - low)).clamp(0, 1)
        error = (rebuilt.decode(z) - expected).abs().max().item()
    if error > TOLERANCE:
        raise CheckpointError(path, f"the rebuilt graph differs from the module by {error:.2g}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _exported(module: nn.Module, z: torch.Tensor, properties: dict[str, str]) -> bytes:
    """``module`` traced to ONNX bytes (the TorchScript exporter: a plain operator chain, no
    external data), with ``properties`` under the ``latent_atlas.`` prefix."""
    import onnx  # deferred: only packing and ONNX files pay for the library

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's deprecation notices, not the user's concern
        torch.onnx.export(module, (z,), buffer, dynamo=False, input_names=["z"], output_names=["image"],
                          dynamic_axes={"z": {0: "batch"}, "image": {0: "batch"}})
    proto = onnx.load_model_from_string(buffer.getvalue())
    onnx.helper.set_model_props(proto, {PROPERTY_PREFIX + k: v for k, v in properties.items()})
    return proto.SerializeToString()


def _module_class(reference: str) -> type[nn.Module]:
    """``package.module:Class`` -> the class (your code, imported on your machine)."""
    module_name, _, class_name = reference.partition(":")
    if not module_name or not class_name:
        raise ValueError(f"--module must be PACKAGE.MODULE:CLASS, got {reference!r}")
    return getattr(importlib.import_module(module_name), class_name)


def _weights(path: Path, key: str | None) -> dict:
    """The state dict in ``path`` (``key`` picks one of several, e.g. ``netG``)."""
    found = flat_state_dicts(read_saved(path))
    if key is not None and key not in found:
        raise ValueError(f"{path.name} has no state dict {key!r} (it has {sorted(found)})")
    if key is None and len(found) != 1:
        raise ValueError(f"{path.name} holds {len(found)} state dicts {sorted(found)}: name one with --key")
    return found[key if key is not None else next(iter(found))]


OUTPUT_RANGES = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}


def _numbers(text: str, kind: type) -> tuple:
    """``"1,28,28"`` -> ``(1, 28, 28)``; ``tanh``/``sigmoid`` name their output range."""
    return OUTPUT_RANGES.get(text) or tuple(kind(v) for v in text.split(","))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gen_core.pack", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--module", required=True, help="your decoder class, PACKAGE.MODULE:CLASS")
    parser.add_argument("--kwargs", default="{}", help="JSON object of the class's constructor arguments")
    parser.add_argument("--weights", type=Path, required=True, help="its state dict (.pt/.pth/.safetensors)")
    parser.add_argument("--key", help="which state dict of the file, when it holds several (netG)")
    parser.add_argument("--latent-dim", type=int, required=True, help="D: the decoder takes z [B, D]")
    parser.add_argument("--image-shape", required=True, help="C,H,W of its images, e.g. 1,28,28")
    parser.add_argument("--output-range", default="sigmoid",
                        help="its output's range: tanh ([-1, 1]), sigmoid ([0, 1]) or =LOW,HIGH")
    parser.add_argument("--dataset", help="the dataset it was trained on, e.g. mnist")
    parser.add_argument("--out", type=Path, required=True, help="the .onnx file to write")
    args = parser.parse_args(argv)
    try:
        decoder = _module_class(args.module)(**json.loads(args.kwargs))
        decoder.load_state_dict(_weights(args.weights, args.key))
        path = pack(decoder, latent_spec=args.latent_dim, image_shape=_numbers(args.image_shape, int),
                    output_range=_numbers(args.output_range, float), dataset=args.dataset, name=args.out)
    except (CheckpointError, ImportError, AttributeError, ValueError, RuntimeError, TypeError) as err:
        raise SystemExit(f"error: {err}") from None
    print(f"wrote {path}")
