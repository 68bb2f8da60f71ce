"""Batch-norm statistics of a GAN generator that also decodes an encoder's codes.

A mode-regularized GAN's generator is trained on two kinds of input: latents drawn from the prior,
whose images the discriminator judges, and the encoder's codes of training images. In training
each pass is normalized by its own batch's statistics, but the running averages that decoding uses
afterwards mix both kinds, and the codes do not lie where the prior's samples do (the plain
model's codes have norm 26 against 8 for N(0, I) at 64 dimensions). The generator then draws its
samples with statistics they never had. A family that sets ``batch_norm_from_samples`` ships
statistics measured on prior samples alone, by the shipped weights (the generator average where
the run keeps one): its samples are drawn as they were trained, and its reconstructions, one
set of statistics serving both, less closely. The VAE-GAN, whose reconstructions are half of what
it is for, keeps the statistics it trained with (docs/zoo.md measures both choices).

``python -m gen_core.train.sampler_statistics FILE ...`` gives a file written before this its
statistics (the weights, and each stored snapshot of its timeline); its sample metrics are dropped,
for ``python -m gen_core.eval.evaluate`` to measure again.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torch import nn

from gen_core.files.card import ModelCard
from gen_core.files.checkpoint import (
    METADATA_KEY,
    load_model,
    load_snapshot,
    read_checkpoint,
    write_safetensors,
)
from gen_core.files.errors import CheckpointError
from gen_core.files.timeline import SNAPSHOT_DTYPE, tensor_name
from gen_core.models import GenerativeModel

LATENTS = 4096  # enough for every channel's mean and variance to settle (many pixels per latent)
BATCH_SIZE = 256
SEED = 0  # a generator of its own: the run's random stream is not touched


def sampler_layers(model: GenerativeModel) -> dict[str, nn.modules.batchnorm._BatchNorm]:
    """The batch-norm layers of ``model`` that keep running statistics, by module name (an
    encoder's too)."""
    return {name: module for name, module in model.named_modules()
            if isinstance(module, nn.modules.batchnorm._BatchNorm) and module.track_running_stats}


@torch.no_grad()
def recompute_sampler_statistics(model: GenerativeModel, latents: int = LATENTS,
                                 batch_size: int = BATCH_SIZE, seed: int = SEED) -> list[str]:
    """Measure the running mean and variance of every batch-norm layer ``decode`` passes through
    on ``latents`` prior samples (``sample_latent``, then ``decode`` ``[B, D] -> [B, C, H, W]`` in
    batches of ``batch_size``), as a plain average over the batches; layers ``decode`` does not use
    (an encoder's) keep theirs. Returns the names of the layers measured. The model's mode and
    every other weight are left as they were."""
    layers = sampler_layers(model)
    kept = {name: (layer.momentum, {key: buffer.clone() for key, buffer in layer.named_buffers()})
            for name, layer in layers.items()}
    for layer in layers.values():
        layer.reset_running_stats()
        layer.momentum = None  # a cumulative average: every batch counts the same
    training = model.training
    model.train()
    generator = torch.Generator().manual_seed(seed)
    try:
        for start in range(0, latents, batch_size):
            z = model.sample_latent(min(batch_size, latents - start), generator).to(model.device)
            model.decode(z)
    finally:
        model.train(training)
        measured = []
        for name, layer in layers.items():
            momentum, buffers = kept[name]
            layer.momentum = momentum
            if layer.num_batches_tracked.item() == 0:  # not on the decoding path
                for key, buffer in layer.named_buffers():
                    buffer.copy_(buffers[key])
            else:
                measured.append(name)
    return measured


def statistics_record(latents: int = LATENTS, batch_size: int = BATCH_SIZE, seed: int = SEED) -> dict:
    """What the card's ``training.sampler_statistics`` says of them."""
    return {"latents": latents, "batch_size": batch_size, "seed": seed}


def rewrite_file(path: Path) -> list[str]:
    """Give the model file ``path`` (and each stored snapshot of its timeline) statistics measured
    on prior samples, in place; its metrics are dropped. Returns the layers measured."""
    model = load_model(path)
    if not model.batch_norm_from_samples:
        raise CheckpointError(path, f"a {model.title} draws its samples with the statistics it trained "
                                    "with; only generators that also decode codes are given others")
    meta, tensors = read_checkpoint(path)
    measured = recompute_sampler_statistics(model)
    state = model.state_dict()
    names = [f"{layer}.{key}" for layer in measured for key in ("running_mean", "running_var")]
    tensors.update({name: state[name].clone() for name in names})
    for index, snapshot in enumerate(model.card.timeline):
        if not snapshot.stored:
            continue
        earlier = load_snapshot(path, index)
        recompute_sampler_statistics(earlier)
        earlier_state = earlier.state_dict()
        tensors.update({tensor_name(index, name): earlier_state[name].to(SNAPSHOT_DTYPE) for name in names})
    meta["training"] = {**meta.get("training", {}), "sampler_statistics": statistics_record()}
    meta["metrics"] = {}
    ModelCard.parse(path, meta)
    write_safetensors(path, tensors, METADATA_KEY, meta)
    return measured


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m gen_core.train.sampler_statistics",
                                description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="+", type=Path, help="model .safetensors files, rewritten in place")
    args = p.parse_args(argv)
    for path in args.files:
        try:
            measured = rewrite_file(path)
        except CheckpointError as err:
            raise SystemExit(f"error: {err}") from None
        print(f"{path}: {len(measured)} batch-norm layers measured on {LATENTS} prior samples; "
              "evaluate it again (python -m gen_core.eval.evaluate)")


if __name__ == "__main__":
    main()
