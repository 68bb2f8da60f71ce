"""Interpolate: linear and spherical paths between two latents, and a four-corner blend.

Both grids are decoded in the browser, so moving the step count or the blend size redraws them
at once; the server decodes only for downloads, and for a model the browser cannot run.
"""

from __future__ import annotations

import streamlit as st
import torch

from gen_core.latent.operations import bilinear_grid, clamp_to_spec, lerp, seed_latent, slerp
from gen_core.media.downloads import sweep_gif
from gen_core.models import GenerativeModel
from ui.cached import pickable_images
from ui.catalog import get_model
from ui.decode_path import decode_path
from ui.live_latent import live_grid
from ui.page import guarded, start_page
from ui.path_timeline import drawing_snapshot, path_timeline
from ui.render import LARGE_PX, decoded_grid, download_png, show_images, show_picture
from ui.session_keys import LINKED_IMAGES, SECOND_SEED
from ui.state import MAX_SEED, get_view, write_url
from ui.user_image import own_image_input, own_latent

FROM_SEEDS, FROM_IMAGES, FROM_OWN = "Two seeds", "Two dataset images", "Your image and a dataset image"
SOURCE_KEY, IMAGE_KEYS = "interp_source", ("interp_image_a", "interp_image_b")  # widget keys
NO_ENDPOINTS = {"seed": None, "seed2": None, "images": None}  # the link parameters the endpoints set


def seed_endpoints(model: GenerativeModel, seed_a: int) -> tuple[torch.Tensor, dict]:
    cols = st.columns(2)
    seed_a = cols[0].number_input("Seed A", 0, MAX_SEED, seed_a, key="interp_seed_a")
    seed_b = cols[1].number_input("Seed B", 0, MAX_SEED, key=SECOND_SEED)
    ends = torch.stack([seed_latent(model, seed_a), seed_latent(model, seed_b)])
    return ends, {**NO_ENDPOINTS, "seed": seed_a, "seed2": seed_b}


def image_endpoints(stem: str, model: GenerativeModel) -> tuple[torch.Tensor, dict]:
    images = pickable_images(stem)
    cols = st.columns(2)
    picks = [cols[0].number_input("Image A #", 0, len(images) - 1, 0, key=IMAGE_KEYS[0]),
             cols[1].number_input("Image B #", 0, len(images) - 1, 1, key=IMAGE_KEYS[1])]
    show_images(images[picks], nrow=2, target_px=160, caption=f"the two images, {how_found(model)}")
    ends = torch.stack([own_latent(stem, images[int(pick)][None]) for pick in picks])
    return ends, {**NO_ENDPOINTS, "images": [int(pick) for pick in picks]}


def own_endpoints(stem: str, model: GenerativeModel) -> tuple[torch.Tensor | None, dict]:
    """Endpoint A the person's picture, B a dataset image; ``None`` until there is a picture. A
    picture is not data a link can carry, so the link keeps neither seeds nor images."""
    picture = own_image_input("interp_own", model.image_shape)
    if picture is None:
        st.info("Upload or draw a picture: it becomes endpoint A.")
        return None, NO_ENDPOINTS
    images = pickable_images(stem)
    pick = int(st.columns(2)[0].number_input("Image B #", 0, len(images) - 1, 0, key="interp_own_b"))
    show_images(images[[pick]], nrow=1, target_px=80, caption=f"dataset image #{pick}")
    st.caption(f"Both {how_found(model)}.")
    return torch.stack([own_latent(stem, picture), own_latent(stem, images[pick][None])]), NO_ENDPOINTS


def how_found(model: GenerativeModel) -> str:
    return "encoded" if model.has_encoder else "searched for in the GAN's latent space (inversion)"


def open_linked_images(pair: tuple[int, int], count: int) -> None:
    """Start the endpoint controls at a link's two dataset images, where the model has them."""
    if max(pair) >= count or count < 2:
        st.warning(f"The link's images {pair[0]} and {pair[1]} are not among this model's {count} "
                   "dataset images; the endpoints are two seeds.")
        return
    st.session_state.update({SOURCE_KEY: FROM_IMAGES, IMAGE_KEYS[0]: pair[0], IMAGE_KEYS[1]: pair[1]})


def corner_latents(model: GenerativeModel, ends: torch.Tensor, seed: int) -> torch.Tensor:
    """A and B on top, two more seeds' latents below: ``[4, D]``."""
    extra = torch.stack([seed_latent(model, seed + 2), seed_latent(model, seed + 3)])
    return torch.cat([ends, extra])


STEPS, CORNER_SIZES = (3, 16, 8), (3, 10, 6)  # (low, high, default) of each control


