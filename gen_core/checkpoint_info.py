"""A checkpoint's header as typed, frozen fields, parsed once, and a model's facts built in one place.

The loader validated what a model needs to be rebuilt; the optional sections (dataset, training,
metrics) come from whoever wrote the file, so each is read defensively here, once: a section of
the wrong type reads as empty rather than breaking a page.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from gen_core.models import LatentDim

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _section(meta: Mapping, key: str) -> Mapping[str, Any]:
    value = meta.get(key)
    return MappingProxyType(dict(value)) if isinstance(value, dict) else _EMPTY


def _metrics(meta: Mapping) -> Mapping[str, Any]:
    """The metrics section, keeping only finite numbers and lists of them: what a page can rank,
    format and compare (a file from anywhere may hold anything there)."""
    def sound(value) -> bool:
        if isinstance(value, list):
            return bool(value) and all(_number(v) is not None for v in value)
        return _number(value) is not None

    return MappingProxyType({str(k): v for k, v in _section(meta, "metrics").items() if sound(v)})


def _number(value) -> float | None:
    """``value`` as a finite float, or ``None`` when it is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


@dataclasses.dataclass(frozen=True)
class TrainingSummary:
    """How the model was trained: ``epochs`` and ``seconds`` (``None`` when not recorded), the
    seconds spent on each kind of device (``{"cpu": 5400.0, "cuda": 420.0}``; empty when not
    recorded), the trainer's name and options, and the per-epoch ``history`` rows."""

    epochs: int | None = None
    seconds: float | None = None
    seconds_by_device: Mapping[str, float] = dataclasses.field(default_factory=lambda: _EMPTY)
    trainer: str = ""
    options: Mapping[str, Any] = dataclasses.field(default_factory=lambda: _EMPTY)
    history: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def from_metadata(cls, training: Mapping[str, Any]) -> TrainingSummary:
        epochs, seconds = _number(training.get("epochs")), _number(training.get("seconds"))
        history = training.get("history")
        by_device = {str(k): _number(v) for k, v in _section(training, "seconds_by_device").items()}
        if not by_device and seconds is not None:  # written before the split: all on the device named
            by_device = {str(training.get("device") or "").split(":")[0]: seconds}
        return cls(epochs=int(epochs) if epochs is not None and epochs >= 0 else None,
                   seconds=seconds if seconds is not None and seconds >= 0 else None,
                   seconds_by_device=MappingProxyType({k: v for k, v in by_device.items()
                                                       if k and v is not None and v > 0}),
                   trainer=str(training.get("trainer") or ""),
                   options=_section(training, "options"),
                   history=tuple(MappingProxyType(dict(row)) for row in history if isinstance(row, dict))
                   if isinstance(history, list) else ())

    @property
    def duration_text(self) -> str:
        """``12.3 min`` or ``2.1 h``, with the device where the file says (``1.6 h CPU + 9.9 min
        GPU`` for a run resumed on a GPU); ``–`` when not recorded."""
        if self.seconds is None:
            return "–"
        if not self.seconds_by_device:
            return format_duration(self.seconds)
        return " + ".join(f"{format_duration(seconds)} {DEVICE_NAMES.get(device, device.upper())}"
                          for device, seconds in self.seconds_by_device.items())


DEVICE_NAMES = {"cpu": "CPU", "cuda": "GPU"}


def format_duration(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


@dataclasses.dataclass(frozen=True)
class CheckpointInfo:
    """Everything a page or a report reads about a model file, as fields."""

    family: str
    arch: str
    config: Mapping[str, Any]
    latent_spec: tuple[LatentDim, ...]
    image_shape: tuple[int, ...]
    dataset: str  # "" when the file does not say
    class_names: tuple[str, ...]
    training: TrainingSummary
    metrics: Mapping[str, Any]

    @classmethod
    def from_metadata(cls, meta: Mapping[str, Any]) -> CheckpointInfo:
        """Parse a file's ``gen_core`` metadata (the loader has checked family, arch and shapes)."""
        dataset = _section(meta, "dataset")
        names = dataset.get("class_names")
        spec = meta.get("latent_spec")
        return cls(family=str(meta.get("family", "")), arch=str(meta.get("arch", "")),
                   config=_section(meta, "config"),
                   latent_spec=tuple(LatentDim.from_json(d) for d in spec) if isinstance(spec, list) else (),
                   image_shape=tuple(meta.get("image_shape") or ()),
                   dataset=str(dataset.get("name") or ""),
                   class_names=tuple(str(n) for n in names) if isinstance(names, list) else (),
                   training=TrainingSummary.from_metadata(_section(meta, "training")),
                   metrics=_metrics(meta))

    @property
    def dataset_label(self) -> str:
        return self.dataset or "unknown"


def size_text(size: int) -> str:
    """A file size as people read it: ``2.0 MiB`` or ``320 KiB``."""
    return f"{size / 2**20:.1f} MiB" if size >= 2**20 else f"{size / 2**10:.0f} KiB"


def model_facts(info: CheckpointInfo, kind: str, parameters: int, file_bytes: int | None = None
                ) -> dict[str, str]:
    """The facts every view of a model shows, in order: the gallery's card, Compare's table and
    the README's zoo table all build them here. ``kind`` is how people name the model (its
    ``title``); ``file_bytes`` is left out when unknown."""
    facts = {"kind": kind, "arch": info.arch, "dataset": info.dataset_label,
             "latent size": str(len(info.latent_spec)), "parameters": f"{parameters:,}"}
    if file_bytes is not None:
        facts["file"] = size_text(file_bytes)
    facts["epochs"] = str(info.training.epochs) if info.training.epochs is not None else "–"
    facts["training time"] = info.training.duration_text
    return facts
