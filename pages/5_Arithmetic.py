"""Latent arithmetic: A − B + C, each operand a seed, a dataset image, your own image or a map
selection; the three operands and the result side by side, the result opens in Explore.

The classic use: a "smiling woman − neutral woman + neutral man" of face GANs; here, a digit's
style carried to another digit (a slanted 7 − an upright 7 + an upright 1).
"""

from __future__ import annotations

import streamlit as st
import torch

from gen_core.latent.operations import clamp_to_spec, seed_latent
from gen_core.models import GenerativeModel
from ui.cached import pickable_images
from ui.catalog import get_model
from ui.page import guarded, start_page
from ui.render import LARGE_PX, MEDIUM_PX, decoded_grid, download_png, show_picture
from ui.session_keys import MAP_SELECTION
from ui.state import MAX_SEED, set_view, write_url
from ui.user_image import own_image_input, own_latent

SEED, DATASET, OWN, MAP = "Seed", "Dataset image", "Your image", "Map selection"
OPERANDS = (("A", 1), ("B", 2), ("C", 3))  # name and default seed


def operand(stem: str, model: GenerativeModel, name: str, default_seed: int) -> torch.Tensor | None:
    """One operand's latent ``[D]`` from the source the person picks, drawn small below it."""
    images = pickable_images(stem)
    kinds = ([SEED, DATASET, OWN] if len(images) else [SEED, OWN])  # no dataset images here: none to pick
    kinds += [MAP] if stem in st.session_state.get(MAP_SELECTION, {}) else []
    kind = st.radio(f"{name} from", kinds, key=f"arith_kind_{name}")
    if kind == SEED:
        seed = st.number_input(f"{name}: seed", 0, MAX_SEED, default_seed, key=f"arith_seed_{name}")
        z = seed_latent(model, int(seed))
    elif kind == DATASET:
        last = len(images) - 1
        index = st.number_input(f"{name}: dataset image #", 0, last, min(default_seed, last),
                                key=f"arith_image_{name}")
        z = own_latent(stem, images[int(index)][None])
    elif kind == OWN:
        image = own_image_input(f"arith_own_{name}", model.image_shape)
        if image is None:
            st.info("Upload or draw a picture.")
            return None
        z = own_latent(stem, image)
    else:
        z = torch.tensor(st.session_state[MAP_SELECTION][stem])
    show_picture(decoded_grid(model, z, 1), target_px=MEDIUM_PX, caption=name)
    return z


@guarded
def arithmetic() -> None:
    stems = start_page("arithmetic", "Latent arithmetic")
    if not stems:
        return
    stem = stems[0]
    model = get_model(stem)
    st.caption("The result is A − B + C: what separates A from B, added to C. Dataset images and your "
               "own are encoded, or for a GAN found by inversion.")
    columns = st.columns(3)
    latents = {}
    for column, (name, seed) in zip(columns, OPERANDS, strict=True):
        with column:
            latents[name] = operand(stem, model, name, seed)
    if any(z is None for z in latents.values()):
        return
    result = clamp_to_spec(latents["A"] - latents["B"] + latents["C"], model.latent_spec)
    st.subheader("A − B + C")
    operands = torch.stack([latents["A"], latents["B"], latents["C"], result])
    show_picture(decoded_grid(model, operands, 4), target_px=LARGE_PX * 2,
                 caption="A, B, C and the result A − B + C")
    left, right = st.columns(2)
    if left.button("Open the result in Explore", key="arith_open", type="primary"):
        set_view(stem, result.tolist(), origin="latent arithmetic")
        st.switch_page("pages/1_Explore.py")
    with right:
        download_png(lambda: decoded_grid(model, operands, 4), f"{stem}-arithmetic.png", key="arith_png")
    write_url(model=stem)


arithmetic()
