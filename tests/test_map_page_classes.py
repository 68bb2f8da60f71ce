"""The Latent Map of a model with no labels for its points (a GAN's sampled latents): each point
coloured by what the dataset's classifier reads in its picture, through streamlit's AppTest."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import streamlit as st
import torch

from gen_core.files.checkpoint import load_model
from gen_core.maps.linked import class_readings
from gen_core.maps.projection import map_data
from tests.app_support import (  # noqa: F401  (fixtures used via usefixtures)
    GAN,
    assert_clean,
    checkpoint_env,
    open_page,
    shared_model_dir,
)
from tests.test_linked_map_page import values

pytestmark = pytest.mark.usefixtures("checkpoint_env")


class PixelSumReader:
    """A stand-in for the dataset's classifier whose class is a function of the picture's pixels,
    so even an untrained GAN's similar pictures read as several classes."""

    config = SimpleNamespace(num_classes=10)

    def embed(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return images.flatten(1), (images.flatten(1).sum(1) * 1000).long() % 10


def _map_traces(at) -> list[dict]:
    return json.loads(at.get("plotly_chart")[0].proto.spec)["data"]


@pytest.fixture(autouse=True)
def fresh_caches():
    """What the pages cache per model file (the readings, and what else used a classifier) is
    dropped around each test: each decides whether a classifier exists, and none leaks out."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def test_a_gans_points_are_coloured_by_what_the_classifier_reads_in_each(monkeypatch, request):
    # Patched where ui.cached looks them up, never a name other modules import (they may be
    # imported first during this test and would keep the stand-in).
    monkeypatch.setattr("ui.cached.default_classifier_path", lambda dataset: request.path)
    monkeypatch.setattr("ui.cached._classifier", lambda path: PixelSumReader())
    at = open_page("latent_map", query={"model": GAN})
    assert_clean(at)
    assert any("coloured by what the dataset's classifier reads" in c.value for c in at.caption)

    model = load_model(request.getfixturevalue("shared_model_dir") / f"{GAN}.safetensors")
    expected = class_readings(model, map_data(model, None).latents, PixelSumReader())
    drawn = {t["name"]: values(t["customdata"]) for t in _map_traces(at) if t["name"].startswith("reads as")}
    assert len(drawn) == len(np.unique(expected)) >= 5
    for name, points in drawn.items():  # every point under the class its picture reads as
        assert set(expected[points].tolist()) == {int(name.removeprefix("reads as "))}
    assert sum(map(len, drawn.values())) == len(expected)


def test_without_a_classifier_a_gans_points_stay_one_colour(monkeypatch, tmp_path):
    monkeypatch.setattr("ui.cached.default_classifier_path", lambda dataset: tmp_path / "none.safetensors")
    at = open_page("latent_map", query={"model": GAN})
    assert_clean(at)
    assert [t["name"] for t in _map_traces(at) if t["type"] == "scattergl"] == ["sampled latents"]
    assert not any("classifier reads" in c.value for c in at.caption)
