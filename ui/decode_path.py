"""Where a model's pictures are decoded: in the page (the browser runs the exported decoder) or
on the server. Every page asks this one object instead of deciding for itself.

The page has two engines (``ui/components/decoder_runtime.js``), and this module picks one per
model: the compact runtime (``gen_core.media.browser_decoder``, a ``.bin``) for a chain of its
layers with at most ``COMPACT_MAX_MULTIPLY_ADDS`` per picture, else ONNX Runtime Web
(``gen_core.media.onnx_decoder``, an ``.onnx``) for anything the server decodes. Measured in
Chromium (docs/benchmarks.md): ONNX Runtime is faster per picture for every model, 2.3x on the
shipped GANs, but the small VAEs already decode at thousands of pictures a second in the compact
runtime, and it spares their viewers ONNX Runtime's 15 MB WebAssembly download.

The decoder is written once per model content hash into ``static/decoders/``, which Streamlit
serves at ``app/static/decoders/`` (``server.enableStaticServing``): the browser downloads it once
per model and caches it, and no interaction sends weights again.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import streamlit as st

from gen_core.files.atomic import write_atomically
from gen_core.media.browser_decoder import ExportError, export_decoder, multiply_adds
from gen_core.media.onnx_decoder import export_onnx_decoder
from gen_core.models import GenerativeModel
from ui.catalog import get_model, model_ref
from ui.session_keys import LIVE_DECODING
from ui.text import plain
from ui.upload_space import UPLOADED_DECODERS

ROOT = Path(__file__).resolve().parents[1]
STATIC_DECODERS = ROOT / "static" / "decoders"
STATIC_URL_PREFIX = "app/static/"  # relative, so a reverse proxy's base path is kept
# Up to here (the MLP VAEs, 0.54 M) the compact runtime decodes ~2,000 pictures/s; the shipped conv
# VAEs (2.5 M) and GANs (7 M) run 2-3x faster in ONNX Runtime.
COMPACT_MAX_MULTIPLY_ADDS = 1_000_000


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


def page_decoder(model: GenerativeModel) -> tuple[bytes, str]:
    """The decoder the page runs for ``model`` and its file suffix (``.bin`` compact, ``.onnx``).

    Raises ``ExportError`` saying why neither engine can run it.
    """
    try:
        compact = export_decoder(model)
    except ExportError:
        compact = None  # not a chain of the compact runtime's layers: ONNX Runtime runs any graph
    if compact is not None and multiply_adds(compact) <= COMPACT_MAX_MULTIPLY_ADDS:
        return compact, ".bin"
    return export_onnx_decoder(model), ".onnx"


def decode_path(stem: str) -> DecodePath:
    """``stem``'s decode path, as the viewer's Live toggle has it."""
    path, why_not = decoder_file(stem)
    url = None if path is None else STATIC_URL_PREFIX + path.relative_to(ROOT / "static").as_posix()
    return DecodePath(url, why_not, bool(st.session_state.get(LIVE_DECODING, True)))


def decoder_file(stem: str) -> tuple[Path | None, str | None]:
    """The file of ``stem``'s page decoder under ``static/`` (``.bin`` or ``.onnx``, written once
    per model content), or ``None`` and why neither of the page's engines runs it."""
    ref = model_ref(stem)
    path, why_not = _exported(stem, ref.identity, ref.uploaded)
    if path is not None and not path.is_file():
        _exported.clear()  # an uploaded model's decoder was evicted: written again
        path, why_not = _exported(stem, ref.identity, ref.uploaded)
    return path, why_not


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
def _exported(stem: str, identity: str, uploaded: bool) -> tuple[Path | None, str | None]:
    try:  # exported once per process even when the file exists: the engine may differ from a past choice
        data, suffix = page_decoder(get_model(stem))
    except ExportError as err:
        return None, str(err)
    target = (UPLOADED_DECODERS if uploaded else STATIC_DECODERS) / f"{identity[:16]}{suffix}"
    if not target.is_file():
        try:
            write_atomically(target, data)  # a browser never reads half a file
        except OSError as err:
            return None, f"the decoder could not be written for the browser ({err.strerror})"
    return target, None
