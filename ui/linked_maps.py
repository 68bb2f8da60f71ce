"""The Latent Map's second, linked map: a second model of the same dataset beside the first.

Points pair image by image when both models encode the same probe images, else by class (a
GAN's samples, read by the dataset's classifier). Choosing points in one map (a click, a box or
lasso, or a class) lights up their partners in the other, and both models' pictures of them are
shown. For image pairs each point also carries how far the two latent spaces agree on its
neighbours (``gen_core.maps.linked.neighbour_overlap``).
"""

from __future__ import annotations

import functools

import numpy as np
import streamlit as st
import torch

from gen_core.maps.linked import BY_IMAGE, OVERLAP_NEIGHBOURS, Pairing, linked_points, pair_maps
from gen_core.maps.projection import MapData, ProjectionParams, has_cached_projection
from gen_core.media.downloads import linked_map_csv
from gen_core.media.images import crisp, image_grid, to_pil
from ui.cached import (
    latent_map_data,
    linked_layout,
    linked_overlap,
    map_cache,
    map_classes,
    probe,
    projection,
)
from ui.catalog import get_model, model_card, usable_stems
from ui.map_figure import light_up, map_figure, score_figure, selected_indices
from ui.page import guarded
from ui.session_keys import LINKED_MODEL, LINKED_OVERLAYS, LINKED_PICK, LINKED_SOURCE
from ui.text import plain, plotly_text

NO_SECOND = "none"
BY_CLASS_COLOUR, BY_OVERLAP_COLOUR = "Class", "Neighbour overlap"
SHOWN = 8
PICTURE_PX = 84  # one chosen point's picture, so a row of eight fits under a map
SIDES = ("a", "b")


def second_model_choice(first: str) -> str | None:
    """The sidebar's choice of a second model of the same dataset to link with ``first``."""
    dataset = model_card(first).dataset
    options = [s for s in usable_stems() if s != first and model_card(s).dataset == dataset]
    if not options:
        return None
    wanted = st.session_state.get(LINKED_MODEL)
    index = options.index(wanted) + 1 if wanted in options else 0
    with st.sidebar:
        choice = st.selectbox("Linked map: a second model", [NO_SECOND, *options], index=index,
                              key=LINKED_PICK,
                              help="Draw a second model of the same dataset beside the first, in the same "
                                   "frame; choosing points in one map lights them up in the other.")
    st.session_state[LINKED_MODEL] = None if choice == NO_SECOND else choice
    return st.session_state[LINKED_MODEL]


def pairing_of(stem_a: str, stem_b: str) -> Pairing | None:
    """Image pairs for two encoders of the same probe images, else class pairs; ``None`` when a
    side's classes cannot be read (no classifier for the dataset)."""
    data_a, data_b = latent_map_data(stem_a), latent_map_data(stem_b)
    encoded = data_a.images is not None and data_b.images is not None
    if encoded and data_a.fingerprint == data_b.fingerprint:
        return pair_maps(True, data_a.labels.numpy(), data_b.labels.numpy())
    classes_a, classes_b = map_classes(stem_a), map_classes(stem_b)
    return None if classes_a is None or classes_b is None else pair_maps(False, classes_a, classes_b)


def _remember(source: str) -> None:
    st.session_state[LINKED_SOURCE] = source


def lit_points(keys: dict[str, str], pairing: Pairing, picked_class: int | None) -> dict[str, list[int]]:
    """The chosen points of each map (``a``, ``b``): the last-used map's selection and its partners
    in the other, or every point of the picked class."""
    source = st.session_state.get(LINKED_SOURCE, "a")
    if source == "class" and picked_class is not None:
        return {"a": np.flatnonzero(pairing.classes_a == picked_class).tolist(),
                "b": np.flatnonzero(pairing.classes_b == picked_class).tolist()}
    side = source if source in SIDES else "a"
    chosen = selected_indices(st.session_state.get(keys[side]), 1 << 30)  # every trace is data
    other = linked_points(chosen, pairing, from_a=side == "a")
    return {side: chosen, "b" if side == "a" else "a": other}


def overlays(keys: dict[str, str], lit: dict[str, list[int]]) -> dict[str, list[int]]:
    """The lit-up points each map draws. Streamlit ties a chart's selection to its figure, so the
    map being selected in keeps the figure it had (its own selection shows natively); only the
    other map's is redrawn with its partners."""
    source = st.session_state.get(LINKED_SOURCE, "a")
    drawn = st.session_state.setdefault(LINKED_OVERLAYS, {})
    for side in SIDES:
        if side != source or keys[side] not in drawn:
            drawn[keys[side]] = [] if side == source else lit[side]
    return {side: drawn[keys[side]] for side in SIDES}


