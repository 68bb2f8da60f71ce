"""``python -m gen_core.files.halve FILE [--out OUT]``: store a checkpoint's large weights in float16.

A model whose file is mostly a few large weight matrices (a dense layer of 1024 → 6272 holds
6.4M values) then takes half the space; the loader widens the weights back to float32
(``gen_core.files.checkpoint.STORED_DTYPES``). Everything else in the file, the card and the
timeline included, is kept as it is. The card's metrics were measured on the float32 weights, so
the command prints how far the rounding moves decoded pictures; ``python -m gen_core.eval.evaluate``
measures them again. Training writes such a file directly with ``--half-weights``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from gen_core.files.checkpoint import (
    METADATA_KEY,
    CheckpointError,
    load_model,
    read_checkpoint,
    round_to_half,
    write_safetensors,
)

PROBE_LATENTS = 64


@torch.no_grad()
def halve(path: Path, out: Path) -> tuple[list[str], float]:
    """Write ``path``'s checkpoint to ``out`` with the weights ``half_stored_names`` picks in
    float16. Returns their names and the largest change of a decoded pixel over
    ``PROBE_LATENTS`` latents drawn from the prior (seed 0)."""
    model = load_model(path)
    meta, tensors = read_checkpoint(path)
    z = model.sample_latent(PROBE_LATENTS, torch.Generator().manual_seed(0))
    before = model.decode(z)
    names = round_to_half(model)
    change = float((model.decode(z) - before).abs().max())
    for name in names:
        tensors[name] = tensors[name].half()
    out.parent.mkdir(parents=True, exist_ok=True)
    write_safetensors(out, tensors, METADATA_KEY, meta)
    return names, change


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gen_core.files.halve", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path, help="a Latent Atlas checkpoint (.safetensors)")
    parser.add_argument("--out", type=Path, help="where to write it (default: in place)")
    args = parser.parse_args(argv)
    out = args.out or args.path
    try:
        names, change = halve(args.path, out)
    except CheckpointError as err:
        raise SystemExit(f"error: {err}") from None
    print(f"wrote {out} ({out.stat().st_size / 2**20:.1f} MiB): {len(names)} weights in float16; "
          f"largest change of a decoded pixel over {PROBE_LATENTS} latents: {change:.2e}")


if __name__ == "__main__":
    main()
