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
    """``average = decay * average + (1 - decay) * live`` after every update of ``live``."""

    def __init__(self, live: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must lie in (0, 1), got {decay}")
        self.live, self.decay = live, decay
        self.average = copy.deepcopy(live).requires_grad_(False)

    @torch.no_grad()
    def update(self) -> None:
        averaged = list(self.average.parameters())
        torch._foreach_lerp_(averaged, [p.detach() for p in self.live.parameters()], 1.0 - self.decay)
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