@st.fragment
@guarded
def linked_view(stem_a: str, stem_b: str) -> None:
    """Both maps in one frame, the chosen points lit up in each, their pictures, the overlap score."""
    pairing = pairing_of(stem_a, stem_b)
    if pairing is None:
        st.info("These maps cannot be linked: a GAN's points are paired by the class the dataset's "
                "classifier reads in them, and this server has no classifier for this dataset.")
        return
    data = {"a": latent_map_data(stem_a), "b": latent_map_data(stem_b)}
    ready = all(has_cached_projection(map_cache(s), data[side], ProjectionParams("umap"))
                for side, s in zip(SIDES, (stem_a, stem_b), strict=True))
    cols = st.columns(3)
    method = cols[0].radio("Projection", ["UMAP", "PCA (instant)"], index=0 if ready else 1, horizontal=True,
                           key="linked_method")
    params = ProjectionParams("umap" if method == "UMAP" else "pca")
    colours = [BY_CLASS_COLOUR] + ([BY_OVERLAP_COLOUR] if pairing.by == BY_IMAGE else [])
    colour = cols[1].radio("Colour by", colours, horizontal=True, key="linked_colour")
    names = class_names(stem_a, data, pairing)
    picked = cols[2].selectbox("Light up a class", [None, *range(len(names))], key="linked_class",
                               format_func=lambda c: "—" if c is None else names[c],
                               on_change=_remember, args=("class",))
    coords = {"a": projection(stem_a, params), "b": linked_layout(stem_a, stem_b, pairing, params)}
    overlap = linked_overlap(stem_a, stem_b) if pairing.by == BY_IMAGE else None
    explain(pairing, overlap)
    keys = {side: f"linked_{side}_{stem_a}_{stem_b}_{params.key()}_{colour}" for side in SIDES}
    lit = lit_points(keys, pairing, picked)
    drawn = overlays(keys, lit)
    stems = {"a": stem_a, "b": stem_b}
    classes = {"a": pairing.classes_a, "b": pairing.classes_b}  # labels, or a GAN's read classes
    for side, column in zip(SIDES, st.columns(2), strict=True):
        fig = (score_figure(coords[side], overlap, f"{OVERLAP_NEIGHBOURS}-NN overlap")
               if colour == BY_OVERLAP_COLOUR else map_figure(coords[side], classes[side], names))
        light_up(fig, coords[side], drawn[side], "linked")
        fig.update_layout(height=480, title={"text": plotly_text(stems[side])})
        with column:
            st.plotly_chart(fig, on_select=functools.partial(_remember, side),
                            selection_mode=("points", "box", "lasso"), key=keys[side])
    chosen_pictures(stems, data, lit, pairing)
    if overlap is not None:
        st.download_button("Download linked maps (CSV: index, label, xA, yA, xB, yB, overlap)",
                           lambda: linked_map_csv(coords["a"], coords["b"], data["a"].labels.numpy(),
                                                  overlap),
                           file_name=f"{stem_a}-{stem_b}-{params.key()}-linked.csv", mime="text/csv",
                           key="linked_csv")


def class_names(stem_a: str, data: dict[str, MapData], pairing: Pairing) -> tuple[str, ...]:
    """The dataset's class names: a map's, else the probe set's (a GAN pair), else the numbers."""
    found = probe(stem_a)
    names = data["a"].class_names or data["b"].class_names or (found.data.class_names if found else ())
    count = int(max(pairing.classes_a.max(initial=-1), pairing.classes_b.max(initial=-1))) + 1
    return names if len(names) >= count else tuple(str(c) for c in range(count))


def explain(pairing: Pairing, overlap: np.ndarray | None) -> None:
    if pairing.by == BY_IMAGE:
        st.caption("Both maps show the same images, and the second map is turned and scaled onto the "
                   "first (Procrustes over the image pairs), so a point sits near its partner where the "
                   f"models agree. Neighbour overlap: the share of an image's {OVERLAP_NEIGHBOURS} nearest "
                   "neighbours that both models' latent spaces (their encodings, Euclidean) agree on; "
                   f"the mean over these images is **{overlap.mean():.2f}** (1: the same neighbourhoods; "
                   f"about {OVERLAP_NEIGHBOURS / len(overlap):.3f} for unrelated spaces).")
    else:
        st.caption("Linked by class: a GAN's samples are not the same images as the other map's, so "
                   "points pair only by class (a GAN sample's class is what the dataset's classifier "
                   "reads in its picture), and choosing points lights up every point of their classes "
                   "in the other map. The second map is aligned onto the first by class centroids. No "
                   "per-point neighbour overlap here: without the same images there is no neighbourhood "
                   "to compare, and over ten class centroids the score would say more about the "
                   "classifier than about the models.")


@torch.no_grad()
def chosen_pictures(stems: dict[str, str], data: dict[str, MapData], lit: dict[str, list[int]],
                    pairing: Pairing) -> None:
    """The chosen points' pictures from both models: for image pairs one grid (the originals, then
    each model's reconstruction), for class pairs each model's decodings of its lit points."""
    if not lit["a"] and not lit["b"]:
        st.info("Click a point, draw a box or lasso in either map, or light up a class: the same "
                + ("images" if pairing.by == BY_IMAGE else "class") + " light up in the other map.")
        return
    decoded = {side: get_model(stems[side]).decode(data[side].latents[lit[side][:SHOWN]]) for side in SIDES}
    if pairing.by == BY_IMAGE:
        shown = lit["a"][:SHOWN]
        rows = [data["a"].images[shown]] if data["a"].images is not None else []
        show_small(torch.cat([*rows, decoded["a"], decoded["b"]]), nrow=len(shown),
                   caption=f"{len(lit['a'])} chosen images ({len(shown)} shown). Rows: "
                           + ("the originals, " if rows else "")
                           + f"{plain(stems['a'])}'s and {plain(stems['b'])}'s reconstructions")
        return
    for side in SIDES:
        if len(decoded[side]):
            show_small(decoded[side], nrow=len(decoded[side]),
                       caption=f"{plain(stems[side])}: {len(lit[side])} points of the chosen classes "
                               f"({len(decoded[side])} shown), decoded")


def show_small(images: torch.Tensor, nrow: int, caption: str) -> None:
    """Images ``[B, C, H, W]`` in a grid of ``nrow`` columns, each about ``PICTURE_PX`` wide, shown at
    that size (an image narrower than its column would otherwise be stretched, blurred, to fill it)."""
    grid = image_grid(images, nrow=nrow)
    cells = max(nrow, -(-len(images) // nrow))
    picture = crisp(grid, PICTURE_PX * cells)
    st.image(to_pil(picture), caption=caption, output_format="PNG", width=picture.shape[1])
