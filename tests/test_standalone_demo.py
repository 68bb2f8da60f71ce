"""The standalone demo file: the decoder, spec, views and map as data that cannot break out of its
script element, and nothing fetched."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest

from gen_core.media.browser_decoder import export_decoder
from tests.app_support import checkpoint_env, shared_model_dir  # noqa: F401
from tests.conftest import tiny_model
from ui.standalone_demo import MAX_MAP_POINTS, DemoMap, standalone_html

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
    assert [v["name"] for v in data["views"]] == [HOSTILE, "b"] and data["views"][1]["z"] == [1.0] * 4
    assert len(data["map"]["x"]) == MAX_MAP_POINTS and data["map"]["class_names"][1] == HOSTILE
    assert page.count("<script") == 3 and page.count("</script>") == 3  # data, runtime, demo: none injected
    assert not re.search(r"<(img|link|iframe)\b|<[^>]*\s(src|href)\s*=", page)  # no tag fetches anything
    assert "&lt;/script&gt;" in page  # the title, escaped


def test_a_demo_needs_a_view():
    model = tiny_model("vae")
    with pytest.raises(ValueError, match="at least one view"):
        standalone_html("m", export_decoder(model), model.latent_spec, tuple(model.image_shape), [])


@pytest.mark.usefixtures("checkpoint_env")
def test_explore_offers_the_demo_and_says_why_not_where_its_runtime_cannot_run_the_model(monkeypatch):
    from gen_core.media.browser_decoder import ExportError
    from tests.app_support import VAE, assert_clean, open_page

    at = open_page("explore", query={"model": VAE})
    assert_clean(at)
    assert any(b.proto.label.startswith("Download a standalone demo") for b in at.get("download_button"))

    def refuse(model):
        raise ExportError("the compact runtime has no GroupNorm layer")

    monkeypatch.setattr("ui.demo_download.export_decoder", refuse)
    from ui.demo_download import _compact_decoder

    _compact_decoder.clear()
    at = open_page("explore", query={"model": VAE})
    assert_clean(at)
    button = at.button(key="download_demo")
    assert button.disabled and "no GroupNorm layer" in button.help
