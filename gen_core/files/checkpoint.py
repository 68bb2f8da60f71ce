"""One self-describing ``.safetensors`` file per model.

The header's ``__metadata__`` maps ``gen_core`` to a JSON document holding everything needed to
rebuild the model: family, architecture, constructor config, latent spec, image shape, dataset,
training summary and metrics. Nothing is ever unpickled: the header is parsed by hand (so every
fault gets a precise message) and tensors are read by ``safetensors``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import struct
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save_file
from torch import nn

from gen_core.files.card import SCHEMA_VERSION, ModelCard
from gen_core.files.decode_cost import check_decode_cost, decode_cost, image_caps_problem
from gen_core.files.errors import CheckpointError, refused_if_malformed
from gen_core.files.onnx_graph import load_onnx_bytes, load_onnx_file
from gen_core.files.state_dicts import describe_safetensors_header, describe_torch_file
from gen_core.files.timeline import PREFIX as TIMELINE_PREFIX
from gen_core.files.timeline import check_timeline_declared, snapshot_tensor_names
from gen_core.models import GenerativeModel, build_model

METADATA_KEY = "gen_core"
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_HEADER_BYTES = 16 * 1024 * 1024
PICKLE_SUFFIXES = (".pt", ".pth", ".ckpt", ".pkl", ".bin")
ONNX_SUFFIX = ".onnx"
# What a model folder lists: pickle-based files too, so the app shows each one with what it holds
# and the command that converts it, rather than hiding it.
MODEL_SUFFIXES = (".safetensors", ONNX_SUFFIX, *PICKLE_SUFFIXES)
SAFETENSORS_DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16",
                      torch.bfloat16: "BF16", torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8",
                      torch.bool: "BOOL"}
TORCH_DTYPES = {name: dtype for dtype, name in SAFETENSORS_DTYPES.items()}
# A float32 weight may be stored in float16 (``save_model(half=True)``): half the file, for a
# rounding of about 1e-3 relative, below what a picture shows. The loader widens it to float32.
STORED_DTYPES = {torch.float32: (torch.float32, torch.float16)}
# Smaller tensors (biases, norms) save little and stay exact.
HALF_MIN_ELEMENTS = 2**16


def stored_dtypes(dtype: torch.dtype) -> tuple[torch.dtype, ...]:
    """The dtypes a file may hold a tensor of the network's ``dtype`` in (``STORED_DTYPES``)."""
    return STORED_DTYPES.get(dtype, (dtype,))
# Tensors beside the model's own: a run's training state, and the timeline's earlier weights.
SIDE_PREFIXES = ("train.", TIMELINE_PREFIX)


def model_files(folder: str | Path) -> list[Path]:
    """The model files in ``folder`` (checkpoints, ONNX decoders and the pickle-based files that
    ``load_model`` refuses with the command converting them), in name order."""
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in MODEL_SUFFIXES and p.is_file())


def model_metadata(model: GenerativeModel, dataset: dict | None = None, training: dict | None = None,
                   metrics: dict | None = None, **optional) -> dict:
    """The card's JSON, stored under the ``gen_core`` metadata key; ``optional`` holds the card's
    other fields (``provenance``, ``recipe``) where they are known."""
    return {
        "schema_version": SCHEMA_VERSION,
        "family": model.family,
        "arch": model.arch,
        "config": json.loads(json.dumps(dataclasses.asdict(model.config))),
        "latent_spec": [d.to_json() for d in model.latent_spec],
        "image_shape": list(model.image_shape),
        **({"output_range": list(model.output_range)} if hasattr(model, "output_range") else {}),
        "dataset": dataset or {},
        "training": training or {},
        "metrics": metrics or {},
        **{key: value for key, value in optional.items() if value},
    }


