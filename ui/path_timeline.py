"""Interpolate over a model's training timeline: which snapshot draws the page, and one path
decoded at every snapshot (rows = snapshots, columns = steps) with its GIF.

Only a model whose file keeps a timeline (``ui.timeline_view.has_timeline``) shows any of this.
"""

from __future__ import annotations

import streamlit as st
import torch

from gen_core.media.downloads import timeline_gif
from gen_core.models import GenerativeModel
from ui.render import LARGE_PX, MEDIUM_PX, show_images
from ui.state import write_url
from ui.timeline_view import has_timeline, model_at, snapshot_decodings, snapshot_slider

GRID_PX = MEDIUM_PX * 2  # the path × snapshot grid's width: compact, one row per snapshot


def drawing_snapshot(stem: str, model: GenerativeModel, decoder_url: str | None
                     ) -> tuple[GenerativeModel, str | None]:
    """The model the page draws its paths and blend with, and where they are decoded: for a model
    with a timeline, the snapshot its slider chooses (an earlier one decoded on the server, as the
    browser holds only the finished decoder); else ``model`` and ``decoder_url`` as they are."""
    if not has_timeline(model):
        write_url(snap=None)
        return model, decoder_url
    index = snapshot_slider(stem, model, "Which point of its training the model draws the paths and "
                                         "the blend below at; the path over training further down "
                                         "shows every snapshot at once.")
    drawn = model_at(stem, model, index)
    if drawn is not model:
        st.caption(f"Drawn by {stem} as it was at {model.card.timeline[index].label}, decoded on the server.")
    return drawn, decoder_url if drawn is model else None


def path_timeline(stem: str, model: GenerativeModel, named_paths: dict[str, torch.Tensor]) -> None:
    """One of ``named_paths`` (each ``[S, D]``, a person picks which) decoded at every snapshot: a
    grid of one row per snapshot, and its GIF; nothing for a model without a timeline."""
    if not has_timeline(model):
        return
    snapshots = model.card.timeline
    st.subheader("The path over training")
    kind = st.radio("Path", list(named_paths), index=len(named_paths) - 1, horizontal=True,
                    key="interp_timeline_path")
    path = named_paths[kind]
    frames = snapshot_decodings(stem, model, path)  # [T, S, C, H, W]
    st.caption(f"The same path from A to B in {len(path)} steps (columns), decoded by the model as it was "
               f"at each of {len(snapshots)} points of its training (rows, top to bottom: "
               f"{snapshots[0].label} … {snapshots[-1].label}).")
    show_images(frames.flatten(0, 1), nrow=len(path), target_px=GRID_PX)
    st.download_button("Download GIF (the path over training)",
                       lambda: timeline_gif(frames, target_px=LARGE_PX * 2),
                       file_name=f"{stem}-path-timeline.gif", mime="image/gif", key="interp_timeline_gif")
