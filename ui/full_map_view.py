"""The Latent Map's choice of points: the 3,000 cached test images, or the whole dataset.

The whole dataset (70,000 MNIST images) is encoded and projected by ``gen_core.maps.full_map`` in a
process of its own; this page starts it, follows its progress file every two seconds, and reads
the result from the cache once it is there.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import streamlit as st

from gen_core.data import has_full_split, resolve_data_root
from gen_core.maps import full_map
from gen_core.models import GenerativeModel
from ui.catalog import artifact_cache, model_ref
from ui.session_keys import map_build_started
from ui.text import plain

SAMPLE, EVERYTHING = "The cached test images", "Every image of the dataset"
POLL_S = 2.0


def chosen_full_map(stem: str, model: GenerativeModel) -> dict[str, np.ndarray] | None:
    """Offer the whole dataset where it can be mapped; returns its map once chosen and built.

    Models with an encoder only (a GAN's map is of its own samples), listed from the folder (the
    background process opens the file), with the dataset's files under the data root.
    """
    dataset, ref = model.card.dataset, model_ref(stem)
    if not model.has_encoder or ref.uploaded or not has_full_split(dataset):
        return None
    cache = artifact_cache(stem)
    path = full_map.map_file(cache, dataset)
    built = _load(ref.identity, str(path), path.stat().st_mtime_ns if path.is_file() else 0)
    choice = st.radio("Points", [SAMPLE, EVERYTHING], horizontal=True, key=f"map_points_{stem}",
                      help="Every training and test image, encoded and projected once in the background.")
    if choice == SAMPLE:
        return None
    if built is not None:
        return built
    progress = full_map.read_progress(cache, dataset)
    if full_map.building(cache, dataset):
        _follow(stem, dataset)
    else:
        if progress and "error" in progress:
            st.error(f"Projecting the whole dataset stopped: {plain(progress['error'])}",
                     icon=":material/block:")
        st.info("The whole dataset has not been mapped for this model yet. It is encoded and projected "
                "once, in the background (a few minutes, most of it UMAP), then cached.")
        if st.button(f"Map every {plain(dataset)} image", key=f"map_build_{stem}", type="primary"):
            full_map.start_build(ref.path, cache, dataset, resolve_data_root())
            st.session_state[map_build_started(stem)] = time.monotonic()
            st.rerun()
    return None


@st.fragment(run_every=POLL_S)
def _follow(stem: str, dataset: str) -> None:
    """The build's progress, read from its file every ``POLL_S`` seconds; the page reruns once
    the map is there."""
    cache = artifact_cache(stem)
    progress = full_map.read_progress(cache, dataset) or {}
    started = st.session_state.get(map_build_started(stem))
    elapsed = f" · {time.monotonic() - started:.0f} s" if started else ""
    st.progress(float(progress.get("done", 0.0)), text=f"{progress.get('stage', 'working')}{elapsed}")
    if full_map.map_file(cache, dataset).is_file() or not full_map.building(cache, dataset):
        st.rerun()


@st.cache_resource(show_spinner=False, max_entries=4)
def _load(identity: str, path: str, mtime_ns: int) -> dict[str, np.ndarray] | None:
    # Keyed by the file's mtime: a map built after the first look is read, not a cached "missing".
    return full_map.read_map(Path(path)) if mtime_ns else None
