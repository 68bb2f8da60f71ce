"""The standalone demo file: the decoder (with ONNX Runtime Web for an ``.onnx``), spec, views and
map as data that cannot break out of its script element, and nothing fetched; Explore's button."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest

from gen_core.media.browser_decoder import ExportError, export_decoder
from gen_core.media.onnx_decoder import export_onnx_decoder
from tests.app_support import checkpoint_env, shared_model_dir  # noqa: F401
from tests.conftest import tiny_model
from ui.standalone_demo import (
    MAX_MAP_POINTS,
    ONNX_RUNTIME,
    ONNX_RUNTIME_MODULE,
    ONNX_RUNTIME_WASM,
    DemoMap,
    embedded_size,
    standalone_html,
)

HOSTILE = "</script><script>alert(1)</script><img src=https://example.com/x.png>"


def demo_data(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="demo-data">(.*?)</script>', page,
                                re.S).group(1))


def test_the_file_holds_the_decoder_views_and_a_bounded_map_as_inert_data():
    model = tiny_model("dcgan")
    decoder = export_decoder(model)
    n = 1000
    demo_map = DemoMap(HOSTILE, np.random.default_rng(0).normal(size=(n, 2)), np.arange(n) % 3,
                       np.zeros((n, model.latent_dim)), ("a", HOSTILE, "c"))
    page = standalone_html(HOSTILE, decoder, model.latent_spec, tuple(model.image_shape),
                           [(HOSTILE, [0.0] * model.latent_dim), ("b", [1.0] * model.latent_dim)], demo_map)
    data = demo_data(page)
    assert base64.b64decode(data["decoder"]) == decoder
    assert data["decoder_suffix"] == ".bin" and data["onnx_runtime"] is None
    assert [v["name"] for v in data["views"]] == [HOSTILE, "b"] and data["views"][1]["z"] == [1.0] * 4
    assert len(data["map"]["x"]) == MAX_MAP_POINTS and data["map"]["class_names"][1] == HOSTILE
    assert page.count("<script") == 3 and page.count("</script>") == 3  # data, runtime, demo: none injected
    assert not re.search(r"<(img|link|iframe)\b|<[^>]*\s(src|href)\s*=", page)  # no tag fetches anything
    assert "&lt;/script&gt;" in page  # the title, escaped


def test_an_onnx_demo_carries_onnx_runtime_web_as_inert_data():
    model = tiny_model("dcgan")
    decoder = export_onnx_decoder(model)
    page = standalone_html("m", decoder, model.latent_spec, tuple(model.image_shape),
                           [("a", [0.0] * model.latent_dim)], decoder_suffix=".onnx")
    data = demo_data(page)
    assert base64.b64decode(data["decoder"]) == decoder and data["decoder_suffix"] == ".onnx"
    assert data["onnx_runtime"]["module"] == (ONNX_RUNTIME / ONNX_RUNTIME_MODULE).read_text()
    assert base64.b64decode(data["onnx_runtime"]["wasm"]) == (ONNX_RUNTIME / ONNX_RUNTIME_WASM).read_bytes()
    assert page.count("<script") == 3 and page.count("</script>") == 3
    assert not re.search(r"<(img|link|iframe)\b|<[^>]*\s(src|href)\s*=", page)
    estimate = embedded_size(len(decoder), ".onnx")  # the estimate Explore's button states
    assert 0 < len(page) - estimate < 200_000


def test_a_demo_needs_a_view_and_an_engine_for_its_decoder():
    model = tiny_model("vae")
    with pytest.raises(ValueError, match="at least one view"):
        standalone_html("m", export_decoder(model), model.latent_spec, tuple(model.image_shape), [])
    with pytest.raises(ValueError, match=r"no engine runs a '\.pt' decoder"):
        standalone_html("m", b"", model.latent_spec, tuple(model.image_shape), [("a", [0.0] * 4)],
                        decoder_suffix=".pt")


@pytest.mark.usefixtures("checkpoint_env")
def test_explore_offers_the_demo_in_the_pages_engine_and_says_why_not_where_none_runs_the_model(monkeypatch,
                                                                                               request):
    from tests.app_support import VAE, assert_clean, open_page
    from ui.decode_path import _exported

    request.addfinalizer(_exported.clear)  # the decoders exported under the stand-ins below

    def help_text() -> str:
        _exported.clear()
        at = open_page("explore", query={"model": VAE})
        assert_clean(at)
        (button,) = [b for b in at.get("download_button") if "standalone demo" in b.proto.label]
        return button.proto.help

    compact = help_text()
    assert "the compact decoder runtime" in compact and "under 1 MB" in compact

    def onnx(model):
        return export_onnx_decoder(model), ".onnx"

    monkeypatch.setattr("ui.decode_path.page_decoder", onnx)
    assert "ONNX Runtime Web, which the file carries (about 20 MB of it)" in help_text()

    def refuse(model):
        raise ExportError("ONNX Runtime has no FancyNorm operator")

    monkeypatch.setattr("ui.decode_path.page_decoder", refuse)
    _exported.clear()
    at = open_page("explore", query={"model": VAE})
    assert_clean(at)
    button = at.button(key="download_demo")
    assert button.disabled and "no FancyNorm operator" in button.help
