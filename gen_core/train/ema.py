"""An exponential moving average of a network's weights (Yazıcı et al. 2019, "The unusual
effectiveness of averaging in GAN training").

The averaged copy is what a GAN run ships and draws its sample grids from; the live network keeps
training. Buffers (batch-norm running statistics) are copied, not averaged: they describe the
live network's activations, which the average's stay close to.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator

import torch
from torch import nn


class WeightAverage:
    """``average = d * average + (1 - d) * live`` after every update of ``live``.

    ``d = min(decay, (1 + n) / (10 + n))`` at training step ``n``: a warm-up, as in TensorFlow's
    ``ExponentialMovingAverage(num_updates=...)``. Without it a decay of 0.999 still
    weighs the random initial weights 0.999^n (63% after an epoch of 469 steps), so the first
    epochs' samples and short runs show mostly noise.
    """

    def __init__(self, live: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must lie in (0, 1), got {decay}")
        self.live, self.decay = live, decay
        self.average = copy.deepcopy(live).requires_grad_(False)

    @torch.no_grad()
    def restart(self) -> None:
        """Make the average the live weights, as when a run goes on from a model file."""
        self.average.load_state_dict(self.live.state_dict())

    def decay_at(self, step: int) -> float:
        """The decay of an update made at training step ``step`` (batches seen before it)."""
        return min(self.decay, (1 + step) / (10 + step))

    @torch.no_grad()
    def update(self, step: int) -> None:
        """Move the average toward ``live`` after an update at training step ``step``."""
        averaged = list(self.average.parameters())
        live = [p.detach() for p in self.live.parameters()]
        torch._foreach_lerp_(averaged, live, 1.0 - self.decay_at(step))
        for mine, theirs in zip(self.average.buffers(), self.live.buffers(), strict=True):
            mine.copy_(theirs)

    @contextlib.contextmanager
    def swapped_in(self) -> Iterator[None]:
        """Inside the block ``live`` holds the averaged weights; its own come back afterwards."""
        kept = copy.deepcopy(self.live.state_dict())
        self.live.load_state_dict(self.average.state_dict())
        try:
            yield
        finally:
            self.live.load_state_dict(kept)
