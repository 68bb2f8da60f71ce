"""Explore's "standalone demo" download: the model, this view, its bookmarks and a small map in one
HTML file (``ui.standalone_demo``) that opens offline in any browser."""

from __future__ import annotations

import streamlit as st

from gen_core.maps.projection import ProjectionParams, has_cached_projection
from gen_core.media.browser_decoder import ExportError, export_decoder
from ui.cached import latent_map_data, projection
from ui.catalog import artifact_cache, get_model, model_ref
from ui.presenter import bookmarks
from ui.standalone_demo import DemoMap, standalone_html
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
    """The download button; disabled, with the reason, where the demo's decoder runtime (the
    compact one: it fits in the file, unlike ONNX Runtime's 15 MB) cannot run the model."""
    decoder, why_not = _compact_decoder(stem, model_ref(stem).identity)
    if decoder is None:
        st.button("Download a standalone demo (HTML)", disabled=True, key="download_demo",
                  help=f"The standalone demo's decoder runtime cannot run this model ({why_not}).")
        return

    def page() -> bytes:
        model = get_model(stem)
        return standalone_html(stem, decoder, model.latent_spec, tuple(model.image_shape),
                               demo_views(stem, view), demo_map(stem)).encode("utf-8")

    st.download_button("Download a standalone demo (HTML)", page, file_name=f"{stem}-demo.html",
                       mime="text/html", key="download_demo",
                       help="One file that opens offline in any browser: sliders, traversal, "
                            "interpolation between this view and your bookmarks of this model, and a "
                            "small map, all decoded in the page.")


@st.cache_resource(show_spinner=False, max_entries=16)
def _compact_decoder(stem: str, identity: str) -> tuple[bytes | None, str | None]:
    # Keyed by identity: the same bytes under another name share the export.
    try:
        return export_decoder(get_model(stem)), None
    except ExportError as err:
        return None, str(err)
