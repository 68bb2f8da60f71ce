"""The models the app lists: every model file in the checkpoint folder, plus the files a person
uploaded in their own browser tab. A ``.pt``/``.pth`` state dict is listed too, as an error card
saying what it holds and the command that converts it (read without unpickling).

A model is known by a ``ModelRef``: its identity (the SHA-256 of its bytes), the name shown, and
where the bytes are. Only names from this catalog can ever be opened (a URL cannot point the app
at another file, nor at someone's upload). Models are loaded once per process and identity with
``st.cache_resource`` and never mutated, so the same bytes under two names are one model.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import streamlit as st

from gen_core.cache import CACHE_DIR_NAME, ArtifactCache, bytes_identity, model_identity
from gen_core.eval.ranking import Ranked, rank_models
from gen_core.files.card import ModelCard, size_text
from gen_core.files.checkpoint import (
    MODEL_SUFFIXES,
    CheckpointError,
    inspect_checkpoint,
    load_model,
    load_model_bytes,
    model_files,
)
from gen_core.files.onnx_graph import ENCODER_SUFFIX, OnnxVAE, named_encoder
from gen_core.models import FAMILIES, EncoderModel, GenerativeModel
from gen_core.models.registry import family_class
from ui.session_keys import UPLOADS
from ui.upload_space import artifact_folder, evict_uploads

CHECKPOINTS_ENV = "LATENT_ATLAS_CHECKPOINTS"
DEFAULT_CHECKPOINTS = "checkpoints"
UPLOADED_SUFFIX = " (uploaded)"


@dataclasses.dataclass(frozen=True)
class CatalogEntry:
    """One model file: its stem (the name used in URLs), its header's facts, or why it cannot load."""

    stem: str
    path: Path
    error: str | None
    card: ModelCard | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclasses.dataclass(frozen=True)
class ModelRef:
    """One model: the name shown, its identity (SHA-256 hex of the bytes), and its file, or
    ``None`` for bytes uploaded in this browser tab."""

    name: str
    identity: str
    path: Path | None
    size: int  # bytes

    @property
    def uploaded(self) -> bool:
        return self.path is None

    @property
    def size_text(self) -> str:
        return size_text(self.size)


def checkpoint_dir() -> Path:
    """``$LATENT_ATLAS_CHECKPOINTS``, else ``checkpoints/``."""
    return Path(os.environ.get(CHECKPOINTS_ENV) or DEFAULT_CHECKPOINTS)


def catalog() -> dict[str, CatalogEntry]:
    """Every model file in the folder by stem, in name order, with its header's facts or its error.

    Every rerun (each slider move) asks for the catalog, so it only lists the folder and stats
    its files. Listing reads headers, not weights: a model is loaded when a page first uses it.
    """
    folder = checkpoint_dir()
    files = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in (model_files(folder) if folder.is_dir() else []))
    return _scan(files)


@st.cache_resource(max_entries=8)
def _scan(files: tuple[tuple[str, int, int], ...]) -> dict[str, CatalogEntry]:
    paths = [Path(name) for name, _size, _mtime in files]
    names = {p.name for p in paths}
    entries = {}
    for path in paths:
        if _is_convention_encoder(path.name, names):
            continue  # read with its decoder, whose card names it
        try:
            card, error = inspect_checkpoint(path), None
        except CheckpointError as err:
            card, error = None, str(err)
        name = path.stem if path.stem not in entries else path.name  # x.safetensors beside x.onnx
        entries[name] = CatalogEntry(name, path, error, card)
    encoders = {e.card.provenance.get("encoder") for e in entries.values() if e.card is not None}
    return {stem: e for stem, e in entries.items() if e.path.name not in encoders}


def _is_convention_encoder(name: str, names: set[str]) -> bool:
    """Whether ``name`` is ``X.encoder.onnx`` with ``X.onnx`` among ``names``."""
    return name.endswith(ENCODER_SUFFIX) and name.removesuffix(ENCODER_SUFFIX) + ".onnx" in names


@dataclasses.dataclass(frozen=True)
class UploadedModel:
    """A model uploaded in this tab: its identity, file name and bytes, and the files uploaded
    with it by name (an ONNX decoder's external data and encoder)."""

    identity: str
    file_name: str
    data: bytes
    companions: tuple[tuple[str, bytes], ...] = ()


def uploads() -> dict[str, UploadedModel]:
    """This browser tab's uploaded models by the name shown."""
    return st.session_state.setdefault(UPLOADS, {})


def usable_stems() -> list[str]:
    """Names of the models that load: the folder's best first (``ranking``), then this tab's uploads."""
    return [r.name for r in ranking()] + list(uploads())


def file_stems() -> list[str]:
    """Names of the folder's models that load: the only ones a link may name."""
    return [stem for stem, entry in catalog().items() if entry.ok]