def save_model(model: GenerativeModel, path: str | Path, *, dataset: dict | None = None,
               training: dict | None = None, metrics: dict | None = None, provenance: dict | None = None,
               recipe: str | None = None, extra_tensors: dict[str, torch.Tensor] | None = None,
               timeline: list[dict] | None = None, half: bool = False) -> Path:
    """Write ``model`` and its card to one ``.safetensors`` file; returns the path.

    The card is parsed before anything is written, so a file this writes always opens again (a
    metric key outside ``gen_core.eval.metric_keys`` is a ``CheckpointError``). ``extra_tensors`` (for
    example a discriminator kept for resuming) are stored under their own names and ignored by
    ``load_model``; ``timeline`` is the card's list of snapshots, whose stored weights come in
    ``extra_tensors`` (``gen_core.files.timeline``).
    """
    path = Path(path)
    meta = model_metadata(model, dataset, training, metrics, provenance=provenance, recipe=recipe,
                          timeline=timeline)
    ModelCard.parse(path, meta)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    for name in half_stored_names(model) if half else ():
        tensors[name] = tensors[name].half()
    for name, tensor in (extra_tensors or {}).items():
        tensors[name] = tensor.detach().cpu().contiguous()
    return write_safetensors(path, tensors, METADATA_KEY, meta)


def half_stored_names(model: nn.Module) -> list[str]:
    """The weights ``save_model(half=True)`` stores in float16: float32 parameters of at least
    ``HALF_MIN_ELEMENTS`` values, all within float16's range."""
    limit = torch.finfo(torch.float16).max
    return [name for name, weight in model.named_parameters()
            if weight.dtype == torch.float32 and weight.numel() >= HALF_MIN_ELEMENTS
            and bool(weight.detach().abs().max() <= limit)]


@torch.no_grad()
def round_to_half(model: nn.Module) -> list[str]:
    """Round the weights ``half_stored_names`` picks to float16's values, in place (they stay
    float32 tensors): the model then computes what the file ``save_model(half=True)`` writes will.
    Returns their names."""
    names = half_stored_names(model)
    weights = dict(model.named_parameters())
    for name in names:
        weights[name].copy_(weights[name].half())
    return names


def write_safetensors(path: Path, tensors: dict[str, torch.Tensor], key: str, meta: dict) -> Path:
    """Write ``tensors`` with ``meta`` as JSON under metadata ``key``, atomically; returns ``path``."""
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata={key: json.dumps(meta)})
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o666 & ~umask)  # the writer creates owner-only files; give the usual permissions
    tmp.replace(path)  # atomic: a crash mid-write never leaves a half file under the real name
    return path


def update_metadata(path: str | Path, drop: tuple[str, ...] = (), **sections: dict) -> dict:
    """Merge ``sections`` (e.g. ``metrics={...}``) into a checkpoint's card, in place; keys named
    in ``drop`` leave those sections."""
    meta, tensors = read_checkpoint(path)
    for key, values in sections.items():
        kept = {k: v for k, v in meta.get(key, {}).items() if k not in drop}
        meta[key] = {**kept, **values}
    ModelCard.parse(Path(path), meta)
    write_safetensors(Path(path), tensors, METADATA_KEY, meta)
    return meta


def read_header(path: str | Path) -> tuple[ModelCard, dict]:
    """Validate the container and return ``(model card, raw tensor index)`` without tensors."""
    path = Path(path)
    with refused_if_malformed(path):
        header = _parse_header(path, *_read_head(path))
        card = ModelCard.parse(path, _parse_metadata(path, header.pop("__metadata__", None), header))
    return card, header


def read_tensors(path: str | Path) -> tuple[dict[str, str], dict[str, torch.Tensor]]:
    """Validate a safetensors container; return its raw string metadata and all its tensors.

    The shared reader for every kind of file this project writes (models, classifiers); each
    kind then checks its own metadata key.
    """
    path = Path(path)
    data = _read_bytes(path)
    header = _parse_header(path, data, len(data))
    try:
        tensors = load_safetensors_bytes(data)
    except (SafetensorError, ValueError, RuntimeError) as err:
        raise CheckpointError(path, f"tensor data is unreadable ({err})") from None
    return header.get("__metadata__") or {}, tensors


