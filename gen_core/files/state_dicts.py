"""State dicts wherever a training script put them, and what to say about a file that holds one.

``torch.save`` files nest their state dicts (``{"state_dict": ...}``, ``{"netG": ..., "netD":
...}``, ``{"model": ..., "optimizer": ..., "epoch": 3}``) and DataParallel prefixes every key with
``module.``. The same walk serves the converter (real tensors, after ``torch.load(weights_only=
True)``) and the app (``TensorShape`` leaves read without unpickling, or a safetensors header):
both see a tensor as anything with a ``shape``.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from gen_core.files.architectures import Recognised, Shapes, recognise
from gen_core.files.torch_zip import TensorShape, UnreadablePickleError, saved_object

MAX_DEPTH = 3  # {"checkpoint": {"state_dict": {...}}} and no deeper
DATA_PARALLEL_PREFIX = "module."
CONVERT_COMMAND = "python -m gen_core.files.convert {name} --out {stem}.safetensors"
PACK_COMMAND = ("python -m gen_core.pack --module PACKAGE.MODULE:CLASS --weights {name} "
                "--latent-dim D --image-shape C,H,W --out {stem}.onnx")


def _is_tensor(value) -> bool:
    return hasattr(value, "shape") and not isinstance(value, (dict, list, tuple, str))


def flat_state_dicts(saved, label: str = "", depth: int = 0) -> dict[str, dict]:
    """Every ``{name: tensor}`` dict inside ``saved`` by where it sits (``""`` for the top,
    ``"netG"``, ``"checkpoint.state_dict"``), its ``module.`` prefix removed."""
    if not isinstance(saved, dict) or depth > MAX_DEPTH:
        return {}
    tensors = {k: v for k, v in saved.items() if isinstance(k, str) and _is_tensor(v)}
    if tensors and len(tensors) == len(saved):
        return {label: _without_data_parallel(tensors)}
    found = {}
    for key, value in saved.items():
        if isinstance(key, str):
            found.update(flat_state_dicts(value, f"{label}.{key}" if label else key, depth + 1))
    return found


def _out_stem(file_name: str) -> str:
    """The name a converted file gets: the source's, unless that would write over the source."""
    path = Path(file_name)
    return f"{path.stem}-converted" if path.suffix.lower() == ".safetensors" else path.stem


def _without_data_parallel(tensors: dict) -> dict:
    if all(k.startswith(DATA_PARALLEL_PREFIX) for k in tensors):
        return {k[len(DATA_PARALLEL_PREFIX):]: v for k, v in tensors.items()}
    return tensors


def shapes_of(tensors: dict) -> Shapes:
    return {key: tuple(int(n) for n in value.shape) for key, value in tensors.items()}


@dataclasses.dataclass(frozen=True)
class Found:
    """One state dict of a file: where it sits, its tensors, and what it was recognised as."""

    label: str
    tensors: dict
    recognised: Recognised | None

    def summary(self) -> str:
        keys = sorted(self.tensors, key=_natural)  # a safetensors header lists them sorted as text
        shown = keys[0] if len(keys) == 1 else f"{keys[0]} … {keys[-1]}"
        where = f" {self.label!r}" if self.label else ""
        return f"a state dict{where} with {len(keys)} tensor{'s' * (len(keys) != 1)}, keys {shown}"


def _natural(key: str) -> list:
    """``main.12.weight`` after ``main.3.weight``: numbers in a key compare as numbers."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", key)]


def find_state_dicts(saved) -> list[Found]:
    """The state dicts in ``saved``, each recognised or not; a convertible one comes first."""
    found = [Found(label, tensors, recognise(shapes_of(tensors)))
             for label, tensors in flat_state_dicts(saved).items()]
    return sorted(found, key=lambda f: not (f.recognised and f.recognised.convertible))


def describe_saved(file_name: str, saved) -> str:
    """What ``saved`` (a file's content) is and the exact command that makes it a model."""
    name, stem = Path(file_name).name, _out_stem(file_name)
    found = find_state_dicts(saved)
    if not found:
        return ("it holds no state dict (no dict of named tensors); pack the model with "
                f"`{PACK_COMMAND.format(name=name, stem=stem)}`")
    first, others = found[0], found[1:]
    text = first.summary()
    if others:
        text += " (also " + "; ".join(f.summary().removeprefix("a ") for f in others) + ")"
    known = first.recognised
    if known is not None and known.convertible:
        return (f"{text}: looks like {known.name} ({known.sizes}); convert it with "
                f"`{CONVERT_COMMAND.format(name=name, stem=stem)}`")
    if known is not None:
        return (f"{text}: looks like {known.name} ({known.sizes}), a discriminator, which only "
                "training uses; convert the generator's file instead")
    return (f"{text}: not an architecture gen_core recognises (see docs/file-formats.md); pack your "
            f"own module with `{PACK_COMMAND.format(name=name, stem=stem)}`")


def describe_torch_file(file_name: str, source: Path | bytes) -> str:
    """``describe_saved`` for a ``torch.save`` file (a path or its bytes), read without unpickling."""
    try:
        return describe_saved(file_name, saved_object(source))
    except UnreadablePickleError as err:
        name, stem = Path(file_name).name, _out_stem(file_name)
        return (f"its content cannot be listed without unpickling it ({err}); if it holds a state "
                f"dict, convert it with `{CONVERT_COMMAND.format(name=name, stem=stem)}`")


def describe_safetensors_header(file_name: str, header: dict) -> str:
    """``describe_saved`` for a safetensors file's parsed JSON header (its tensor entries)."""
    entries = {k: v for k, v in header.items() if k != "__metadata__" and isinstance(v, dict)}
    shapes = {k: TensorShape(tuple(v.get("shape") or ())) for k, v in entries.items()
              if isinstance(v.get("shape"), list) and all(isinstance(n, int) for n in v["shape"])}
    return describe_saved(file_name, shapes)
