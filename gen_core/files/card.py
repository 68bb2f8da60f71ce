"""The model card: everything a page, a report or an export reads about a model, parsed once.

A ``.safetensors`` checkpoint stores it as JSON under its ``gen_core`` metadata key; an ONNX
decoder's card is built from its graph and ``metadata_props``. Either way it becomes one frozen
``ModelCard``, checked field by field when the file is opened: an unknown or malformed field is
a ``CheckpointError`` then, never a ``KeyError`` (or a silently wrong figure) on some page later.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from gen_core.data import is_dataset_name
from gen_core.eval.metric_keys import check_metric_keys
from gen_core.files.errors import CheckpointError
from gen_core.files.timeline import Snapshot, parse_timeline
from gen_core.models import LatentDim

SCHEMA_VERSION = 1
_EMPTY: Mapping[str, Any] = MappingProxyType({})
REQUIRED_FIELDS = ("schema_version", "family", "arch", "config", "latent_spec", "image_shape")
OPTIONAL_FIELDS = ("dataset", "training", "metrics", "output_range", "output_range_source", "provenance",
                   "recipe", "timeline")
DATASET_FIELDS = ("name", "split", "images", "image_shape", "class_names", "normalization")
# What a training run records (``gen_core.train.loop.Trainer.training_summary``); ``resume`` is
# kept in a run's state file only.
TRAINING_FIELDS = ("epochs", "steps", "seconds", "seconds_by_device", "batch_size", "lr", "lr_d",
                   "ema_decay", "seed", "world_size", "device", "trainer", "options", "final", "history",
                   "optimizer_restarts", "fresh_discriminators", "sampler_statistics", "versions", "resume")
DEVICE_NAMES = {"cpu": "CPU", "cuda": "GPU"}


def _number(value) -> float | None:
    """``value`` as a finite float, or ``None`` when it is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _frozen(value):
    """A JSON value with its objects read-only, so a card shared by every page cannot change."""
    if isinstance(value, dict):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


class _Fields:
    """Reads one JSON object of a card; each fault names the file and the field."""

    def __init__(self, where: Path, name: str, value, known: tuple[str, ...] | None = None) -> None:
        if not isinstance(value, dict):
            raise CheckpointError(where, f"card field {name!r} is not a JSON object")
        unknown = sorted(set(value) - set(known)) if known is not None else []
        if unknown:
            raise CheckpointError(where, f"card field {name!r} has unknown key(s) {unknown[:5]}")
        self.where, self.name, self.value = where, name, value

    def _fault(self, key: str, wanted: str) -> CheckpointError:
        return CheckpointError(self.where, f"card field '{self.name}.{key}' is not {wanted}")

    def number(self, key: str, *, minimum: float = 0.0) -> float | None:
        if self.value.get(key) is None:
            return None
        value = _number(self.value[key])
        if value is None or value < minimum:
            raise self._fault(key, f"a finite number >= {minimum:g}")
        return value

    def text(self, key: str) -> str:
        value = self.value.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self._fault(key, "a string")
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.value.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._fault(key, "a list of strings")
        return tuple(value)

    def section(self, key: str) -> Mapping[str, Any]:
        value = self.value.get(key)
        if value is None:
            return _EMPTY
        if not isinstance(value, dict):
            raise self._fault(key, "a JSON object")
        return _frozen(value)