def read_checkpoint(path: str | Path) -> tuple[dict, dict[str, torch.Tensor]]:
    """Return ``(card JSON, all tensors)`` of a validated checkpoint file: what rewriting it needs."""
    raw, tensors = read_tensors(path)
    meta = _parse_metadata(Path(path), raw)
    ModelCard.parse(Path(path), meta)
    return meta, tensors


def load_model(path: str | Path, device: str | torch.device = "cpu") -> GenerativeModel:
    """Rebuild the model stored in ``path`` from the file alone, in eval mode."""
    path = Path(path)
    with refused_if_malformed(path):
        if path.suffix.lower() == ONNX_SUFFIX:  # its external data and encoder, if any, lie beside it
            return load_onnx_file(path, _read_bytes(path)).to(device).eval()
        return _model_from_bytes(path, _read_bytes(path), device)


def load_model_bytes(data: bytes, name: str, device: str | torch.device = "cpu",
                     external: dict[str, bytes] | None = None) -> GenerativeModel:
    """``load_model`` for a file's bytes (an upload); ``name`` is the file name errors give.
    ``external`` holds the files uploaded with an ONNX decoder by name: its external data, and its
    encoder graph (``gen_core.files.onnx_graph.encoder``)."""
    where = Path(name)
    with refused_if_malformed(where):
        _refuse_pickle_suffix(where, bytes(data))
        _refuse_size(where, len(data))
        return _model_from_bytes(where, bytes(data), device, external)


def load_snapshot(path: str | Path, index: int, device: str | torch.device = "cpu") -> GenerativeModel:
    """The model as it was at snapshot ``index`` of its card's timeline: a new model holding those
    weights (float32), checked as ``load_model`` checks the file; only that snapshot's tensors are
    read."""
    path = Path(path)
    with refused_if_malformed(path):
        return _checkpoint_model(path, _read_bytes(path), index).to(device).eval()


def load_snapshot_bytes(data: bytes, name: str, index: int,
                        device: str | torch.device = "cpu") -> GenerativeModel:
    """``load_snapshot`` for a file's bytes (an upload); ``name`` is the file name errors give."""
    where = Path(name)
    with refused_if_malformed(where):
        _refuse_size(where, len(data))
        return _checkpoint_model(where, bytes(data), index).to(device).eval()


def inspect_checkpoint(path: str | Path) -> ModelCard:
    """The file's header checked as ``load_model`` checks it (container, metadata, config, every
    declared tensor's name, shape and dtype against the architecture built on the ``meta`` device),
    without reading the weights: what listing a folder needs. ``load_model`` still checks the
    weights themselves (present, finite) when the model is opened."""
    path = Path(path)
    if path.suffix.lower() == ONNX_SUFFIX:
        return load_model(path).card  # small files whose graph must be read to be checked at all
    card, header = read_header(path)
    with refused_if_malformed(path):
        model = meta_model(path, card)
        _check_declared(path, model.state_dict(), header)
        check_timeline_declared(path, card.timeline, model.state_dict(), header, model.has_encoder)
        _check_description(path, model, card)
        return card.with_architecture(model)


def _model_from_bytes(where: Path, data: bytes, device: str | torch.device,
                      external: dict[str, bytes] | None = None) -> GenerativeModel:
    """The model in a file's bytes, its card parsed once into ``model.card``. An ``.onnx`` file
    is a decoder trained elsewhere (``gen_core.files.onnx_graph``)."""
    if where.suffix.lower() == ONNX_SUFFIX:
        model = load_onnx_bytes(data, where, external)
    else:
        model = _checkpoint_model(where, data)
    return model.to(device).eval()


