"""The Latent Map's panel for one clicked point: its nearest latents, shown as pictures with their
distances, and how many of them the map draws near it (``gen_core.maps.neighbours``)."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from gen_core.maps.neighbours import COSINE, EUCLIDEAN, SHOWN_NEIGHBOURS, neighbours_on_map
from gen_core.maps.projection import MapData
from gen_core.models import GenerativeModel
from ui.render import MEDIUM_PX, show_images
from ui.text import plain

METRIC_NAMES = {"Euclidean": EUCLIDEAN, "cosine": COSINE}
PER_ROW = 4


def point_name(data: MapData, index: int) -> str:
    """``#index``, with its class where the map knows one (a label, or a GAN sample's reading)."""
    label = int(data.labels[index])
    return f"#{index} · {data.class_names[label]}" if 0 <= label < len(data.class_names) else f"#{index}"


@torch.no_grad()
def neighbours_panel(model: GenerativeModel, data: MapData, coords: np.ndarray, index: int,
                     map_name: str, key: str) -> None:
    """Point ``index``'s nearest latents ``data.latents`` ``[N, D]`` (originals where the map holds
    its images, else their decodings) and how many of them are near it on the map ``coords``
    ``[N, 2]``."""
    metric = st.radio("Nearest latents by", list(METRIC_NAMES), horizontal=True, key=key,
                      help="Distances between the latents themselves, not on the map: cosine compares "
                           "directions only.")
    found = neighbours_on_map(data.latents.numpy(), coords, index, SHOWN_NEIGHBOURS, METRIC_NAMES[metric])
    if not len(found.indices):
        return
    chosen = torch.as_tensor(found.indices)
    originals = data.images is not None
    pictures = data.images[chosen] if originals else model.decode(data.latents[chosen])
    shown = "" if originals else " (decoded)"
    show_images(pictures, nrow=PER_ROW, target_px=MEDIUM_PX,
                caption=f"its {len(chosen)} nearest latents{shown}, nearest first")
    st.caption(", ".join(f"{plain(point_name(data, int(i)))} ({d:.3g})"  # class names are data, not markup
                         for i, d in zip(found.indices, found.distances, strict=True)) + ".")
    st.caption(f"The {map_name} map draws **{found.kept_on_map} of these {len(chosen)}** among this "
               f"point's {len(chosen)} nearest map points: the fewer, the less its neighbourhood on the "
               "map is its neighbourhood in the latent space.")
