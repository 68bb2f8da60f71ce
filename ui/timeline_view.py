"""A model's training timeline in the app: its snapshots, the "Snapshot" slider every page shares,
Play, and Explore's panel (the same latent decoded by the model as it was at each snapshot).

Only a model whose card lists a timeline (``gen_core.files.timeline``) shows any of it. Each
snapshot is a model of its own, loaded once per process and identity; the pictures are decoded on
the server. Interpolate (``ui.path_timeline``) and the Latent Map (``ui.map_timeline``) build on
the pieces here.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import streamlit as st
import torch

from gen_core.files.checkpoint import load_snapshot, load_snapshot_bytes
from gen_core.media.downloads import timeline_gif
from gen_core.media.images import image_grid
from gen_core.models import GenerativeModel
from ui.catalog import model_ref, uploads
from ui.render import MEDIUM_PX, show_images, show_picture
from ui.session_keys import timeline_snapshot
from ui.state import write_url

PLAY_FRAME_S = 0.4  # how long "Play" shows each snapshot


def has_timeline(model: GenerativeModel) -> bool:
    """Whether the model's file keeps earlier weights to step through (two snapshots at least)."""
    return len(getattr(model.card, "timeline", ())) >= 2


def snapshot_model(stem: str, index: int) -> GenerativeModel:
    """The model named ``stem`` as it was at snapshot ``index`` of its timeline."""
    ref = model_ref(stem)
    if ref.uploaded:
        upload = uploads()[stem]
        return _upload_snapshot(ref.identity, index, upload.file_name, upload.data)
    return _file_snapshot(ref.identity, index, str(ref.path))


@st.cache_resource(show_spinner="Loading a training snapshot…", max_entries=64)
def _file_snapshot(identity: str, index: int, path: str) -> GenerativeModel:
    # Keyed by identity and index: a retrained file is another identity, never a stale snapshot.
    return load_snapshot(path, index)


@st.cache_resource(show_spinner="Loading a training snapshot…", max_entries=32)
def _upload_snapshot(identity: str, index: int, file_name: str, _data: bytes) -> GenerativeModel:
    return load_snapshot_bytes(_data, file_name, index)


def model_at(stem: str, model: GenerativeModel, index: int) -> GenerativeModel:
    """``model`` itself where snapshot ``index`` is its own final weights (so the browser may still
    decode it), else the model as it was at that snapshot."""
    snapshots = model.card.timeline
    if index == len(snapshots) - 1 and not snapshots[index].stored:
        return model
    return snapshot_model(stem, index)


def snapshot_slider(stem: str, model: GenerativeModel, help: str) -> int:
    """The "Snapshot" slider (one per model, kept across pages and carried by the link as
    ``snap=``), starting at the finished model; returns the chosen snapshot's index."""
    snapshots = model.card.timeline
    key = timeline_snapshot(stem)
    if key not in st.session_state:
        st.session_state[key] = len(snapshots) - 1
    index = st.select_slider("Snapshot", options=list(range(len(snapshots))), key=key,
                             format_func=lambda i: snapshots[i].label, help=help)
    write_url(snap=index)
    return index


def play_button(where, key: str, count: int, chosen: int, show: Callable[[int], None]) -> None:
    """A "Play" button in ``where`` (``st`` or a column) that shows each of ``count`` snapshots in
    turn, ``PLAY_FRAME_S`` apart, then the ``chosen`` one again (what the slider says); ``show(i)``
    draws snapshot ``i`` in place."""
    if where.button("Play", key=key, icon=":material/play_arrow:"):
        for i in range(count):
            show(i)
            time.sleep(PLAY_FRAME_S)
        show(chosen)


@torch.no_grad()
def snapshot_decodings(stem: str, model: GenerativeModel, latents: torch.Tensor) -> torch.Tensor:
    """Latents ``[B, D]`` decoded at every snapshot of ``stem``'s timeline: ``[T, B, C, H, W]``."""
    latents = torch.as_tensor(latents, dtype=torch.float32).reshape(-1, model.latent_dim)
    return torch.stack([snapshot_model(stem, i).decode(latents) for i in range(len(model.card.timeline))])


def timeline_panel(stem: str, model: GenerativeModel, z: list[float]) -> None:
    """Explore's strip of every snapshot, a slider choosing one shown large, "Play" and a GIF;
    nothing (and no ``snap=`` in the link) for a model without a timeline."""
    if not has_timeline(model):
        write_url(snap=None)
        return
    snapshots = model.card.timeline
    st.subheader("Training timeline")
    st.caption(f"This latent decoded by the model as it was at {len(snapshots)} points of its training, "
               "from the first steps to the end (spaced so the early steps are seen densely).")
    frames = snapshot_decodings(stem, model, torch.tensor(z))[:, 0]  # [T, C, H, W]
    show_images(frames, nrow=len(frames), target_px=MEDIUM_PX * 3)
    index = snapshot_slider(stem, model, "Where in its training the model decodes the picture below.")
    big = st.empty()

    def show(i: int) -> None:
        with big.container():
            show_picture(frames_picture(frames[i]), caption=f"{stem} · {snapshots[i].label}")

    show(index)
    play, gif = st.columns(2)
    play_button(play, f"timeline_play_{stem}", len(snapshots), index, show)
    gif.download_button("Download timeline GIF", lambda: timeline_gif(frames),
                        file_name=f"{stem}-timeline.gif", mime="image/gif", key=f"timeline_gif_{stem}")


def frames_picture(image: torch.Tensor) -> np.ndarray:
    """One decoded image ``[C, H, W]`` as a uint8 picture ``[H, W, C]``."""
    return image_grid(image[None], nrow=1, padding=0)
