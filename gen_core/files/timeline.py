"""A model file's training timeline: earlier weights of the same network, kept beside its own.

The card's ``timeline`` field lists the snapshots in training order, each with the ``epoch``
(fractional: a snapshot may fall inside an epoch), the optimizer ``step``, what it ``holds``
(``["decoder"]``, or ``["decoder", "encoder"]`` for a model with an encoder) and whether its weights
are ``stored`` under ``timeline.{index}.{name}`` in float16 (half the size; they are for looking
at, not for training on) or are the file's own weights (only the last snapshot may be those).

Everything here reads the card and the header only: a hostile declaration (too many snapshots,
too many bytes, a tensor the network does not have or of another shape) is refused before any
weight is read.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import torch

from gen_core.files.errors import CheckpointError

PREFIX = "timeline."
SNAPSHOT_DTYPE = torch.float16
SNAPSHOT_DTYPE_NAME = "F16"
MAX_SNAPSHOTS = 32
MAX_TIMELINE_BYTES = 128 * 2**20
SNAPSHOT_FIELDS = ("epoch", "step", "holds", "stored")
PARTS = ("decoder", "encoder")


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """One point of the timeline: after ``step`` optimizer steps (``epoch`` epochs), holding the
    network ``holds`` names; ``stored`` when its weights are ``timeline.`` tensors."""

    epoch: float
    step: int
    holds: tuple[str, ...]
    stored: bool

    def to_json(self) -> dict:
        return {"epoch": self.epoch, "step": self.step, "holds": list(self.holds), "stored": self.stored}

    @property
    def label(self) -> str:
        """How a viewer reads it: ``step 117 · epoch 0.25``."""
        return f"step {self.step:,} · epoch {self.epoch:g}"


def tensor_name(index: int, name: str) -> str:
    """The file's name for the live tensor ``name`` at snapshot ``index``."""
    return f"{PREFIX}{index}.{name}"


def parts_held(has_encoder: bool) -> tuple[str, ...]:
    return PARTS if has_encoder else PARTS[:1]


def parse_timeline(where: Path, value) -> tuple[Snapshot, ...]:
    """The card's ``timeline`` list; ``CheckpointError`` names the first fault."""
    if not isinstance(value, list):
        raise CheckpointError(where, "card field 'timeline' is not a list")
    if len(value) > MAX_SNAPSHOTS:
        raise CheckpointError(where, f"card field 'timeline' declares {len(value)} snapshots; at most "
                              f"{MAX_SNAPSHOTS} are read")
    snapshots = tuple(_snapshot(where, i, entry) for i, entry in enumerate(value))
    steps = [s.step for s in snapshots]
    if steps != sorted(set(steps)):
        raise CheckpointError(where, "card field 'timeline' is not in training order (steps must increase)")
    if any(not s.stored for s in snapshots[:-1]):
        raise CheckpointError(where, "card field 'timeline': only the last snapshot may be the file's "
                              "own weights (stored: false)")
    return snapshots


def _snapshot(where: Path, index: int, entry) -> Snapshot:
    name = f"timeline[{index}]"
    if not isinstance(entry, dict) or set(entry) != set(SNAPSHOT_FIELDS):
        raise CheckpointError(where, f"card field '{name}' is not an object with exactly the keys "
                              f"{list(SNAPSHOT_FIELDS)}")
    epoch, step, holds, stored = (entry[k] for k in SNAPSHOT_FIELDS)
    if isinstance(epoch, bool) or not isinstance(epoch, (int, float)) or not (math.isfinite(epoch)
                                                                               and epoch >= 0):
        raise CheckpointError(where, f"card field '{name}.epoch' is not a finite number >= 0")
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise CheckpointError(where, f"card field '{name}.step' is not a whole number >= 0")
    if not isinstance(holds, list) or tuple(holds) not in (PARTS[:1], PARTS):
        raise CheckpointError(where, f"card field '{name}.holds' is not ['decoder'] or "
                              "['decoder', 'encoder']")
    if not isinstance(stored, bool):
        raise CheckpointError(where, f"card field '{name}.stored' is not true or false")
    return Snapshot(float(epoch), step, tuple(holds), stored)


def check_timeline_declared(where: Path, snapshots: tuple[Snapshot, ...], expected: dict[str, torch.Tensor],
                            header: dict, has_encoder: bool) -> None:
    """The header's ``timeline.`` tensors are exactly those the card declares, each named and shaped
    as a live tensor in float16, within ``MAX_TIMELINE_BYTES``; checked on the header alone."""
    stored = [i for i, s in enumerate(snapshots) if s.stored]
    floats = {name: ref for name, ref in expected.items() if ref.is_floating_point()}
    per_snapshot = sum(ref.numel() for ref in floats.values()) * SNAPSHOT_DTYPE.itemsize
    if len(stored) * per_snapshot > MAX_TIMELINE_BYTES:
        raise CheckpointError(where, f"the timeline declares {len(stored)} stored snapshots of "
                              f"{per_snapshot / 2**20:.1f} MiB, more than the {MAX_TIMELINE_BYTES // 2**20} "
                              "MiB read")
    wanted = parts_held(has_encoder)
    for index, snapshot in enumerate(snapshots):
        if snapshot.holds != wanted:
            raise CheckpointError(where, f"timeline snapshot {index} holds {list(snapshot.holds)}, this "
                                  f"network has {list(wanted)}")
    declared = {tensor_name(i, name): ref for i in stored for name, ref in floats.items()}
    present = {name for name in header if isinstance(name, str) and name.startswith(PREFIX)}
    stray = sorted(present - set(declared))
    if stray:
        raise CheckpointError(where, f"timeline tensor(s) the card does not declare: {stray[:3]}")
    for name, ref in declared.items():
        entry = header.get(name)
        if not isinstance(entry, dict):
            raise CheckpointError(where, f"missing timeline tensor {name!r}")
        if entry.get("shape") != list(ref.shape) or entry.get("dtype") != SNAPSHOT_DTYPE_NAME:
            raise CheckpointError(where, f"timeline tensor {name!r} is {entry.get('dtype')} "
                                  f"{entry.get('shape')}, the network needs {SNAPSHOT_DTYPE_NAME} "
                                  f"{list(ref.shape)}")


def snapshot_tensor_names(where: Path, snapshots: tuple[Snapshot, ...], index: int,
                          expected: dict[str, torch.Tensor]) -> dict[str, str]:
    """``{file's tensor name: live name}`` to read for snapshot ``index``: its ``timeline.``
    tensors for the floating-point weights (the rest, such as counters, are the live ones)."""
    if not 0 <= index < len(snapshots):
        raise CheckpointError(where, f"the timeline has {len(snapshots)} snapshot(s); {index} is not one")
    if not snapshots[index].stored:
        return {name: name for name in expected}
    return {tensor_name(index, name) if ref.is_floating_point() else name: name
            for name, ref in expected.items()}