def _checkpoint_model(where: Path, data: bytes, snapshot: int | None = None) -> GenerativeModel:
    """Header, metadata and declared tensor shapes (the timeline's too) are all checked against the
    architecture, built on the ``meta`` device, before a single weight is read or allocated.
    ``snapshot``: the timeline's weights at that index in place of the file's own."""
    header = _parse_header(where, data, len(data))
    card = ModelCard.parse(where, _parse_metadata(where, header.pop("__metadata__", None), header))
    model = meta_model(where, card)
    expected = model.state_dict()
    _check_declared(where, expected, header)
    check_timeline_declared(where, card.timeline, expected, header, model.has_encoder)
    if snapshot is not None:
        names = snapshot_tensor_names(where, card.timeline, snapshot, expected)
        tensors = {live: tensor.to(expected[live].dtype) for live, tensor in
                   zip(names.values(), read_selected(where, data, header, list(names)).values(), strict=True)}
    elif any(name.startswith(TIMELINE_PREFIX) for name in header):  # read the model's, not its past
        tensors = read_selected(where, data, header, [n for n in header if not n.startswith(TIMELINE_PREFIX)])
    else:
        try:
            tensors = load_safetensors_bytes(data)
        except (SafetensorError, ValueError, RuntimeError) as err:
            raise CheckpointError(where, f"tensor data is unreadable ({err})") from None
    check_tensors(where, expected, tensors)
    assign_weights(where, model, tensors)
    _check_description(where, model, card)
    model.card = card.with_architecture(model)
    return model


def read_selected(where: Path, data: bytes, header: dict, names: list[str]) -> dict[str, torch.Tensor]:
    """The tensors ``names`` of a file's bytes, by the offsets of its checked ``header`` (from
    ``_parse_header``): each is copied out alone, so the rest of the file is never allocated."""
    start = 8 + struct.unpack("<Q", data[:8])[0]
    tensors = {}
    for name in names:
        entry = header[name]
        dtype, shape = TORCH_DTYPES.get(entry.get("dtype")), entry.get("shape")
        if dtype is None or not (isinstance(shape, list) and all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)):
            raise CheckpointError(where, f"tensor {name[:80]!r} has an unknown dtype or a malformed shape")
        _check_data_size(where, name, entry, dtype)
        low, high = entry["data_offsets"]
        raw = bytearray(data[start + low:start + high])
        flat = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(shape)
    return tensors


def assign_weights(where: Path, model: nn.Module, tensors: dict[str, torch.Tensor]) -> None:
    """Put checked ``tensors`` in place of the ``meta`` tensors of ``model``, built on the meta
    device, each in the model's dtype; a tensor the file cannot hold is a ``CheckpointError``.

    ``assign=True`` needs no second allocation and no ``to_empty``, whose meta path imports torch's
    symbolic-shape machinery (sympy, about 30 MiB) on first use.
    """
    model.load_state_dict({k: tensors[k].to(ref.dtype) for k, ref in model.state_dict().items()},
                          assign=True)  # widens a weight stored in float16 (STORED_DTYPES)
    leftover = [name for name, t in [*model.named_parameters(), *model.named_buffers()] if t.is_meta]
    if leftover:
        raise CheckpointError(where, f"the architecture has tensors no file can hold: {leftover}")


def meta_model(where: Path, card: ModelCard) -> GenerativeModel:
    """The architecture the card describes, on the ``meta`` device (shapes, no memory), refused
    where decoding one picture would cost more than ``decode_cost``'s caps."""
    problem = image_caps_problem(card.image_shape, len(card.latent_spec))
    if problem is not None:
        raise CheckpointError(where, f"the card declares {problem}")
    try:
        with torch.device("meta"):
            model = build_model(card.family, dict(card.config))
    except KeyError as err:  # an unknown family; the message names the known ones
        raise CheckpointError(where, str(err).strip('"')) from None
    except (TypeError, ValueError) as err:
        raise CheckpointError(where, f"invalid config for family {card.family!r}: {err}") from None
    problem = image_caps_problem(tuple(model.image_shape), model.latent_dim)
    if problem is not None:
        raise CheckpointError(where, f"the config builds {problem}")
    check_decode_cost(where, decode_cost(model.decoder_layers(), model.latent_dim))
    return model


