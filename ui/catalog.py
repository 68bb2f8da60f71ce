"""The models the app lists: every ``.safetensors`` file in the checkpoint folder.

Only names from this catalog can ever be opened (a URL cannot point the app at another file).
Models are loaded once per process with ``st.cache_resource`` and never mutated.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import streamlit as st

from gen_core.cache import content_hash
from gen_core.checkpoint import CheckpointError, load_model
from gen_core.models import GenerativeModel

CHECKPOINTS_ENV = "LATENT_ATLAS_CHECKPOINTS"
DEFAULT_CHECKPOINTS = "checkpoints"


@dataclasses.dataclass(frozen=True)
class CatalogEntry:
    """One checkpoint file: its stem (the name used in URLs) and, if it cannot load, why."""

    stem: str
    path: Path
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


def checkpoint_dir() -> Path:
    """``$LATENT_ATLAS_CHECKPOINTS``, else ``checkpoints/``."""
    return Path(os.environ.get(CHECKPOINTS_ENV) or DEFAULT_CHECKPOINTS)


def catalog() -> dict[str, CatalogEntry]:
    """Every checkpoint in the folder by stem, in name order, with its load error if any.

    Every rerun (each slider move) asks for the catalog, so it only lists the folder and stats
    its files; loading (and failing to load a broken file) happens once per file state.
    """
    files = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in sorted(checkpoint_dir().glob("*.safetensors")))
    return _scan(files)


@st.cache_resource(max_entries=8)
def _scan(files: tuple[tuple[str, int, int], ...]) -> dict[str, CatalogEntry]:
    entries = {}
    for name, _size, _mtime in files:
        path = Path(name)
        try:
            get_model_at(path)
            error = None
        except CheckpointError as err:
            error = str(err)
        entries[path.stem] = CatalogEntry(path.stem, path, error)
    return entries


def usable_stems() -> list[str]:
    """Names of the models that load, in catalog order."""
    return [stem for stem, entry in catalog().items() if entry.ok]


def get_model(stem: str) -> GenerativeModel:
    """The loaded model named ``stem``; ``KeyError`` if the catalog does not list it."""
    entry = catalog()[stem]
    return get_model_at(entry.path)


def get_model_at(path: Path) -> GenerativeModel:
    # The content hash is part of the cache key, so a retrained file is reloaded, never stale.
    return _load(str(path), content_hash(path))


@st.cache_resource(show_spinner="Loading model…", max_entries=32)
def _load(path: str, file_hash: str) -> GenerativeModel:
    return load_model(path)
