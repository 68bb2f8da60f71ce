"""Explore: one control per latent dimension, the decoded image, traversals, a shareable link.

The picture and the traversals are decoded in the browser while a control moves; the server
learns the latent when the control is released (for the link and the other pages).
"""

from __future__ import annotations

import random

import streamlit as st
import torch

from gen_core.eval.metric_keys import DIM_EFFECT
from gen_core.eval.smoothness import order_by_effect
from gen_core.latent.encoding import order_by_kl
from gen_core.latent.operations import traversal_grid, traversal_width, zero_latent
from gen_core.media.downloads import npy_bytes, sweep_gif
from gen_core.models import GenerativeModel
from ui.cached import kl_per_dim, pickable_images
from ui.catalog import get_model
from ui.decode_path import live_toggle
from ui.demo_download import demo_download
from ui.directions_panel import direction_panel
from ui.latent_controls import latent_controls
from ui.live_latent import live_panel, live_traversal
from ui.page import guarded, start_page
from ui.render import MEDIUM_PX, decoded_grid, download_png, show_picture
from ui.state import MAX_SEED, View, get_view, seed_view, set_view, write_url
from ui.timeline_view import timeline_panel
from ui.user_image import own_image_input, own_latent

TRAVERSAL_STEPS = 9
OWN_IMAGE_ASKED = "explore_own_asked"  # the model a person asked to start from their image


@torch.no_grad()
def encode_image(stem: str, index: int) -> None:
    mu = get_model(stem).encode(pickable_images(stem)[index:index + 1]).mean
    set_view(stem, mu[0].tolist(), origin=f"dataset image #{index}")


@guarded
def start_controls(stem: str, model: GenerativeModel) -> None:
    """Seed, random, reset and (VAE) encode-a-real-image: each replaces the whole view."""
    view = get_view(stem)
    images = len(pickable_images(stem)) if model.has_encoder else 0  # none: no probe set here
    cols = st.columns([2, 1, 1, 3] if images else [2, 1, 1])
    # Empty while the view came from elsewhere, so typing any seed, its old one too, starts from it.
    shown = view.seed if view.from_seed else None
    seed = cols[0].number_input("Seed", 0, MAX_SEED, shown, placeholder="type a seed",
                                key=f"seed_{stem}_{view.version}")
    if seed is not None and seed != shown:
        seed_view(stem, seed)
        st.rerun()
    cols[1].button("Random", key="random", on_click=lambda: seed_view(stem, random.randint(0, 99_999)))
    cols[2].button("Reset to zero", key="reset", on_click=set_view,
                   args=(stem, zero_latent(model.latent_spec).tolist()), kwargs={"origin": "the zero latent"})
    if images:
        with cols[3]:
            pick, go = st.columns([2, 1], vertical_alignment="bottom")
            index = pick.number_input("Dataset image #", 0, images - 1, 0, key="image_index")
            go.button("Encode it", key="encode", on_click=encode_image, args=(stem, int(index)))


@st.fragment
@guarded
def latent_panel(stem: str) -> None:
    """Controls, picture and traversals together, so a control change reruns only this fragment.

    The picture follows the controls in the browser; the server path below serves a model whose
    decoder the browser cannot run.
    """
    model, view = get_model(stem), get_view(stem)
    kl = kl_per_dim(stem) if model.has_encoder else None
    active, inactive = order_by_kl(kl) if kl is not None else (control_order(stem, model), [])
    caption = f"{stem} · from {view.origin}"
    url = live_toggle(stem).page_url
    if url is None:
        view = server_panel(stem, model, view, kl, active, inactive, caption)
    else:
        z = live_panel(stem, model, view, url, kl, active, inactive, caption)
        if z is not None:
            view = set_view(stem, z, moved=True)
    write_url(model=stem, seed=view.seed, z=view.z)
    png, latent = st.columns(2)
    with png:
        download_png(lambda: decoded_grid(model, view.z, 1), f"{stem}-{view.file_label}.png",
                     key="download_image")
    latent.download_button("Download latent (.npy)", npy_bytes(view.z),
                           file_name=f"{stem}-{view.file_label}-latent.npy",
                           mime="application/octet-stream", key="download_latent",
                           help="numpy.load reads it: one row of the model's latent, as the link carries it.")
    demo_download(stem, view)
    timeline_panel(stem, model, view.z)
    traversal_section(stem, model, view, url, active)
    direction_panel(stem, model, url)


