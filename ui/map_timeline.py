"""The Latent Map over a model's training timeline: the same points at each snapshot, aligned onto
the finished model's layout (``gen_core.maps.timeline``), a "Snapshot" slider and Play.

Only a model whose file keeps a timeline shows it. Each snapshot is projected with PCA, which is
instant, so the section never waits on UMAP.
"""

from __future__ import annotations

import itertools

import numpy as np
import streamlit as st

from gen_core.latent.encoding import encodings_name
from gen_core.maps.projection import ProjectionParams
from gen_core.maps.timeline import (
    ENCODINGS,
    cached_timeline_layouts,
    timeline_cache_kind,
    timeline_points_kind,
)
from gen_core.models import GenerativeModel
from ui.cached import dataset_classifier, dataset_name, labelled_map_data, latent_map_data, map_cache
from ui.catalog import model_ref
from ui.map_figure import map_figure
from ui.page import guarded
from ui.timeline_view import has_timeline, play_button, snapshot_model, snapshot_slider

TIMELINE_PARAMS = ProjectionParams("pca")
FIGURE_HEIGHT = 520
MARGIN = 0.05  # of each axis's span, so no point sits on the frame


@st.fragment
@guarded
def map_timeline(stem: str, model: GenerativeModel) -> None:
    """The map at each snapshot with its slider and Play; nothing for a model without a timeline."""
    if not has_timeline(model):
        return
    data = latent_map_data(stem)
    encodes = timeline_points_kind(data) == ENCODINGS
    st.subheader("The map over training")
    if not encodes and dataset_classifier(model.card.dataset) is None:
        st.caption("This map shows sampled latents, which are the same at every snapshot; with no "
                   "classifier for this dataset there is nothing of what they draw to map over training.")
        return
    layouts = timeline_layouts(stem, len(model.card.timeline))
    shown = (f"its images' encodings ({encodings_name(model)})" if encodes else
             "what the dataset's classifier sees in each sampled latent's picture (its features)")
    st.caption(f"The same {layouts.shape[1]:,} points at each snapshot: {shown}, projected with PCA, "
               "turned and mirrored onto the finished model's layout (Procrustes) and drawn at its size, so "
               "a point moves only as training moved it.")
    index = snapshot_slider(stem, model, "Where in its training the model maps the points below.")
    labelled = labelled_map_data(stem)[0]
    labels, names = labelled.labels.numpy(), labelled.class_names
    ranges = axis_ranges(layouts)
    chart, drawn = st.empty(), itertools.count()

    def show(i: int) -> None:
        fig = map_figure(layouts[i], labels, names)
        fig.update_layout(height=FIGURE_HEIGHT, title=model.card.timeline[i].label,
                          xaxis={"range": ranges[0]}, yaxis={"range": ranges[1]})
        chart.plotly_chart(fig, key=f"map_timeline_{stem}_{next(drawn)}")  # Play draws it again: new keys

    show(index)
    play_button(st, f"map_timeline_play_{stem}", len(layouts), index, show)


def timeline_layouts(stem: str, count: int) -> np.ndarray:
    """The aligned layouts ``[T, N, 2]`` of ``stem``'s map points at its ``count`` snapshots."""
    data = latent_map_data(stem)
    return _layouts(stem, model_ref(stem).identity, data.fingerprint, count)


@st.cache_data(show_spinner="Mapping every training snapshot…", max_entries=8)
def _layouts(stem: str, identity: str, fingerprint: str, count: int) -> np.ndarray:
    data = latent_map_data(stem)
    what = timeline_points_kind(data)
    classifier = None if what == ENCODINGS else dataset_classifier(dataset_name(stem))
    kind = timeline_cache_kind(data, what, TIMELINE_PARAMS)
    return cached_timeline_layouts(map_cache(stem), kind, count, data, lambda i: snapshot_model(stem, i),
                                   classifier, TIMELINE_PARAMS)


def axis_ranges(layouts: np.ndarray) -> tuple[list[float], list[float]]:
    """Fixed x and y ranges holding every snapshot's points ``[T, N, 2]``, so Play does not rescale."""
    points = layouts.reshape(-1, 2)
    low, high = points.min(0), points.max(0)
    pad = (high - low) * MARGIN
    x, y = ([float(low[d] - pad[d]), float(high[d] + pad[d])] for d in range(2))
    return x, y