def _check_declared(where: Path, expected: dict[str, torch.Tensor], header: dict) -> None:
    """The names, shapes and dtypes the header declares match the architecture's tensors."""
    for name, ref in expected.items():
        entry = header.get(name)
        if not isinstance(entry, dict):
            raise CheckpointError(where, f"missing tensor(s) {[name]}")
        shape = entry.get("shape")
        if shape != list(ref.shape):
            shown = tuple(shape) if isinstance(shape, list) else shape
            raise CheckpointError(where, f"tensor {name!r} has shape {shown}, "
                                  f"the config needs {tuple(ref.shape)}")
        allowed = [SAFETENSORS_DTYPES[dtype] for dtype in stored_dtypes(ref.dtype)]
        if entry.get("dtype") not in allowed:
            raise CheckpointError(where, f"tensor {name!r} has dtype {entry.get('dtype')}, "
                                  f"expected {' or '.join(allowed)}")
        _check_data_size(where, name, entry, TORCH_DTYPES[entry["dtype"]])


def _check_data_size(where: Path, name: str, entry: dict, dtype: torch.dtype) -> None:
    """A header entry's data (its ``data_offsets``, checked by ``_parse_header``) is the size its
    shape and ``dtype`` need."""
    low, high = entry["data_offsets"]
    need = math.prod(entry["shape"]) * dtype.itemsize
    if high - low != need:
        raise CheckpointError(where, f"tensor {name[:80]!r}: its data is {high - low} bytes, its "
                              f"shape and dtype need {need}")


def _refuse_pickle_suffix(path: Path, data: bytes | None = None) -> None:
    """A pickle-based file is refused, saying what it holds (read without unpickling) and the
    command that converts it; ``data`` are its bytes when it is an upload."""
    if path.suffix.lower() in PICKLE_SUFFIXES:
        source = data if data is not None else path
        if data is None and not path.is_file():
            raise CheckpointError(path, "no such file")
        raise CheckpointError(path, "pickle-based PyTorch files are never loaded; "
                              + describe_torch_file(path.name, source))


def _refuse_size(path: Path, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise CheckpointError(path, f"file is too large ({size / 2**20:.0f} MiB > "
                              f"{MAX_FILE_BYTES / 2**20:.0f} MiB)")


def _checked_size(path: Path) -> int:
    """The size of an existing, non-pickle file within the size cap; ``CheckpointError`` else."""
    _refuse_pickle_suffix(path)
    if not path.is_file():
        raise CheckpointError(path, "no such file")
    size = path.stat().st_size
    _refuse_size(path, size)
    return size


def _read_head(path: Path) -> tuple[bytes, int]:
    """The file's first bytes, up to the end of its header (never more than the header cap
    allows), and the file's size: all that reading a header needs."""
    size = _checked_size(path)
    with path.open("rb") as file:
        start = file.read(8)
        length = struct.unpack("<Q", start)[0] if len(start) == 8 else 0
        return start + file.read(min(length, MAX_HEADER_BYTES + 1)), size


def _read_bytes(path: Path) -> bytes:
    _checked_size(path)
    return path.read_bytes()


def _parse_header(path: Path, data: bytes, file_size: int) -> dict:
    """The JSON header at the start of ``data`` (the file's first bytes, at least its header) of a
    file of ``file_size`` bytes."""
    if len(data) < 8:
        raise CheckpointError(path, "not a safetensors file (shorter than its 8-byte header size)")
    # A pickle starts with b"\x80" and a protocol byte, a torch zip with b"PK". A safetensors
    # header length can start with those bytes too; its JSON header then still opens at byte 8.
    looks_pickled = data[:2] == b"PK" or (data[:1] == b"\x80" and 2 <= data[1] <= 5)
    if looks_pickled and data[8:9] != b"{":
        raise CheckpointError(path, "not a safetensors file (it looks like a pickled PyTorch file)")
    (header_len,) = struct.unpack("<Q", data[:8])
    if header_len > MAX_HEADER_BYTES:
        raise CheckpointError(path, f"not a safetensors file (header size {header_len} is absurd)")
    if 8 + header_len > len(data):
        raise CheckpointError(path, "truncated: the file ends inside its header")
    try:
        header = json.loads(data[8:8 + header_len])
    except (ValueError, RecursionError) as err:  # bad UTF-8 or JSON, an integer too long, nesting too deep
        raise CheckpointError(path, "not a safetensors file "
                              f"(header is not JSON: {type(err).__name__})") from None
    if not isinstance(header, dict):
        raise CheckpointError(path, "not a safetensors file (header is not a JSON object)")
    ends = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(isinstance(o, int) and not isinstance(o, bool) and o >= 0 for o in offsets)
                and offsets[0] <= offsets[1]):
            raise CheckpointError(path, f"tensor {str(name)[:80]!r} has no valid data_offsets")
        ends.append(offsets[1])
    if ends and 8 + header_len + max(ends) > file_size:
        raise CheckpointError(path, f"truncated: tensor data needs {max(ends)} bytes, "
                              f"{file_size - 8 - header_len} present")
    return header


