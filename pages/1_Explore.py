"""Explore: one control per latent dimension, the decoded image, traversals, a shareable link."""

from __future__ import annotations

import random

import streamlit as st
import torch

from gen_core.latent import order_by_kl, traversal_grid, traversal_width, zero_latent
from gen_core.models import GenerativeModel
from ui.cached import eval_images, kl_per_dim
from ui.catalog import get_model
from ui.latent_controls import latent_controls
from ui.page import guarded, start_page
from ui.render import MEDIUM_PX, download_png, show_images
from ui.state import MAX_SEED, get_view, seed_view, set_view, write_url

TRAVERSAL_STEPS = 9
PICKABLE_IMAGES = 500


@torch.no_grad()
def encode_image(stem: str, index: int) -> None:
    mu, _ = get_model(stem).encode(eval_images(stem, PICKABLE_IMAGES)[index:index + 1])
    set_view(stem, get_view(stem)["seed"], mu[0].tolist())


@guarded
def start_controls(stem: str, model: GenerativeModel) -> None:
    """Seed, random, reset and (VAE) encode-a-real-image: each replaces the whole view."""
    view = get_view(stem)
    cols = st.columns([2, 1, 1, 3] if model.has_encoder else [2, 1, 1])
    seed = cols[0].number_input("Seed", 0, MAX_SEED, view["seed"], key=f"seed_{stem}_{view['version']}")
    if seed != view["seed"]:
        seed_view(stem, seed)
        st.rerun()
    cols[1].button("Random", key="random", on_click=lambda: seed_view(stem, random.randint(0, 99_999)))
    cols[2].button("Reset to zero", key="reset",
                   on_click=lambda: set_view(stem, view["seed"], zero_latent(model.latent_spec).tolist()))
    if model.has_encoder:
        with cols[3]:
            pick, go = st.columns([2, 1], vertical_alignment="bottom")
            index = pick.number_input("Dataset image #", 0, PICKABLE_IMAGES - 1, 0, key="image_index")
            go.button("Encode it", key="encode", on_click=encode_image, args=(stem, int(index)))


@st.fragment
@guarded
def latent_panel(stem: str) -> None:
    """Controls and image together, so moving a slider reruns only this fragment."""
    model, view = get_model(stem), get_view(stem)
    kl = kl_per_dim(stem) if model.has_encoder else None
    active, inactive = order_by_kl(kl) if kl is not None else (list(range(model.latent_dim)), [])
    controls, picture = st.columns([2, 3])
    with controls:
        z = latent_controls(stem, model.latent_spec, view, kl, active, inactive)
    view["z"] = z
    write_url(model=stem, seed=view["seed"], z=z)
    with torch.no_grad():
        image = model.decode(torch.tensor([z]))
    with picture:
        grid = show_images(image, nrow=1, caption=f"{stem} · seed {view['seed']}")
        download_png(grid, f"{stem}-seed{view['seed']}.png", key="download_image")
    traversal_section(stem, model, torch.tensor(z), active)


def traversal_section(stem: str, model: GenerativeModel, z: torch.Tensor, active: list[int]) -> None:
    st.subheader("Traversals")
    names = [d.name for d in model.latent_spec]
    chosen = st.multiselect("Dimensions to sweep across their range", active + [
        i for i in range(model.latent_dim) if i not in active], default=active[:3],
        format_func=lambda i: names[i], key=f"traverse_{stem}")
    if not chosen:
        st.info("Choose dimensions to see how the image changes along each.")
        return
    with torch.no_grad():
        images = model.decode(traversal_grid(z, chosen, model.latent_spec, TRAVERSAL_STEPS))
    width = traversal_width(chosen, model.latent_spec, TRAVERSAL_STEPS)
    st.caption("One row per dimension, " + ", ".join(names[i] for i in chosen) +
               f", from its low to its high end in {width} steps (a category: each of its values).")
    grid = show_images(images, nrow=width, target_px=MEDIUM_PX * 3)
    download_png(grid, f"{stem}-traversal.png", key="download_traversal", label="Download traversal PNG")


@guarded
def explore() -> None:
    stems = start_page("explore", "Explore")
    if not stems:
        return
    stem = stems[0]
    start_controls(stem, get_model(stem))
    latent_panel(stem)


explore()
