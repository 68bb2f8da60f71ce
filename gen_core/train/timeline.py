"""Snapshots of the weights while a model trains, for the file's timeline (``gen_core.files.timeline``).

The snapshots fall on geometrically spaced optimizer steps, so the first minutes, when the latent
space takes shape, are seen densely, and the last is always the end of the run (the file's own
weights, stored once). What is kept must fit a byte budget; beyond it the timeline is thinned
evenly, keeping its first and last snapshots.
"""

from __future__ import annotations

import numpy as np
import torch

from gen_core.files.timeline import (
    MAX_SNAPSHOTS,
    SNAPSHOT_DTYPE,
    Snapshot,
    parse_timeline,
    parts_held,
    tensor_name,
)
from gen_core.models import GenerativeModel


def snapshot_steps(count: int, total_steps: int) -> list[int]:
    """``count`` optimizer steps in ``[1, total_steps]``, geometrically spaced and ending at
    ``total_steps`` (fewer when the run has fewer steps): 6 of 2,800 are 1, 5, 24, 117, 572, 2800."""
    if count < 1 or total_steps < 1:
        return []
    if count == 1:
        return [total_steps]
    points = sorted({round(total_steps ** (k / (count - 1))) for k in range(count)})
    while len(points) < min(count, total_steps):  # rounding merged early points: fill the gaps
        points = sorted({*points, next(s for s in range(1, total_steps + 1) if s not in points)})
    return points


def snapshot_bytes(model: GenerativeModel) -> int:
    """What one stored snapshot of ``model`` costs in the file."""
    floats = sum(t.numel() for t in model.state_dict().values() if t.is_floating_point())
    return floats * SNAPSHOT_DTYPE.itemsize


def model_bytes(model: GenerativeModel) -> int:
    """What the model's own weights cost in the file: the default timeline budget, so that a
    timeline at most doubles the file."""
    return sum(t.numel() * t.element_size() for t in model.state_dict().values())


def thinned(count: int, keep: int) -> list[int]:
    """Indices of ``keep`` of ``count`` snapshots, evenly spread, the first and last among them."""
    if keep >= count:
        return list(range(count))
    if keep <= 0:
        return []
    return sorted({int(i) for i in np.round(np.linspace(0, count - 1, keep))})


class SnapshotRecorder:
    """Copies the model's weights at the scheduled steps of a run, and writes them for its file."""

    def __init__(self, model: GenerativeModel, count: int, budget_bytes: int | None) -> None:
        if not 0 <= count <= MAX_SNAPSHOTS:
            raise ValueError(f"snapshots must lie in [0, {MAX_SNAPSHOTS}], got {count}")
        self.model, self.count = model, count
        self.budget_bytes = model_bytes(model) if budget_bytes is None else budget_bytes
        self.schedule: set[int] = set()
        self.taken: list[tuple[Snapshot, dict[str, torch.Tensor]]] = []

    def plan(self, total_steps: int) -> None:
        """Schedule the snapshots of a run that ends after ``total_steps`` optimizer steps."""
        self.schedule = set(snapshot_steps(self.count, total_steps))

    def after_step(self, step: int, epoch: float) -> None:
        """Keep a copy of the weights (as shipped: the average, where the run keeps one) if
        ``step`` is scheduled; the caller swaps those weights in."""
        if step in self.schedule and all(s.step != step for s, _ in self.taken):
            weights = {name: t.detach().to("cpu", SNAPSHOT_DTYPE, copy=True)
                       for name, t in self.model.state_dict().items() if t.is_floating_point()}
            self.taken.append((Snapshot(round(epoch, 3), step, parts_held(self.model.has_encoder), True),
                               weights))

    def for_file(self, final_step: int, final_epoch: float, log=print) -> tuple[list[dict], dict]:
        """``(card timeline, tensors)`` for the model file: the stored snapshots that fit the budget
        and, last, the file's own weights. No timeline when none fits."""
        if not self.count:
            return [], {}
        earlier = [(s, w) for s, w in self.taken if s.step < final_step]
        keep = min(len(earlier), self.budget_bytes // max(1, snapshot_bytes(self.model)))
        if keep < len(earlier):
            log(f"timeline: {len(earlier)} snapshots of {snapshot_bytes(self.model) / 2**20:.2f} MiB "
                f"exceed the budget of {self.budget_bytes / 2**20:.2f} MiB; keeping {keep}")
        earlier = [earlier[i] for i in thinned(len(earlier), keep)]
        if not earlier:
            return [], {}
        last = Snapshot(round(final_epoch, 3), final_step, parts_held(self.model.has_encoder), False)
        return self._file_parts(earlier, last)

    def for_state(self) -> tuple[list[dict], dict]:
        """``(card timeline, tensors)`` for a run's state file: every snapshot taken, all stored."""
        return self._file_parts(self.taken, None)

    @staticmethod
    def _file_parts(stored, last: Snapshot | None) -> tuple[list[dict], dict]:
        tensors = {tensor_name(i, name): t
                   for i, (_, weights) in enumerate(stored) for name, t in weights.items()}
        timeline = [s.to_json() for s, _ in stored] + ([last.to_json()] if last is not None else [])
        return timeline, tensors

    def restore(self, where, timeline: list | None, tensors: dict[str, torch.Tensor], live_step: int,
                live_epoch: float) -> None:
        """Take up the snapshots of a file a run resumes from; its own weights (a model file's last
        snapshot) are copied as they are now, before training goes on."""
        for index, snapshot in enumerate(parse_timeline(where, timeline or [])):
            if snapshot.stored:
                prefix = tensor_name(index, "")
                weights = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
                self.taken.append((snapshot, weights))
            else:
                self.schedule.add(live_step)
                self.after_step(live_step, live_epoch)
        if self.taken:
            self.count = max(self.count, 1)

