"""``python -m gen_core.files.convert``: turn a state dict file into one Latent Atlas checkpoint.

A state dict of a recognised public architecture (``gen_core.files.architectures``: the
pytorch/examples VAE and DCGAN, PyTorch-GAN's GAN and DCGAN, the AntixK conv VAE) converts with no
other argument; nested (``{"state_dict": ...}``, ``{"netG": ..., "netD": ...}``) and DataParallel
(``module.``) files included. Any other state dict of one of our own families converts with
``--family`` and ``--config``.

This is the one place a ``.pt``/``.pth`` file is ever opened, and only with
``torch.load(weights_only=True)``, which refuses arbitrary pickled objects; a ``.safetensors``
state dict is read by ``safetensors``, which holds no code.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from gen_core.files.architectures import source_keys
from gen_core.files.checkpoint import CheckpointError, save_model
from gen_core.files.state_dicts import Found, describe_saved, find_state_dicts
from gen_core.models import GenerativeModel, build_model


def read_saved(source: Path) -> object:
    """What ``source`` holds: a safetensors file's tensors, or a ``torch.save`` file's object
    loaded with ``weights_only=True``."""
    if source.suffix.lower() == ".safetensors":
        try:
            return load_file(str(source))
        except (SafetensorError, OSError, ValueError) as err:
            raise CheckpointError(source, f"not a readable safetensors file ({err})") from None
    try:
        return torch.load(source, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises UnpicklingError, RuntimeError, EOFError, …
        raise CheckpointError(source, f"not a weights-only PyTorch state dict ({err})") from None


def convert_recognised(source: Path, out: Path, dataset: str | None = None) -> Path:
    """Convert the first recognised state dict in ``source`` to a checkpoint at ``out``.

    ``CheckpointError`` when none is recognised, saying what the file holds and what would work.
    """
    saved = read_saved(source)
    found = find_state_dicts(saved)
    if not found or not (found[0].recognised and found[0].recognised.convertible):
        raise CheckpointError(source, describe_saved(source.name, saved))
    model = recognised_model(found[0])
    known = found[0].recognised
    provenance = {"format": "state dict", "converted_from": source.name, "architecture": known.name}
    return save_model(model, out, dataset={"name": dataset} if dataset else None, provenance=provenance)


def recognised_model(found: Found) -> GenerativeModel:
    """The recognised network of ``found`` rebuilt with its weights, in eval mode."""
    known = found.recognised
    model = build_model(known.family, known.config)
    keys = source_keys(known, list(model.state_dict()))
    state = {ours: found.tensors[theirs] for ours, theirs in keys.items() if theirs in found.tensors}
    missing = model.load_state_dict(state, strict=False).missing_keys
    if any(not key.endswith("num_batches_tracked") for key in missing):  # older files lack the counts
        raise ValueError(f"tensors {missing} were not found")  # recognise() checked every name
    return model.eval()


def convert(source: Path, family: str, config: dict, out: Path, dataset: str | None = None) -> Path:
    """Load the state dict in ``source`` into a fresh ``family`` model and save it to ``out``."""
    state = read_saved(source)
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    model: GenerativeModel = build_model(family, config)
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError) as err:
        raise CheckpointError(source, f"weights do not fit {family} {config}: {err}") from None
    return save_model(model, out, dataset={"name": dataset} if dataset else None,
                      provenance={"format": "state dict", "converted_from": source.name})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gen_core.files.convert", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="a .pt/.pth/.ckpt/.bin or .safetensors state dict")
    parser.add_argument("--family", help="one of our families (vae, dcgan, …); omit for a recognised "
                        "public architecture")
    parser.add_argument("--config", default="{}", help="with --family: JSON object of its config fields")
    parser.add_argument("--dataset", help="dataset the weights were trained on, e.g. mnist")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        if args.family:
            path = convert(args.source, args.family, json.loads(args.config), args.out, args.dataset)
        else:
            path = convert_recognised(args.source, args.out, args.dataset)
    except (CheckpointError, KeyError, ValueError) as err:
        raise SystemExit(f"error: {err}") from None
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
