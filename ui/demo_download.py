"""Explore's "standalone demo" download: the model, this view, its bookmarks and a small map in one
HTML file (``ui.standalone_demo``) that opens offline in any browser and decodes with the engine
the app's page uses for the model: the very file its Live mode downloads (``ui.decode_path``)."""

from __future__ import annotations

import streamlit as st

from gen_core.maps.projection import ProjectionParams, has_cached_projection
from ui.cached import READ_CLASSES, labelled_map_data, projection
from ui.catalog import artifact_cache, get_model
from ui.decode_path import decoder_file
from ui.presenter import bookmarks
from ui.standalone_demo import DemoMap, embedded_size, onnx_runtime_size, standalone_html
from ui.state import View, parse_latent


def demo_views(stem: str, view: View) -> list[tuple[str, list[float]]]:
    """This view first, then each bookmark of ``stem`` whose latent is usable."""
    views = [(view.origin, list(view.z))]
    for mark in bookmarks():
        params = mark["params"]
        if params.get("model", "").split(",")[0] == stem and "z" in params:
            z = parse_latent(params["z"], stem, [])
            if z is not None:
                views.append((mark["name"], z))
    return views


def demo_map(stem: str) -> DemoMap:
    """The Latent Map's points (UMAP where its fit is cached, else PCA) with their latents."""
    data, read = labelled_map_data(stem)
    umap = ProjectionParams("umap")
    params = umap if has_cached_projection(artifact_cache(stem), data, umap) else ProjectionParams("pca")
    coloured = f", {READ_CLASSES}" if read else ""
    return DemoMap(f"{params.method.upper()} of {data.source}{coloured}", projection(stem, params),
                   data.labels.numpy(), data.latents.numpy(), tuple(data.class_names))


def demo_download(stem: str, view: View) -> None:
    """The download button, its help naming the engine and the file's rough size; disabled, with
    the reason, where neither of the page's engines can run the model."""
    decoder, why_not = decoder_file(stem)  # exported already for the Live mode: not again here
    if decoder is None:
        st.button("Download a standalone demo (HTML)", disabled=True, key="download_demo",
                  help=f"Neither of the page's decoder engines can run this model ({why_not}).")
        return

    def page() -> bytes:
        model = get_model(stem)
        return standalone_html(stem, decoder.read_bytes(), model.latent_spec, tuple(model.image_shape),
                               demo_views(stem, view), demo_map(stem),
                               decoder_suffix=decoder.suffix).encode("utf-8")

    size = embedded_size(decoder.stat().st_size, decoder.suffix)
    st.download_button("Download a standalone demo (HTML)", page, file_name=f"{stem}-demo.html",
                       mime="text/html", key="download_demo",
                       help="One file that opens offline in any browser: sliders, traversal, "
                            "interpolation between this view and your bookmarks of this model, and a "
                            f"small map, all decoded in the page by {_engine(decoder.suffix)}. "
                            f"The file is {_megabytes(size)}.")


def _engine(suffix: str) -> str:
    if suffix == ".onnx":  # as in the app's page: faster for this model than the compact runtime
        return f"ONNX Runtime Web, which the file carries ({_megabytes(onnx_runtime_size())} of it)"
    return "the compact decoder runtime"


def _megabytes(size: int) -> str:
    return f"about {size / 1e6:.0f} MB" if size >= 1e6 else "under 1 MB"