@dataclasses.dataclass(frozen=True)
class TrainingSummary:
    """How the model was trained: ``epochs``, optimizer ``steps`` and ``seconds`` (``None`` when
    not recorded), the seconds spent on each kind of device (``{"cpu": 5400.0, "cuda": 420.0}``),
    the ``batch_size``, the trainer's name and options, and the per-epoch ``history`` rows."""

    epochs: int | None = None
    steps: int | None = None
    seconds: float | None = None
    seconds_by_device: Mapping[str, float] = dataclasses.field(default_factory=lambda: _EMPTY)
    batch_size: int | None = None
    trainer: str = ""
    options: Mapping[str, Any] = dataclasses.field(default_factory=lambda: _EMPTY)
    history: tuple[Mapping[str, Any], ...] = ()
    record: Mapping[str, Any] = dataclasses.field(default_factory=lambda: _EMPTY)  # the whole section

    @classmethod
    def parse(cls, where: Path, training) -> TrainingSummary:
        fields = _Fields(where, "training", training, TRAINING_FIELDS)
        seconds = fields.number("seconds")
        by_device = fields.section("seconds_by_device")
        if any(_number(v) is None or v < 0 for v in by_device.values()):
            raise fields._fault("seconds_by_device", "a map of device to seconds")
        if not by_device and seconds is not None:  # written before the split: all on the device named
            by_device = {fields.text("device").split(":")[0]: seconds}
        history = training.get("history", [])
        if not isinstance(history, list) or not all(isinstance(row, dict) for row in history):
            raise fields._fault("history", "a list of JSON objects")
        counts = {key: fields.number(key) for key in ("epochs", "steps", "batch_size")}
        return cls(epochs=None if counts["epochs"] is None else int(counts["epochs"]),
                   steps=None if counts["steps"] is None else int(counts["steps"]),
                   seconds=seconds,
                   seconds_by_device=MappingProxyType({k: float(v) for k, v in by_device.items()
                                                       if k and v > 0}),
                   batch_size=None if counts["batch_size"] is None else int(counts["batch_size"]),
                   trainer=fields.text("trainer"), options=fields.section("options"),
                   history=tuple(_frozen(row) for row in history), record=_frozen(training))

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


