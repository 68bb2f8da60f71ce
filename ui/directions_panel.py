"""Explore's directions: move the current latent along a named direction, decoded in the browser.

Which directions a model offers follows from what it can do, not from its family: class to class
where its latents can be labelled (encodings of the dataset's images, or prior samples read by
the dataset's classifier), GANSpace's principal directions for a model without an encoder, and
a direction per code (an InfoGAN's categories and continuous codes).
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from gen_core.data import CLASS_NAMES
from gen_core.latent.directions import (
    Direction,
    class_direction,
    code_directions,
    labelled_samples,
    principal_directions,
)
from gen_core.latent.operations import clamp_to_spec
from gen_core.media.downloads import sweep_gif as animated_sweep
from gen_core.models import GenerativeModel
from ui.cached import dataset_classifier, dataset_name, latent_map_data
from ui.catalog import get_model, model_ref
from ui.live_latent import live_grid
from ui.render import LARGE_PX, decoded_grid, show_picture
from ui.state import get_view, set_view

POSITIONS = 20  # slider positions on each side of the current latent
LABELLED_SAMPLES, PRINCIPAL_COUNT = 3000, 10
CLASS_TO_CLASS, PRINCIPAL, CODES = "Class to class", "Principal (GANSpace)", "Codes"
SWEEP_FRAMES = 17


def labelled_latents(stem: str) -> tuple[torch.Tensor, torch.Tensor, tuple[str, ...]] | None:
    """Latents ``[N, D]``, their classes ``[N]`` and the class names, or ``None`` when the model's
    latents cannot be labelled (no encoder and no classifier for its dataset, or no classes)."""
    return _labelled(stem, model_ref(stem).identity)


@st.cache_data(show_spinner="Labelling latents for class directions…", max_entries=16)
def _labelled(stem: str, identity: str) -> tuple[torch.Tensor, torch.Tensor, tuple[str, ...]] | None:
    model = get_model(stem)
    if model.has_encoder:  # the map's encodings of labelled images, cached on disk
        data = latent_map_data(stem)
        known = (data.labels >= 0) & torch.isfinite(data.latents).all(1)  # NaN has no place in a mean
        if data.class_names and bool(known.any()):
            return data.latents[known], data.labels[known], tuple(data.class_names)
        return None
    dataset = dataset_name(stem)
    classifier, names = dataset_classifier(dataset), CLASS_NAMES.get(dataset, ())
    if classifier is None or not names or tuple(classifier.config.image_shape) != tuple(model.image_shape):
        return None
    latents, labels = labelled_samples(model, classifier.eval(), LABELLED_SAMPLES,
                                       torch.Generator().manual_seed(0))
    return latents, labels, tuple(names)


@st.cache_data(show_spinner="Finding principal directions (GANSpace)…", max_entries=16)
def _principal(stem: str, identity: str) -> list[Direction]:
    seeded = torch.Generator().manual_seed(0)
    return principal_directions(get_model(stem), PRINCIPAL_COUNT, generator=seeded)[0]


def direction_kinds(stem: str, model: GenerativeModel) -> list[str]:
    kinds = [CLASS_TO_CLASS] if labelled_latents(stem) is not None else []
    if not model.has_encoder:
        kinds.append(PRINCIPAL)
    if code_directions(model):
        kinds.append(CODES)
    return kinds


def choose_direction(stem: str, model: GenerativeModel, kind: str) -> Direction | None:
    if kind == CLASS_TO_CLASS:
        latents, labels, names = labelled_latents(stem)
        present = [c for c in range(len(names)) if bool((labels == c).any())]
        left, right = st.columns(2)
        source = left.selectbox("From", present, index=min(4, len(present) - 1),
                                format_func=names.__getitem__, key=f"direction_from_{stem}")
        target = right.selectbox("To", present, index=min(9, len(present) - 1),
                                 format_func=names.__getitem__, key=f"direction_to_{stem}")
        if source == target:
            st.info("Choose two different classes.")
            return None
        vector = class_direction(latents, labels, source, target)
        return Direction(f"{names[source]} → {names[target]}", vector)
    choices = _principal(stem, model_ref(stem).identity) if kind == PRINCIPAL else code_directions(model)
    index = st.selectbox("Direction", range(len(choices)), format_func=lambda i: choices[i].name,
                         key=f"direction_{kind}_{stem}")
    return choices[index]


def sweep(model: GenerativeModel, z: list[float], direction: Direction, positions: int) -> torch.Tensor:
    """Latents ``[2 * positions + 1, D]``: ``z`` moved ``t * vector`` for ``t`` evenly from
    ``-span`` to ``span``, clamped into the latent spec."""
    steps = torch.linspace(-direction.span, direction.span, 2 * positions + 1)
    moved = torch.tensor(z, dtype=torch.float32) + steps[:, None] * direction.vector
    return clamp_to_spec(moved, model.latent_spec)


def sweep_gif(model: GenerativeModel, latents: torch.Tensor) -> bytes:
    """An animated GIF going along the sweep and back, at slide size."""
    picks = latents[np.linspace(0, len(latents) - 1, SWEEP_FRAMES).round().astype(int)]
    with torch.no_grad():
        return animated_sweep(model.decode(picks)[:, None])


def direction_panel(stem: str, model: GenerativeModel, url: str | None) -> None:
    """The directions expander on Explore: choose a direction, move along it, keep where you are."""
    # A toggle, not an expander: a closed expander's contents still run, and labelling latents
    # or finding principal directions is work to do only for someone who asked for it.
    if not st.toggle("Directions: move the picture along a class change, a principal direction or a code",
                     key=f"directions_on_{stem}"):
        return
    kinds = direction_kinds(stem, model)
    with st.container(border=True):
        if not kinds:
            st.info("This model offers no named directions: it has no encoder or classifier to label "
                    "its latents, no principal directions (it has an encoder) and no codes.")
            return
        kind = st.radio("Kind", kinds, horizontal=True, key=f"direction_kind_{stem}")
        direction = choose_direction(stem, model, kind)
        if direction is None:
            return
        view = get_view(stem)
        latents = sweep(model, view.z, direction, POSITIONS)
        caption = (f"{direction.name}: position p moves the Explore latent by p/{POSITIONS} × "
                   f"{direction.span:g} × the direction" + (" (p = 20: the full class-mean difference)"
                                                            if kind == CLASS_TO_CLASS else ""))
        if url is not None:
            grids = {p: (latents[p + POSITIONS][None], 1) for p in range(-POSITIONS, POSITIONS + 1)}
            position = live_grid(f"direction_grid_{stem}", model, url,
                                 ("Position", -POSITIONS, POSITIONS, 0), grids, LARGE_PX, caption)
        else:
            position = st.slider("Position", -POSITIONS, POSITIONS, 0, key=f"direction_position_{stem}")
            show_picture(decoded_grid(model, latents[position + POSITIONS], 1), caption=caption)
        chosen = latents[position + POSITIONS]
        left, right = st.columns(2)
        left.button("Set the Explore latent here", key=f"direction_keep_{stem}",
                    on_click=set_view, args=(stem, chosen.tolist()),
                    help="The controls above jump to this latent; the link follows.")
        right.download_button("Download the sweep as GIF", lambda: sweep_gif(model, latents),
                              file_name=f"{stem}-direction.gif", mime="image/gif",
                              key=f"direction_gif_{stem}")
