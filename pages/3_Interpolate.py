"""Interpolate: linear and spherical paths between two latents, and a four-corner blend."""

from __future__ import annotations

import streamlit as st
import torch

from gen_core.images import gif_bytes, image_grid
from gen_core.latent import bilinear_grid, clamp_to_spec, encode_means, lerp, seed_latent, slerp
from gen_core.models import GenerativeModel
from ui.cached import eval_images
from ui.catalog import get_model
from ui.page import guarded, start_page
from ui.render import LARGE_PX, crisp, download_png, show_images
from ui.state import MAX_SEED, SECOND_SEED, get_view, write_url

PICKABLE_IMAGES = 500
FROM_SEEDS, FROM_IMAGES = "Two seeds", "Two dataset images"


def seed_endpoints(model: GenerativeModel, seed_a: int) -> tuple[torch.Tensor, dict]:
    cols = st.columns(2)
    seed_a = cols[0].number_input("Seed A", 0, MAX_SEED, seed_a, key="interp_seed_a")
    seed_b = cols[1].number_input("Seed B", 0, MAX_SEED, key=SECOND_SEED)
    ends = torch.stack([seed_latent(model, seed_a), seed_latent(model, seed_b)])
    return ends, {"seed": seed_a, "seed2": seed_b}


def image_endpoints(stem: str, model: GenerativeModel) -> tuple[torch.Tensor, dict]:
    images = eval_images(stem, PICKABLE_IMAGES)
    cols = st.columns(2)
    picks = [cols[0].number_input("Image A #", 0, len(images) - 1, 0, key="interp_image_a"),
             cols[1].number_input("Image B #", 0, len(images) - 1, 1, key="interp_image_b")]
    show_images(images[picks], nrow=2, target_px=160, caption="the two encoded images")
    return encode_means(model, images[picks]), {}


def corner_latents(model: GenerativeModel, ends: torch.Tensor, seed: int) -> torch.Tensor:
    """A and B on top, two more seeds' latents below: ``[4, D]``."""
    extra = torch.stack([seed_latent(model, seed + 2), seed_latent(model, seed + 3)])
    return torch.cat([ends, extra])


@torch.no_grad()
def paths_section(stem: str, model: GenerativeModel, ends: torch.Tensor, steps: int) -> None:
    # Clamping keeps categorical codes (InfoGAN) whole and every value inside its slider's range.
    spec = model.latent_spec
    linear = model.decode(clamp_to_spec(lerp(ends[0], ends[1], steps), spec))
    spherical = model.decode(clamp_to_spec(slerp(ends[0], ends[1], steps), spec))
    st.subheader("Linear (lerp) above, spherical (slerp) below")
    grid = show_images(torch.cat([linear, spherical]), nrow=steps, target_px=LARGE_PX * 2)
    left, right = st.columns(2)
    with left:
        download_png(grid, f"{stem}-interpolation.png", key="download_paths")
    frames = [crisp(image_grid(img[None], padding=0), 192) for img in spherical]
    right.download_button("Download GIF (slerp, there and back)", gif_bytes(frames + frames[-2:0:-1]),
                          file_name=f"{stem}-slerp.gif", mime="image/gif", key="download_gif")


@torch.no_grad()
def corners_section(stem: str, model: GenerativeModel, corners: torch.Tensor) -> None:
    st.subheader("Four-corner blend")
    size = st.slider("Grid size", 3, 10, 6, key="corner_size")
    st.caption("Top corners are the endpoints A and B; the bottom corners are the latents of "
               "two further seeds. Every cell blends the four bilinearly.")
    blend = clamp_to_spec(bilinear_grid(corners, size), model.latent_spec)
    grid = show_images(model.decode(blend), nrow=size, target_px=LARGE_PX * 1.5)
    download_png(grid, f"{stem}-corners.png", key="download_corners", label="Download blend PNG")


@guarded
def interpolate() -> None:
    stems = start_page("interpolate", "Interpolate")
    if not stems:
        return
    stem, view = stems[0], get_view(stems[0])
    model = get_model(stem)
    st.session_state.setdefault(SECOND_SEED, view["seed"] + 1)
    sources = [FROM_SEEDS, FROM_IMAGES] if model.has_encoder else [FROM_SEEDS]
    source = st.radio("Endpoints from", sources, horizontal=True, key="interp_source")
    if source == FROM_SEEDS:
        ends, url = seed_endpoints(model, view["seed"])
    else:
        ends, url = image_endpoints(stem, model)
    steps = st.slider("Steps", 3, 16, 8, key="interp_steps")
    paths_section(stem, model, ends, steps)
    corners_section(stem, model, corner_latents(model, ends, int(url.get("seed", view["seed"]))))
    write_url(model=stem, **url)


interpolate()