def _parse_metadata(path: Path, metadata: dict | None, header: dict | None = None) -> dict:
    """The card JSON in the header's metadata; without one, the error says what the tensors of
    ``header`` (when given) look like and how to convert them."""
    if not metadata or METADATA_KEY not in metadata:
        hint = f"; {describe_safetensors_header(path.name, header)}" if header else ""
        raise CheckpointError(path, f"no '{METADATA_KEY}' metadata: not a gen_core checkpoint{hint}")
    try:
        meta = json.loads(metadata[METADATA_KEY])
    except (TypeError, ValueError, RecursionError) as err:
        raise CheckpointError(path, f"'{METADATA_KEY}' metadata is not valid JSON "
                              f"({type(err).__name__}: {str(err)[:120]})") from None
    if not isinstance(meta, dict):
        raise CheckpointError(path, f"'{METADATA_KEY}' metadata is not a JSON object")
    return meta


def check_tensors(path: Path, expected: dict[str, torch.Tensor],
                  found: dict[str, torch.Tensor]) -> None:
    """Every tensor ``expected`` is in ``found`` with its shape and dtype, finite; no stray names."""
    missing = sorted(set(expected) - set(found))
    if missing:
        raise CheckpointError(path, f"missing tensor(s) {missing[:5]}")
    # Names outside the model (a discriminator or optimizer state kept for resuming, the timeline's
    # earlier weights) carry a prefix of their own; anything else unexpected means the file
    # belongs to another architecture.
    extra = sorted(k for k in set(found) - set(expected) if not k.startswith(SIDE_PREFIXES))
    if extra:
        raise CheckpointError(path, f"unexpected tensor(s) {extra[:5]}")
    for name, ref in expected.items():
        tensor = found[name]
        if tensor.shape != ref.shape:
            raise CheckpointError(path, f"tensor {name!r} has shape {tuple(tensor.shape)}, "
                                  f"the config needs {tuple(ref.shape)}")
        allowed = stored_dtypes(ref.dtype)
        if tensor.dtype not in allowed:
            raise CheckpointError(path, f"tensor {name!r} has dtype {tensor.dtype}, "
                                  f"expected {' or '.join(map(str, allowed))}")
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise CheckpointError(path, f"tensor {name!r} holds non-finite values (NaN or inf)")


def _check_description(path: Path, model: GenerativeModel, card: ModelCard) -> None:
    """The card's family, architecture, latent spec and image shape must be the rebuilt model's."""
    if list(card.latent_spec) != model.latent_spec:
        raise CheckpointError(path, "latent_spec does not match the model's config")
    if card.image_shape != tuple(model.image_shape):
        raise CheckpointError(path, f"image_shape {list(card.image_shape)} does not match the "
                              f"config's {list(model.image_shape)}")
    if tuple(card.output_range) != tuple(getattr(model, "output_range", card.output_range)):
        raise CheckpointError(path, f"output_range {list(card.output_range)} does not match the "
                              f"network's {list(model.output_range)}")
    if card.arch != model.arch:
        raise CheckpointError(path, f"arch {card.arch[:40]!r} does not match the config's {model.arch!r}")