def control_order(stem: str, model: GenerativeModel) -> list[int]:
    """A model without an encoder: its dimensions by measured effect size when the viewer wants
    (the card records it; ``gen_core.eval.smoothness``), else in their own order."""
    effects = model.card.metrics.get(DIM_EFFECT)
    if not (isinstance(effects, (list, tuple)) and len(effects) == model.latent_dim):
        return list(range(model.latent_dim))
    if st.toggle("Strongest dimensions first", value=True, key=f"order_by_effect_{stem}",
                 help="Controls ordered by how much each dimension changes the picture, in the "
                      "classifier's features (measured when the model was evaluated)."):
        return order_by_effect(list(effects))
    return list(range(model.latent_dim))


def server_panel(stem: str, model: GenerativeModel, view: View, kl: torch.Tensor | None,
                 active: list[int], inactive: list[int], caption: str) -> View:
    """The controls and the picture decoded here; returns the view the controls set."""
    controls, picture = st.columns([2, 3])
    with controls:
        view = set_view(stem, latent_controls(stem, model, view, kl, active, inactive), moved=True)
    with picture:
        show_picture(decoded_grid(model, view.z, 1), caption=caption)
    return view


def traversal_section(stem: str, model: GenerativeModel, view: View, url: str | None,
                      active: list[int]) -> None:
    st.subheader("Traversals")
    names = [d.name for d in model.latent_spec]
    chosen = st.multiselect("Dimensions to sweep across their range", active + [
        i for i in range(model.latent_dim) if i not in active], default=active[:3],
        format_func=lambda i: names[i], key=f"traverse_{stem}")
    if not chosen:
        st.info("Choose dimensions to see how the image changes along each.")
        return
    width = traversal_width(chosen, model.latent_spec, TRAVERSAL_STEPS)
    caption = ("One row per dimension, " + ", ".join(names[i] for i in chosen) +
               f", from its low to its high end in {width} steps (a category: each of its values).")
    st.caption(caption)
    if url is None:
        grid = traversal_grid(torch.tensor(view.z), chosen, model.latent_spec, TRAVERSAL_STEPS)
        show_picture(decoded_grid(model, grid, width), target_px=MEDIUM_PX * 3)
    else:
        live_traversal(stem, model, view, url, chosen, TRAVERSAL_STEPS, caption)
    def traversal_picture():
        return decoded_grid(model, traversal_grid(torch.tensor(view.z), chosen, model.latent_spec,
                                                  TRAVERSAL_STEPS), width)

    left, right = st.columns(2)
    with left:
        download_png(traversal_picture, f"{stem}-traversal.png", key="download_traversal",
                     label="Download traversal PNG")
    right.download_button("Download traversal GIF", lambda: traversal_gif(model, view.z, chosen),
                          file_name=f"{stem}-traversal.gif", mime="image/gif", key="download_traversal_gif")


@torch.no_grad()
def traversal_gif(model: GenerativeModel, z: list[float], dims: list[int]) -> bytes:
    """The traversal animated: each frame shows every chosen dimension at the same step."""
    grid = traversal_grid(torch.tensor(z), dims, model.latent_spec, TRAVERSAL_STEPS)
    images = model.decode(grid).reshape(len(dims), -1, *model.image_shape)  # [dims, steps, C, H, W]
    return sweep_gif(images.transpose(0, 1))


@guarded
def explore() -> None:
    stems = start_page("explore", "Explore")
    if not stems:
        return
    stem = stems[0]
    controls = st.container()
    own_image_start(stem)
    with controls:  # drawn above, but after a start from your image has replaced the view
        start_controls(stem, get_model(stem))
    latent_panel(stem)


def ask_to_start_from_own_image(stem: str) -> None:
    st.session_state[OWN_IMAGE_ASKED] = stem


@guarded
def own_image_start(stem: str) -> None:
    """Start from a photo or a drawing: its encoding, or for a GAN the latent inversion finds."""
    model = get_model(stem)
    how = "encodes it" if model.has_encoder else "searches its latent space for it (GAN inversion)"
    with st.expander("Start from your own image: a photo or a drawing", icon=":material/draw:"):
        st.caption(f"The picture is prepared as the dataset's images were; the model then {how}.")
        image = own_image_input("explore_own", model.image_shape)
        if image is None:
            return
        st.button("Start from this image", key="explore_own_go", on_click=ask_to_start_from_own_image,
                  args=(stem,))
        # The click is kept until the view has moved: a button's value lasts one run, and a run
        # cut short by another rerun (the live picture reporting in, a second click) during the
        # search would lose it, and the person's click with it.
        if st.session_state.get(OWN_IMAGE_ASKED) == stem:
            set_view(stem, own_latent(stem, image).tolist(), origin="your image")
            del st.session_state[OWN_IMAGE_ASKED]


explore()
