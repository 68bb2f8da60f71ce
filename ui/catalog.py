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

from gen_core.cache import CACHE_DIR_NAME, ArtifactCache, bytes_identity, file_identity
from gen_core.eval.ranking import Ranked, rank_models
from gen_core.files.card import ModelCard, size_text
from gen_core.files.checkpoint import (
    CheckpointError,
    inspect_checkpoint,
    load_model,
    load_model_bytes,
    model_files,
)
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
    entries = {}
    for name, _size, _mtime in files:
        path = Path(name)
        try:
            card, error = inspect_checkpoint(path), None
        except CheckpointError as err:
            card, error = None, str(err)
        name = path.stem if path.stem not in entries else path.name  # x.safetensors beside x.onnx
        entries[name] = CatalogEntry(name, path, error, card)
    return entries


def uploads() -> dict[str, tuple[str, str, bytes]]:
    """This browser tab's uploaded models: ``{shown name: (identity, file name, bytes)}``."""
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
    return family in FAMILIES and issubclass(family_class(family), EncoderModel)


def model_ref(stem: str) -> ModelRef:
    """The reference of the model named ``stem``; ``KeyError`` if neither listed nor uploaded."""
    if stem in uploads():
        identity, _, data = uploads()[stem]
        return ModelRef(stem, identity, None, len(data))
    path = catalog()[stem].path
    return ModelRef(stem, file_identity(path), path, path.stat().st_size)


def get_model(stem: str) -> GenerativeModel:
    """The loaded model named ``stem``; ``KeyError`` if the catalog does not list it."""
    ref = model_ref(stem)
    if ref.uploaded:
        _identity, file_name, data = uploads()[stem]
        return _load_upload(ref.identity, file_name, data)
    return _load(str(ref.path), ref.identity)


def artifact_cache(stem: str) -> ArtifactCache:
    """Where the derived artifacts of ``stem``'s bytes are cached: the checkpoint folder's cache for
    its files, the upload space (``ui.upload_space``) for uploads."""
    ref = model_ref(stem)
    folder = artifact_folder() if ref.uploaded else checkpoint_dir() / CACHE_DIR_NAME
    return ArtifactCache(folder, ref.identity)


def add_upload(file_name: str, data: bytes) -> str:
    """Check uploaded bytes with the checkpoint loader and list them for this tab; returns the
    name shown. The same bytes uploaded again are the same model. Raises ``CheckpointError``."""
    identity = bytes_identity(data)
    for name, (known, _, _) in uploads().items():
        if known == identity:
            return name
    _load_upload(identity, file_name, data)
    name = Path(file_name).stem + UPLOADED_SUFFIX
    if name in uploads() or name in catalog():
        name = f"{Path(file_name).stem} ({identity[:6]}){UPLOADED_SUFFIX}"
    uploads()[name] = (identity, file_name, bytes(data))
    evict_uploads()
    return name


def remove_upload(name: str) -> None:
    uploads().pop(name, None)


@st.cache_resource(show_spinner="Loading model…", max_entries=32)
def _load(path: str, identity: str) -> GenerativeModel:
    # The identity is part of the cache key, so a retrained file is reloaded, never stale.
    return load_model(path)


@st.cache_resource(show_spinner="Checking the uploaded model…", max_entries=16)
def _load_upload(identity: str, file_name: str, _data: bytes) -> GenerativeModel:
    # Keyed by identity alone (the leading underscore keeps the bytes out of the key).
    return load_model_bytes(_data, file_name)
