"""The Latent Map with a second, linked model, through streamlit's AppTest."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from tests.app_support import (  # noqa: F401  (fixtures used via usefixtures)
    CONV_VAE,
    GAN,
    VAE,
    assert_clean,
    checkpoint_env,
    open_page,
    shared_model_dir,
    shown,
)
from tests.test_app_pages import selection

pytestmark = pytest.mark.usefixtures("checkpoint_env")
CHART = f"linked_{{side}}_{VAE}_{CONV_VAE}_pca_Class"


def traces(at) -> list[list[dict]]:
    """Each linked chart's traces, from the figure the page sent."""
    return [json.loads(chart.proto.spec)["data"] for chart in at.get("plotly_chart")]


def values(array) -> list:
    if isinstance(array, dict):  # plotly's typed-array wire format
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def test_a_selection_in_one_map_lights_up_the_same_images_in_the_other():
    at = open_page("latent_map", query={"model": VAE, "model2": CONV_VAE})
    assert_clean(at)
    assert len(at.get("plotly_chart")) == 2
    assert at.query_params["model2"] == CONV_VAE
    assert any("same images" in c.value for c in at.caption)
    assert not at.image
    at.session_state[CHART.format(side="a")] = selection([2, 5])
    at.run()
    assert_clean(at)
    linked = [t for t in traces(at)[1] if t["name"] == "linked"]
    assert [values(t["customdata"]) for t in linked] == [[2, 5]]
    assert not [t for t in traces(at)[0] if t["name"] == "linked"]  # the selected map keeps its figure
    caption = shown(at.image[0].proto.imgs[0].caption)  # one grid: originals, then both models' pictures
    assert "2 chosen images" in caption
    assert f"the originals, {VAE}'s and {CONV_VAE}'s reconstructions" in caption
    assert at.get("download_button")


def test_disagreement_colours_both_maps_and_a_class_lights_up_both():
    at = open_page("latent_map", query={"model": VAE, "model2": CONV_VAE})
    at.radio(key="linked_colour").set_value("Neighbour overlap").run()
    assert_clean(at)
    for chart in traces(at):
        assert "colorscale" in chart[0]["marker"]
    at.selectbox(key="linked_class").set_value(3).run()
    assert_clean(at)
    lit = [[t for t in chart if t["name"] == "linked"] for chart in traces(at)]
    assert all(len(side) == 1 for side in lit)
    assert values(lit[0][0]["customdata"]) == values(lit[1][0]["customdata"])


def test_a_gan_pair_without_a_classifier_says_why_it_cannot_link():
    at = open_page("latent_map", query={"model": VAE, "model2": GAN})
    assert_clean(at)
    assert any("cannot be linked" in i.value for i in at.info)


def test_the_link_accepts_only_catalog_names_for_the_second_model():
    at = open_page("latent_map", query={"model": VAE, "model2": "../secret"})
    assert_clean(at)
    assert any("secret" in w.value and "ignored" in w.value for w in at.warning)
    assert len(at.get("plotly_chart")) == 1  # the single map
    assert "model2" not in at.query_params