def ranking() -> list[Ranked]:
    """The folder's usable models, best first, with the basis of each one's rank."""
    entries = [e for e in catalog().values() if e.ok]
    return rank_models({e.stem: (e.card.dataset, dict(e.card.metrics)) for e in entries})


def default_model() -> str | None:
    """What a newcomer sees first: the best-ranked MNIST model with an encoder (maps, reconstructions
    and encoding all work with it), else the best-ranked model with an encoder, else the best."""
    usable = usable_stems()
    encoders = [s for s in usable if has_encoder(s)]
    on_mnist = [s for s in encoders if model_card(s).dataset == "mnist"]
    return next(iter(on_mnist + encoders + usable), None)


def model_card(stem: str) -> ModelCard:
    """The header facts of the model named ``stem``, without loading a listed file's weights."""
    entry = catalog().get(stem) if stem not in uploads() else None
    return entry.card if entry is not None and entry.card is not None else get_model(stem).card


def has_encoder(stem: str) -> bool:
    """Whether the model named ``stem`` maps images to latents, from its family."""
    family = model_card(stem).family
    return family == OnnxVAE.family or (family in FAMILIES and issubclass(family_class(family), EncoderModel))


def model_ref(stem: str) -> ModelRef:
    """The reference of the model named ``stem``; ``KeyError`` if neither listed nor uploaded."""
    if stem in uploads():
        upload = uploads()[stem]
        return ModelRef(stem, upload.identity, None, len(upload.data))
    entry = catalog()[stem]
    return ModelRef(stem, model_identity(entry.path), entry.path, entry.path.stat().st_size)


def joint_identity(*parts: str) -> str:
    """One identity for a model made of several files (a decoder and its encoder)."""
    return bytes_identity(" ".join(parts).encode())


def get_model(stem: str) -> GenerativeModel:
    """The loaded model named ``stem``; ``KeyError`` if the catalog does not list it."""
    ref = model_ref(stem)
    if ref.uploaded:
        upload = uploads()[stem]
        return _load_upload(ref.identity, upload.file_name, upload.data, upload.companions)
    return _load(str(ref.path), ref.identity)


def artifact_cache(stem: str) -> ArtifactCache:
    """Where the derived artifacts of ``stem``'s bytes are cached: the checkpoint folder's cache for
    its files, the upload space (``ui.upload_space``) for uploads."""
    ref = model_ref(stem)
    folder = artifact_folder() if ref.uploaded else checkpoint_dir() / CACHE_DIR_NAME
    return ArtifactCache(folder, ref.identity)


def upload_groups(files: dict[str, bytes]) -> list[tuple[str, dict[str, bytes]]]:
    """The models among files uploaded together, each with the files that travel with it.

    A model file is one with a model suffix that no uploaded ONNX decoder names as its encoder
    (``NAME.encoder.onnx`` or its ``latent_atlas.encoder`` property); every other file (external
    data, encoders) goes with each ONNX decoder, whose loader reads only the ones its graphs name.
    """
    encoders = {named_encoder(name, data) for name, data in files.items() if name.lower().endswith(".onnx")}
    models = [n for n in files if Path(n).suffix.lower() in MODEL_SUFFIXES and n not in encoders]
    others = {n: data for n, data in files.items() if n not in models}
    return [(n, others if n.lower().endswith(".onnx") else {}) for n in models]


def add_upload(file_name: str, data: bytes, companions: dict[str, bytes] | None = None) -> str:
    """Check uploaded bytes (and the files uploaded with them) with the checkpoint loader and list
    them for this tab; returns the name shown. The same bytes uploaded again are the same model.
    Raises ``CheckpointError``."""
    together = tuple(sorted((companions or {}).items()))
    identity = bytes_identity(data)
    if together:  # a decoder with another encoder is another model
        identity = joint_identity(identity, *(f"{n}={bytes_identity(b)}" for n, b in together))
    for name, upload in uploads().items():
        if upload.identity == identity:
            return name
    _load_upload(identity, file_name, data, together)
    name = Path(file_name).stem + UPLOADED_SUFFIX
    if name in uploads() or name in catalog():
        name = f"{Path(file_name).stem} ({identity[:6]}){UPLOADED_SUFFIX}"
    uploads()[name] = UploadedModel(identity, file_name, bytes(data), together)
    evict_uploads()
    return name


def remove_upload(name: str) -> None:
    uploads().pop(name, None)


@st.cache_resource(show_spinner="Loading model…", max_entries=32)
def _load(path: str, identity: str) -> GenerativeModel:
    # The identity is part of the cache key, so a retrained file is reloaded, never stale.
    return load_model(path)


@st.cache_resource(show_spinner="Checking the uploaded model…", max_entries=16)
def _load_upload(identity: str, file_name: str, _data: bytes,
                 _companions: tuple[tuple[str, bytes], ...] = ()) -> GenerativeModel:
    # Keyed by identity alone (the leading underscores keep the bytes out of the key).
    return load_model_bytes(_data, file_name, external=dict(_companions))
