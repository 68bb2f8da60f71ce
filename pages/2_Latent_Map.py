"""Latent Map: encodings (VAE) or sampled latents (GAN) in 2-D, a GAN's also placed by what its
samples draw; select points to see them and their nearest latents; or two models' maps linked
side by side."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from gen_core.latent.encoding import encodings_name
from gen_core.latent.operations import clamp_to_spec
from gen_core.maps import full_map
from gen_core.maps.picture_map import REAL_IMAGES, picture_source
from gen_core.maps.projection import (
    MapData,
    ProjectionError,
    ProjectionParams,
    has_cached_projection,
    place_on_map,
    uses_umap,
)
from gen_core.media.downloads import map_csv, npy_bytes
from gen_core.models import GenerativeModel
from ui.cached import (
    READ_CLASSES,
    labelled_map_data,
    latent_map_data,
    picture_projection,
    picture_projection_stored,
    picture_reach,
    projection,
    server_has_images,
)
from ui.catalog import artifact_cache, get_model
from ui.decode_path import decode_path
from ui.full_map_view import chosen_full_map
from ui.linked_maps import linked_view, second_model_choice
from ui.map_figure import add_beneath, map_figure, selected_indices
from ui.map_timeline import map_timeline
from ui.map_walk import walk_map
from ui.page import guarded, start_page
from ui.picture_map_view import (
    PLACED_BY_PICTURE,
    UNREACHED,
    UNREACHED_MARKER,
    picture_layout,
    placed_by_picture,
    reach_caption,
)
from ui.point_neighbours import neighbours_panel, point_name
from ui.probe_upload import probe_upload_section
from ui.render import MEDIUM_PX, show_images
from ui.session_keys import MAP_SELECTION
from ui.state import get_view, set_view, write_url
from ui.text import plain
from ui.user_image import own_image_input, own_latent

METHODS = {"UMAP": "umap", "PCA (instant)": "pca"}
SELECT, WALK = "Select points", "Walk: decode anywhere"
MAX_WALKED = 10_000
SHOWN_ORIGINALS = 8


def projection_controls(stem: str, umap_ready: bool) -> ProjectionParams:
    """Method and UMAP knobs; UMAP is the default only where its fit is already cached."""
    cols = st.columns([2, 2, 2])
    method = cols[0].radio("Projection", list(METHODS), index=0 if umap_ready else 1,
                           horizontal=True, key=f"map_method_{stem}")
    if METHODS[method] == "pca":
        return ProjectionParams("pca")
    neighbours = cols[1].slider("n_neighbors", 5, 100, 15, key="map_neighbours")
    min_dist = cols[2].slider("min_dist", 0.0, 0.99, 0.1, 0.01, key="map_min_dist")
    return ProjectionParams("umap", neighbours, min_dist)


def open_in_explore(stem: str, z: torch.Tensor, origin: str) -> None:
    set_view(stem, z.tolist(), origin=origin)


@torch.no_grad()
def selection_panel(stem: str, model: GenerativeModel, data: MapData, coords: np.ndarray, method: str,
                    chosen: list[int]) -> None:
    if not chosen:
        st.info("Click a point to see it, or draw a lasso or box to decode the selection's mean latent.")
        return
    z = clamp_to_spec(data.latents[chosen].mean(0), model.latent_spec)  # a mean of class codes is none
    st.session_state.setdefault(MAP_SELECTION, {})[stem] = z.tolist()  # an operand for Arithmetic
    decoded = model.decode(z[None])
    if len(chosen) == 1:
        what = point_name(data, chosen[0])
        origin = f"map point {what}"
        if data.images is not None:
            show_images(torch.cat([data.images[chosen], decoded]), nrow=2, target_px=MEDIUM_PX * 2,
                        caption=f"{what}: original (left) and reconstruction (right)")
        else:
            shown = "its reconstruction" if model.has_encoder else "sampled latent"
            show_images(decoded, nrow=1, target_px=MEDIUM_PX, caption=f"{what}: {shown}")
        neighbours_panel(model, data, coords, chosen[0], method, key=f"map_neighbours_metric_{stem}")
    else:
        origin = f"the mean of {len(chosen)} map points"
        show_images(decoded, nrow=1, target_px=MEDIUM_PX,
                    caption=f"decoded mean latent of {len(chosen)} selected points")
        if data.images is not None:
            show_images(data.images[chosen[:SHOWN_ORIGINALS]], nrow=SHOWN_ORIGINALS,
                        target_px=MEDIUM_PX * 2, caption="some of the selected originals")
    if st.button("Open this latent in Explore", key="map_to_explore", on_click=open_in_explore,
                 args=(stem, z, origin)):
        st.switch_page("pages/1_Explore.py")


@guarded
def latent_map() -> None:
    stems = start_page("latent_map", "Latent Map")
    if not stems:
        return
    second = second_model_choice(stems[0])
    write_url(model2=second)
    if second is None:
        map_view(stems[0])
    else:
        write_url(model=stems[0])
        linked_view(stems[0], second)


@st.fragment
@guarded
def map_view(stem: str) -> None:
    """Projection controls, map and selection: a fragment, so using them reruns only this part."""
    model = get_model(stem)
    if model.has_encoder and not server_has_images(stem):
        probe_upload_section(model.card.dataset, model.image_shape)
    full, by_picture = chosen_full_map(stem, model), False
    if full is not None:  # the whole dataset, projected once in the background with UMAP's defaults
        data, read = full_map.as_map_data(full, latent_map_data(stem).class_names, model.card.dataset), False
        params, coords = ProjectionParams(), full["coords"]
    else:  # points without labels are coloured by their readings, never needed for the full map
        data, read = labelled_map_data(stem)
        by_picture = placed_by_picture(stem)
        umap = ProjectionParams("umap")
        params = projection_controls(stem, picture_projection_stored(stem, umap) if by_picture
                                     else has_cached_projection(artifact_cache(stem), data, umap))
        try:
            coords = picture_projection(stem, params) if by_picture else projection(stem, params)
        except ProjectionError as err:
            st.error(f"This model's map cannot be drawn: {plain(err)}.", icon=":material/block:")
            return
    latents = {"Explore latent": torch.tensor(get_view(stem).z)}
    with st.expander("Put your own image on the map: a photo or a drawing", icon=":material/draw:"):
        image = own_image_input("map_own", model.image_shape)
        if image is not None:
            latents["your image"] = own_latent(stem, image)
    method = "UMAP" if uses_umap(len(coords), params) else "PCA"
    why = " (too few points for UMAP)" if method != "UMAP" and params.method != "pca" else ""
    stars = torch.stack(list(latents.values()))
    if by_picture:  # the samples first, then the real images, drawn beneath them
        coords, real, places = picture_layout(stem, model, coords, len(data.latents), stars)
        reached = picture_reach(stem)
        st.caption(f"{method}{why} of {picture_source(len(coords), len(real))}, {READ_CLASSES}"
                   + PLACED_BY_PICTURE + " " + reach_caption(reached, model.card.metrics))
    else:
        places = place_on_map(stars.numpy(), data.latents.numpy(), coords)
        st.caption(f"{method}{why} of {data.source}"
                   + (f" ({encodings_name(model)})" if model.has_encoder else "")
                   + (f", {READ_CLASSES}" if read else "")
                   + ". Stars (the latent set on Explore, your image) sit among their nearest mapped "
                     "neighbours.")
    fig = map_figure(coords, data.labels.numpy(), data.class_names, dict(zip(latents, places, strict=True)))
    if by_picture:
        add_beneath(fig, real[~reached], UNREACHED, UNREACHED_MARKER)
        add_beneath(fig, real[reached], REAL_IMAGES)
    path = decode_path(stem)
    mode = st.segmented_control("Map", [SELECT, WALK], default=SELECT, key=f"map_mode_{stem}",
                                help="Select: click, box or lasso points. Walk: the picture follows the "
                                     "pointer anywhere on the map, decoded in this browser.")
    if mode == WALK and path.url is None:
        st.info("Walking needs the decoder in the browser, which this model's cannot run "
                f"({plain(path.why_not)}).")
    elif mode == WALK and by_picture:
        st.info("Walking decodes between the latents of nearby points, so it needs the map placed by latent.")
    if mode == WALK and path.url is not None and not by_picture:
        walk_view(stem, model, data, coords, path.url)
    else:
        left, right = st.columns([3, 2])
        with left:
            event = st.plotly_chart(fig, on_select="rerun", selection_mode=("points", "box", "lasso"),
                                    key=f"map_{stem}_{params.key()}")
        with right:
            selection_panel(stem, model, data, coords, method,
                            selected_indices(event, len(fig.data) - len(latents)))
    map_downloads(stem, data, coords, params)
    write_url(model=stem)
    map_timeline(stem, model)


def map_downloads(stem: str, data: MapData, coords: np.ndarray, params: ProjectionParams) -> None:
    left, right = st.columns(2)
    left.download_button("Download map (CSV: x, y, label, latent)",
                         lambda: map_csv(coords, data.labels.numpy(), data.class_names, data.latents),
                         file_name=f"{stem}-{params.key()}-map.csv", mime="text/csv", key="map_csv")
    right.download_button("Download latents (.npy)", lambda: npy_bytes(data.latents),
                          file_name=f"{stem}-map-latents.npy", mime="application/octet-stream", key="map_npy")


def walk_view(stem: str, model: GenerativeModel, data: MapData, coords, url: str) -> None:
    """The walkable map; a clicked place can be opened in Explore or used in Arithmetic.

    The page receives every walked point's latent, so a map larger than ``MAX_WALKED`` is walked
    on a fixed random ``MAX_WALKED`` of its points.
    """
    point_text = "its reconstruction" if model.has_encoder else "its decoding"
    keep = np.arange(len(coords))
    if len(keep) > MAX_WALKED:
        keep = np.sort(np.random.default_rng(0).choice(len(coords), MAX_WALKED, replace=False))
        st.caption(f"Walking {MAX_WALKED:,} of the {len(coords):,} points, chosen at random.")
    images = data.images[keep] if data.images is not None else None
    picked = walk_map(f"map_walk_{stem}", model, url, coords[keep], data.labels.numpy()[keep],
                      data.latents[keep], data.class_names, point_text, images)
    if picked is None:
        return
    st.session_state.setdefault(MAP_SELECTION, {})[stem] = picked.tolist()  # an operand for Arithmetic
    if st.button("Open the pinned place in Explore", key="map_walk_to_explore", on_click=open_in_explore,
                 args=(stem, picked, "a place on the map")):
        st.switch_page("pages/1_Explore.py")


latent_map()
