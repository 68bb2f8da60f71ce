"""Explore's "standalone demo" download: the model, this view, its bookmarks and a small map in one
HTML file (``ui.standalone_demo``) that opens offline in any browser and decodes with the engine
the app's page uses for the model (``ui.decode_path.page_decoder``)."""

from __future__ import annotations

import streamlit as st

from gen_core.maps.projection import ProjectionParams, has_cached_projection
from gen_core.media.browser_decoder import ExportError
from ui.cached import latent_map_data, projection
from ui.catalog import artifact_cache, get_model, model_ref
from ui.decode_path import page_decoder
from ui.presenter import bookmarks
from ui.standalone_demo import DemoMap, embedded_size, onnx_runtime_size, standalone_html
from ui.state import View, parse_latent


def demo_views(stem: str, view: View) -> list[tuple[str, list[float]]]:
    """This view first, then each bookmark of ``stem`` whose latent is usable."""
    views = [(f"seed {view.seed}", list(view.z))]
    for mark in bookmarks():
        params = mark["params"]
        if params.get("model", "").split(",")[0] == stem and "z" in params:
            z = parse_latent(params["z"], stem, [])
            if z is not None:
                views.append((mark["name"], z))
    return views


def demo_map(stem: str) -> DemoMap:
    """The Latent Map's points (UMAP where its fit is cached, else PCA) with their latents."""
    data = latent_map_data(stem)
    umap = ProjectionParams("umap")
    params = umap if has_cached_projection(artifact_cache(stem), data, umap) else ProjectionParams("pca")
    return DemoMap(f"{params.method.upper()} of {data.source}", projection(stem, params),
                   data.labels.numpy(), data.latents.numpy(), tuple(data.class_names))


def demo_download(stem: str, view: View) -> None:
    """The download button, its help naming the engine and the file's rough size; disabled, with
    the reason, where neither of the page's engines can run the model."""
    decoder, why_not = _page_decoder(stem, model_ref(stem).identity)
    if decoder is None:
        st.button("Download a standalone demo (HTML)", disabled=True, key="download_demo",
                  help=f"Neither of the page's decoder engines can run this model ({why_not}).")
        return
    data, suffix = decoder

    def page() -> bytes:
        model = get_model(stem)
        return standalone_html(stem, data, model.latent_spec, tuple(model.image_shape),
                               demo_views(stem, view), demo_map(stem), decoder_suffix=suffix).encode("utf-8")

    st.download_button("Download a standalone demo (HTML)", page, file_name=f"{stem}-demo.html",
                       mime="text/html", key="download_demo",
                       help="One file that opens offline in any browser: sliders, traversal, "
                            "interpolation between this view and your bookmarks of this model, and a "
                            f"small map, all decoded in the page by {_engine(suffix)}. "
                            f"The file is {_megabytes(embedded_size(data, suffix))}.")


def _engine(suffix: str) -> str:
    if suffix == ".onnx":  # as in the app's page: faster for this model than the compact runtime
        return f"ONNX Runtime Web, which the file carries ({_megabytes(onnx_runtime_size())} of it)"
    return "the compact decoder runtime"


def _megabytes(size: int) -> str:
    return f"about {size / 1e6:.0f} MB" if size >= 1e6 else "under 1 MB"


@st.cache_resource(show_spinner=False, max_entries=16)
def _page_decoder(stem: str, identity: str) -> tuple[tuple[bytes, str] | None, str | None]:
    # Keyed by identity: the same bytes under another name share the export.
    try:
        return page_decoder(get_model(stem)), None
    except ExportError as err:
        return None, str(err)
