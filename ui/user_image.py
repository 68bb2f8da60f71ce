"""A person's own picture, uploaded or drawn on a pad, prepared as the dataset's images were.

The prepared image is kept for the session, so Explore, the Latent Map and Compare all show the
same one until it is replaced or cleared.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

import streamlit as st
import torch

from gen_core.latent.encoding import to_latent
from gen_core.media.images import UserImageError, from_user_image, open_user_image
from gen_core.models import GenerativeModel
from ui.cached import dataset_classifier, dataset_name
from ui.catalog import get_model, model_ref
from ui.in_page import in_page_component
from ui.render import MEDIUM_PX, show_images
from ui.session_keys import OWN_IMAGE, OWN_LATENTS
from ui.text import plain

# Session state: (digest of the bytes and shape, original PIL image, prepared [1, C, H, W]).
PAD_SIZE_PX, PAD_PEN_PX = 280, 22  # MNIST's pen: about 2.2 pixels of the 28, at 10x
PNG_DATA_URL = "data:image/png;base64,"
MAX_DRAWING_BYTES = 2 * 2**20
UPLOAD, DRAW = "Upload a picture", "Draw"
_pad = in_page_component("latent_atlas_drawing_pad", "drawing_pad.js")


def own_image_input(key: str, image_shape: tuple[int, int, int]) -> torch.Tensor | None:
    """Upload or draw a picture; returns it prepared ``[1, C, H, W]`` (or the session's earlier one)."""
    source = st.segmented_control("Your image", [UPLOAD, DRAW], default=UPLOAD, key=f"{key}_source")
    try:
        if source == DRAW:
            data = _drawn(st.columns([1, 2])[0], key)
        else:
            upload = st.file_uploader("A photo or a scan (PNG, JPEG, WebP, GIF or BMP)", key=f"{key}_file",
                                      type=["png", "jpg", "jpeg", "webp", "gif", "bmp"])
            data = upload.getvalue() if upload is not None else None
        stored = st.session_state.get(OWN_IMAGE)
        digest = f"{hashlib.sha256(data).hexdigest()}-{image_shape}" if data is not None else None
        if digest is not None and (stored is None or stored[0] != digest):  # prepared once per picture
            picture = open_user_image(data)
            st.session_state[OWN_IMAGE] = (digest, picture, from_user_image(picture, image_shape))
    except UserImageError as err:
        st.error(f"This picture cannot be used: {plain(err)}.", icon=":material/block:")
        return None
    stored = st.session_state.get(OWN_IMAGE)
    if stored is None or tuple(stored[2].shape[1:]) != tuple(image_shape):
        return None
    _, original, prepared = stored
    left, right = st.columns(2)
    left.image(original.convert("RGB"), caption="your picture", width=MEDIUM_PX)
    with right:
        show_images(prepared, nrow=1, target_px=MEDIUM_PX, caption="what the model sees")
    return prepared


def _drawn(column, key: str) -> bytes | None:
    """The pad's drawing as PNG bytes, or ``None`` while it is empty."""
    with column:
        result = _pad(key=f"{key}_pad", data={"size": PAD_SIZE_PX, "pen": PAD_PEN_PX}, default={"png": None},
                      on_png_change=lambda: None)
    url = result.png
    if not isinstance(url, str) or not url.startswith(PNG_DATA_URL):
        return None
    if len(url) > MAX_DRAWING_BYTES * 4 // 3 + len(PNG_DATA_URL):
        raise UserImageError("the drawing is larger than a drawing pad can make")
    try:
        return base64.b64decode(url[len(PNG_DATA_URL):], validate=True)
    except binascii.Error:
        raise UserImageError("the drawing did not arrive as a PNG") from None


def own_latent(stem: str, image: torch.Tensor) -> torch.Tensor:
    """The latent ``[D]`` of a prepared image for ``stem``: its encoding, or a GAN inversion with a
    progress bar; kept for the session, so each model searches for each image once."""
    model = get_model(stem)
    found = st.session_state.setdefault(OWN_LATENTS, {})
    key = (model_ref(stem).identity, hashlib.sha256(image.numpy().tobytes()).hexdigest())
    if key not in found:
        found[key] = _search(model, image, dataset_classifier(dataset_name(stem)))
    return found[key]


def _search(model: GenerativeModel, image: torch.Tensor, classifier) -> torch.Tensor:
    if model.has_encoder:
        return to_latent(model, image)[0]
    bar = st.progress(0.0, text="Searching the GAN's latent space for your image…")
    z = to_latent(model, image, generator=torch.Generator().manual_seed(0),
                  progress=lambda done: bar.progress(done, text="Searching the GAN's latent space…"),
                  features=classifier.features if classifier is not None else None)[0]
    bar.empty()
    return z
