"""Pictures a person uploads on the Latent Map as this tab's probe set: what a model whose dataset
has no images on this server maps and reconstructs.

They are bounded (``gen_core.data.uploaded_probe``: 500 pictures, 20 MiB, each opened with the
picture caps), converted once to the frame of the model they were uploaded for, and held in the
tab's session only; encodings and projections of them go to the upload space
(``ui.upload_space``), never beside the operator's checkpoints.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from gen_core.data import MAX_UPLOADED_PROBE_BYTES, MAX_UPLOADED_PROBE_IMAGES, ImageData, uploaded_probe
from gen_core.media.images import UserImageError
from ui.session_keys import PROBE_UPLOAD
from ui.text import plain
from ui.upload_space import evict_uploads

PICTURE_TYPES = ["png", "jpg", "jpeg", "webp", "gif", "bmp"]  # gen_core.media.images.USER_IMAGE_FORMATS


def uploaded_probe_set() -> tuple[str, ImageData] | None:
    """This tab's uploaded pictures as ``(digest, images)``, or ``None``."""
    held = st.session_state.get(PROBE_UPLOAD)
    return (held[1], held[2]) if held is not None and held[2] is not None else None


def probe_upload_section(dataset: str, image_shape: tuple[int, int, int]) -> None:
    """The uploader, offered where the model's dataset has no images on this server."""
    label = f"the dataset {plain(dataset)!r}" if dataset else "no dataset"
    with st.expander("Map your own pictures", icon=":material/photo_library:",
                     expanded=uploaded_probe_set() is None):
        st.caption(f"This model names {label}, which has no images on this server, so its map shows "
                   f"sampled latents. Upload up to {MAX_UPLOADED_PROBE_IMAGES} pictures "
                   f"({MAX_UPLOADED_PROBE_BYTES // 2**20} MB together) to map and reconstruct them; "
                   "they stay in this browser tab only.")
        files = st.file_uploader("Pictures", type=PICTURE_TYPES, accept_multiple_files=True,
                                 key="map_probe_files")
        if files:
            refusal = take_pictures(files, image_shape)
            if refusal:
                st.error(f"These pictures cannot be used: {plain(refusal)}", icon=":material/block:")


def take_pictures(files: list, image_shape: tuple[int, int, int]) -> str:
    """Read newly uploaded ``files`` into the tab's probe set once; the refusal, or ``""``."""
    ids = tuple(f.file_id for f in files)
    held = st.session_state.get(PROBE_UPLOAD)
    if held is not None and held[0] == ids:
        return held[3]
    named = [(f.name, f.getvalue()) for f in files]
    try:
        data = uploaded_probe(named, image_shape)
    except UserImageError as err:
        st.session_state[PROBE_UPLOAD] = (ids, None, None, str(err))
        return str(err)
    digest = hashlib.sha256(data.images.numpy().tobytes()).hexdigest()[:16]
    st.session_state[PROBE_UPLOAD] = (ids, digest, data, "")
    evict_uploads()  # their encodings and projections will go to the upload space
    return ""