def paths(model: GenerativeModel, ends: torch.Tensor, steps: int) -> torch.Tensor:
    """Linear then spherical path from A to B: ``[2 * steps, D]``.

    Clamping keeps categorical codes (InfoGAN) whole and every value inside its slider's range.
    """
    spec = model.latent_spec
    return torch.cat([clamp_to_spec(lerp(ends[0], ends[1], steps), spec),
                      clamp_to_spec(slerp(ends[0], ends[1], steps), spec)])


def blend(model: GenerativeModel, corners: torch.Tensor, size: int) -> torch.Tensor:
    return clamp_to_spec(bilinear_grid(corners, size), model.latent_spec)


def paths_section(stem: str, model: GenerativeModel, ends: torch.Tensor, url: str | None) -> int:
    """Both paths drawn, with their downloads; returns the steps chosen."""
    st.subheader("Linear (lerp) above, spherical (slerp) below")
    low, high, default = STEPS
    if url is None:
        steps = st.slider("Steps", low, high, default, key="interp_steps")
        show_picture(decoded_grid(model, paths(model, ends, steps), steps), target_px=LARGE_PX * 2)
    else:
        grids = {n: (paths(model, ends, n), n) for n in range(low, high + 1)}
        steps = live_grid("interp_paths", model, url, ("Steps", low, high, default), grids, LARGE_PX * 2,
                          "Linear and spherical paths between the endpoints")
    left, right = st.columns(2)
    with left:
        download_png(lambda: decoded_grid(model, paths(model, ends, steps), steps),
                     f"{stem}-interpolation.png", key="download_paths")

    @torch.no_grad()
    def slerp_gif() -> bytes:
        return sweep_gif(model.decode(paths(model, ends, steps)[steps:])[:, None], target_px=LARGE_PX)

    right.download_button("Download GIF (slerp, there and back)", slerp_gif, file_name=f"{stem}-slerp.gif",
                          mime="image/gif", key="download_gif")
    return steps


def corners_section(stem: str, model: GenerativeModel, corners: torch.Tensor, url: str | None) -> None:
    st.subheader("Four-corner blend")
    st.caption("Top corners are the endpoints A and B; the bottom corners are the latents of "
               "two further seeds. Every cell blends the four bilinearly.")
    low, high, default = CORNER_SIZES
    if url is None:
        size = st.slider("Grid size", low, high, default, key="corner_size")
        show_picture(decoded_grid(model, blend(model, corners, size), size), target_px=int(LARGE_PX * 1.5))
    else:
        grids = {n: (blend(model, corners, n), n) for n in range(low, high + 1)}
        size = live_grid("interp_corners", model, url, ("Grid size", low, high, default), grids,
                         int(LARGE_PX * 1.5), "Four-corner blend")
    download_png(lambda: decoded_grid(model, blend(model, corners, size), size), f"{stem}-corners.png",
                 key="download_corners", label="Download blend PNG")


@guarded
def interpolate() -> None:
    stems = start_page("interpolate", "Interpolate")
    if not stems:
        return
    interpolation(stems[0])


@st.fragment
@guarded
def interpolation(stem: str) -> None:
    """Endpoints, paths and blend: a fragment, so changing them never reruns the whole page."""
    view, model = get_view(stem), get_model(stem)
    st.session_state.setdefault(SECOND_SEED, view.seed + 1)
    count = len(pickable_images(stem))
    sources = [FROM_SEEDS, FROM_IMAGES, FROM_OWN] if count > 1 else [FROM_SEEDS]  # images to encode or invert
    if LINKED_IMAGES in st.session_state:
        open_linked_images(st.session_state.pop(LINKED_IMAGES), count)
    source = st.radio("Endpoints from", sources, horizontal=True, key=SOURCE_KEY)
    if source == FROM_SEEDS:
        ends, url = seed_endpoints(model, view.seed)
    elif source == FROM_IMAGES:
        ends, url = image_endpoints(stem, model)
    else:
        ends, url = own_endpoints(stem, model)
    if ends is None:
        write_url(model=stem, **url)
        return
    drawn, decoder = drawing_snapshot(stem, model, decode_path(stem).page_url)
    steps = paths_section(stem, drawn, ends, decoder)
    first_seed = view.seed if url.get("seed") is None else int(url["seed"])
    corners_section(stem, drawn, corner_latents(model, ends, first_seed), decoder)
    both = paths(model, ends, steps)
    path_timeline(stem, model, {"Linear (lerp)": both[:steps], "Spherical (slerp)": both[steps:]})
    write_url(model=stem, **url)


interpolate()
