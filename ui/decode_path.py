"""Where a model's pictures are decoded: in the page (the browser runs the exported decoder) or
on the server. Every page asks this one object instead of deciding for itself.

The decoder (``gen_core.media.browser_decoder``) is written once per model content hash into
``static/decoders/``, which Streamlit serves at ``app/static/decoders/``
(``server.enableStaticServing``): the browser downloads it once per model and caches it, and no
interaction sends weights again.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import streamlit as st

from gen_core.cache import write_atomically
from gen_core.media.browser_decoder import ExportError, export_decoder
from ui.catalog import get_model, model_ref
from ui.session_keys import LIVE_DECODING
from ui.text import plain
from ui.upload_space import UPLOADED_DECODERS

ROOT = Path(__file__).resolve().parents[1]
STATIC_DECODERS = ROOT / "static" / "decoders"
STATIC_URL_PREFIX = "app/static/"  # relative, so a reverse proxy's base path is kept


@dataclasses.dataclass(frozen=True)
class DecodePath:
    """A model's decode path for this viewer: the browser decoder's ``url`` (``None`` when the
    browser cannot run it, ``why_not`` then says why) and whether the viewer wants ``live``
    decoding (Explore's toggle; on unless switched off)."""

    url: str | None
    why_not: str | None
    live: bool = True

    @property
    def page_url(self) -> str | None:
        """The decoder's URL when pictures are decoded in the page (they follow a control while it
        moves), else ``None``: the server decodes them."""
        return self.url if self.live else None


def decode_path(stem: str) -> DecodePath:
    """``stem``'s decode path, as the viewer's Live toggle has it."""
    ref = model_ref(stem)
    url, why_not = _exported(stem, ref.identity, ref.uploaded)
    if url is not None and not (ROOT / "static" / url.removeprefix(STATIC_URL_PREFIX)).is_file():
        _exported.clear()  # an uploaded model's decoder was evicted: written again
        url, why_not = _exported(stem, ref.identity, ref.uploaded)
    return DecodePath(url, why_not, bool(st.session_state.get(LIVE_DECODING, True)))


def live_toggle(stem: str) -> DecodePath:
    """Draw the Live toggle (disabled where the browser cannot decode) and return the path."""
    path = decode_path(stem)
    live = st.toggle("Live: decode in this browser", value=True, key=LIVE_DECODING, disabled=path.url is None,
                     help="The picture follows a control while it moves. Off: the server decodes it "
                          "when you release the control.")
    if path.url is None:
        st.info(f"This model's decoder cannot run in the browser ({plain(path.why_not)}), so pictures are "
                "decoded on the server and change when you release a control.", icon=":material/info:")
    return dataclasses.replace(path, live=live)


@st.cache_resource(show_spinner=False, max_entries=64)
def _exported(stem: str, identity: str, uploaded: bool) -> tuple[str | None, str | None]:
    target = (UPLOADED_DECODERS if uploaded else STATIC_DECODERS) / f"{identity[:16]}.bin"
    if not target.is_file():
        try:
            data = export_decoder(get_model(stem))
        except ExportError as err:
            return None, str(err)
        try:
            write_atomically(target, data)  # a browser never reads half a file
        except OSError as err:
            return None, f"the decoder could not be written for the browser ({err.strerror})"
    return STATIC_URL_PREFIX + target.relative_to(ROOT / "static").as_posix(), None