def format_duration(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


def _metrics(where: Path, value) -> Mapping[str, Any]:
    """The metrics section: registered keys only, each a finite number, a flag, a short text or a
    list of finite numbers."""
    fields = _Fields(where, "metrics", value)
    try:
        check_metric_keys(value)
    except ValueError as err:
        raise CheckpointError(where, f"card field 'metrics': {err}") from None
    for key, item in value.items():
        sound = (isinstance(item, bool) or _number(item) is not None or isinstance(item, str)
                 or (isinstance(item, list) and all(_number(v) is not None for v in item)))
        if not sound:
            raise fields._fault(key, "a finite number, a flag, a text or a list of numbers")
    return _frozen(value)


@dataclasses.dataclass(frozen=True)
class ModelCard:
    """A model's identity and description, as typed, read-only fields.

    ``output_range`` is the ``[low, high]`` of what the network itself produces before ``decode``
    maps it to [0, 1] (``output_range_source`` says how an ONNX decoder's was found: "file property",
    "graph: Tanh" or "sampled: ..."); ``provenance`` says where the weights came from (``{"format": "onnx",
    "producer": ..., "ops": [...]}`` for a foreign decoder); ``recipe`` names the file in
    ``recipes/`` whose command retrains the model ("" when none); ``timeline`` lists the earlier
    weights the file keeps (``gen_core.files.timeline``; empty when none). ``title`` and ``parameters``
    come from the architecture the reader rebuilt (``with_architecture``).
    """

    family: str
    arch: str
    config: Mapping[str, Any]
    latent_spec: tuple[LatentDim, ...]
    image_shape: tuple[int, int, int]
    dataset: str = ""  # a dataset name; "" when the file does not say
    class_names: tuple[str, ...] = ()
    normalization: str = ""  # how the training images' pixels were prepared
    training: TrainingSummary = dataclasses.field(default_factory=TrainingSummary)
    metrics: Mapping[str, Any] = dataclasses.field(default_factory=lambda: _EMPTY)
    output_range: tuple[float, float] = (0.0, 1.0)
    output_range_source: str = ""  # how the range was found when assumed: "graph: Tanh", "sampled: ..."
    provenance: Mapping[str, Any] = dataclasses.field(default_factory=lambda: _EMPTY)
    recipe: str = ""
    timeline: tuple[Snapshot, ...] = ()
    schema_version: int = SCHEMA_VERSION
    # Facts of the architecture, not stored: the reader fills them from the model it rebuilt.
    title: str = ""  # how people name the model, e.g. "β-VAE (β=4)"
    parameters: int = 0

    @classmethod
    def parse(cls, where: Path, meta) -> ModelCard:
        """The card in a checkpoint's ``gen_core`` JSON; ``CheckpointError`` names the first fault.

        Family, config, latent spec and image shape are checked against the rebuilt model by the
        loader; here each field is checked for its kind and every key for being known."""
        fields = _Fields(where, "card", meta, REQUIRED_FIELDS + OPTIONAL_FIELDS)
        missing = [f for f in REQUIRED_FIELDS if f not in meta]
        if missing:
            raise CheckpointError(where, f"metadata lacks required field(s) {missing}")
        if meta["schema_version"] != SCHEMA_VERSION:
            raise CheckpointError(where, f"unknown schema version {str(meta['schema_version'])[:20]} "
                                  f"(this gen_core reads version {SCHEMA_VERSION})")
        dataset = _Fields(where, "dataset", meta.get("dataset", {}), DATASET_FIELDS)
        if dataset.text("name") and not is_dataset_name(dataset.text("name")):
            raise dataset._fault("name", "a dataset name (lower-case letters, digits, '-', '_' and "
                                 "'.', never a path; a server names its image folders itself)")
        spec, shape = meta["latent_spec"], meta["image_shape"]
        if not isinstance(spec, list) or not all(isinstance(d, dict) for d in spec):
            raise CheckpointError(where, "card field 'latent_spec' is not a list of JSON objects")
        if not (isinstance(shape, list) and len(shape) == 3
                and all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape)):
            raise CheckpointError(where, f"card field 'image_shape' {str(shape)[:40]} is not [C, H, W]")
        try:
            latent_spec = tuple(LatentDim.from_json(d) for d in spec)
        except (TypeError, ValueError, AttributeError) as err:
            raise CheckpointError(where, f"invalid latent_spec ({str(err)[:120]})") from None
        return cls(family=fields.text("family"), arch=fields.text("arch"), config=fields.section("config"),
                   latent_spec=latent_spec, image_shape=tuple(shape), dataset=dataset.text("name"),
                   class_names=dataset.texts("class_names"), normalization=dataset.text("normalization"),
                   training=TrainingSummary.parse(where, meta.get("training", {})),
                   metrics=_metrics(where, meta.get("metrics", {})),
                   output_range=_output_range(where, meta.get("output_range", [0.0, 1.0])),
                   output_range_source=fields.text("output_range_source"),
                   provenance=fields.section("provenance"), recipe=fields.text("recipe"),
                   timeline=parse_timeline(where, meta.get("timeline", [])))

    @property
    def dataset_label(self) -> str:
        return self.dataset or "unknown"

    def with_architecture(self, model) -> ModelCard:
        """This card with the title and parameter count of ``model``, the network it describes
        (built on the ``meta`` device, it costs no memory)."""
        return dataclasses.replace(self, title=model.title, parameters=model.parameter_count())


def _output_range(where: Path, value) -> tuple[float, float]:
    pair = tuple(_number(v) for v in value) if isinstance(value, list) else ()
    if len(pair) != 2 or None in pair or not pair[0] < pair[1]:
        raise CheckpointError(where, f"card field 'output_range' {str(value)[:40]} is not [low, high]")
    return pair


def size_text(size: int) -> str:
    """A file size as people read it: ``2.0 MiB`` or ``320 KiB``."""
    return f"{size / 2**20:.1f} MiB" if size >= 2**20 else f"{size / 2**10:.0f} KiB"


def model_facts(card: ModelCard, file_bytes: int | None = None) -> dict[str, str]:
    """The facts every view of a model shows, in order: the gallery's card, Compare's table and
    the zoo table all build them here; ``file_bytes`` is left out when unknown."""
    facts = {"kind": card.title, "arch": card.arch, "dataset": card.dataset_label,
             "latent size": str(len(card.latent_spec)), "parameters": f"{card.parameters:,}"}
    if file_bytes is not None:
        facts["file"] = size_text(file_bytes)
    facts["epochs"] = str(card.training.epochs) if card.training.epochs is not None else "–"
    facts["training time"] = card.training.duration_text
    return facts
