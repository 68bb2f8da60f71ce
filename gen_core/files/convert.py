"""``python -m gen_core.files.convert``: turn a PyTorch state-dict file into a gen_core checkpoint.

This is the one place a ``.pt``/``.pth`` file is ever opened, and only with
``torch.load(weights_only=True)``, which refuses arbitrary pickled objects. The architecture is
not in such a file, so the family and its config are given on the command line.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from gen_core.files.checkpoint import CheckpointError, save_model
from gen_core.models import GenerativeModel, build_model


def convert(source: Path, family: str, config: dict, out: Path, dataset: str | None = None) -> Path:
    """Load the state dict in ``source`` into a fresh ``family`` model and save it to ``out``."""
    try:
        state = torch.load(source, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises UnpicklingError, RuntimeError, EOFError, …
        raise CheckpointError(source, f"not a weights-only PyTorch state dict ({err})") from None
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
    parser = argparse.ArgumentParser(prog="python -m gen_core.files.convert", description=__doc__)
    parser.add_argument("source", type=Path, help="a .pt/.pth file holding a state dict")
    parser.add_argument("--family", required=True, help="registered family, e.g. vae or dcgan")
    parser.add_argument("--config", default="{}", help="JSON object of the family's config fields")
    parser.add_argument("--dataset", help="dataset the weights were trained on, e.g. mnist")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        path = convert(args.source, args.family, json.loads(args.config), args.out, args.dataset)
    except (CheckpointError, KeyError, ValueError) as err:
        raise SystemExit(f"error: {err}") from None
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
