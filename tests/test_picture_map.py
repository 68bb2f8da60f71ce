"""A GAN's picture map: its samples placed by the classifier's features of their pictures, beside
real images placed the same way (``gen_core.maps.picture_map``), and the Latent Map drawing it."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import streamlit as st
import torch

from gen_core.cache import ArtifactCache
from gen_core.data import load_eval_images, probe_set
from gen_core.files.atomic import write_npz
from gen_core.files.checkpoint import load_model
from gen_core.maps.picture_map import (
    REAL_IMAGES,
    cached_reach,
    picture_fingerprint,
    picture_points,
    reach_file,
    reached_real_images,
)
from gen_core.maps.projection import (
    MAP_POINTS,
    ProjectionParams,
    fit_projection,
    images_fingerprint,
    map_data,
    picture_map_data,
    place_on_map,
    projection_file,
)
from tests.app_support import (  # noqa: F401  (fixtures used via usefixtures)
    GAN,
    assert_clean,
    checkpoint_env,
    open_page,
    shared_model_dir,
)
from tests.conftest import tiny_model
from tests.test_linked_map_page import values
from tests.test_map_page_classes import PixelSumReader
from ui.picture_map_view import UNREACHED
from ui.session_keys import VIEWS

PLACE = "Place points by"


@pytest.fixture
def sampled():
    return map_data(tiny_model("dcgan"), None, n=20)


def test_the_points_are_the_samples_features_then_the_real_images(sampled, tmp_path):
    classifier_file = tmp_path / "classifier.safetensors"
    classifier_file.write_bytes(b"weights")
    generated, real = torch.randn(20, 5), torch.randn(7, 5)
    points = picture_points(sampled, generated, real, "digits-7-abc", classifier_file)
    torch.testing.assert_close(points.latents, torch.cat([generated, real]))
    assert points.labels.tolist() == sampled.labels.tolist() + [-1] * 7
    assert points.images is None and points.source == f"20 sampled pictures and 7 {REAL_IMAGES}"
    other_real = picture_points(sampled, generated, real, "digits-7-abd", classifier_file)
    classifier_file.write_bytes(b"retrained")
    other_classifier = picture_points(sampled, generated, real, "digits-7-abc", classifier_file)
    fingerprints = {points.fingerprint, other_real.fingerprint, other_classifier.fingerprint,
                    sampled.fingerprint}
    assert len(fingerprints) == 4  # a projection cached for one is never read for another


def test_features_of_another_width_or_count_are_refused(sampled, tmp_path):
    with pytest.raises(ValueError, match="19 sampled pictures' features for 20 latents"):
        picture_points(sampled, torch.randn(19, 5), torch.randn(7, 5), "r", tmp_path / "c")
    with pytest.raises(ValueError, match=r"real images' features \(7, 4\) do not match"):
        picture_points(sampled, torch.randn(20, 5), torch.randn(7, 4), "r", tmp_path / "c")


def test_samples_are_placed_by_their_decoded_pictures(sampled, request):
    model = tiny_model("dcgan")
    probe = load_eval_images("digits")
    points = picture_map_data(model, sampled, probe, PixelSumReader(), request.path, n=30)
    with torch.no_grad():
        pictures = model.decode(sampled.latents)
    torch.testing.assert_close(points.latents, torch.cat([pictures.flatten(1), probe.images[:30].flatten(1)]))


def test_a_real_image_is_reached_inside_a_samples_ball_as_recall_counts_it(sampled, tmp_path):
    generated = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # 3rd-neighbour radius 1.41
    real = torch.tensor([[0.5, 0.5], [2.2, 1.0], [2.5, 2.5], [-1.0, 0.0]])
    points = dataclasses.replace(sampled, latents=torch.cat([generated, real]))
    assert reached_real_images(points, 4).tolist() == [True, True, False, True]
    cache = ArtifactCache(tmp_path, "0" * 64)
    assert cached_reach(cache, points, 4).tolist() == [True, True, False, True]
    write_npz(reach_file(cache, points.fingerprint), reached=np.array([False] * 4))
    assert cached_reach(cache, points, 4).tolist() == [False] * 4  # read back, not counted again
    write_npz(reach_file(cache, points.fingerprint), reached=np.array([False] * 3))
    assert cached_reach(cache, points, 4).tolist() == [True, True, False, True]  # a wrong entry is not


@pytest.fixture
def stand_in_classifier(monkeypatch, request):
    """The dataset's classifier replaced by ``PixelSumReader`` where ``ui.cached`` looks it up; what
    the pages cached with or without one is dropped around the test."""
    monkeypatch.setattr("ui.cached.default_classifier_path", lambda dataset: request.path)
    monkeypatch.setattr("ui.cached._classifier", lambda path: PixelSumReader())
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.usefixtures("checkpoint_env", "stand_in_classifier")
def test_the_map_placed_by_picture_draws_the_samples_there_over_the_real_images(request):
    at = open_page("latent_map", query={"model": GAN})
    assert_clean(at)
    traces = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    assert REAL_IMAGES not in [t["name"] for t in traces]  # by latent until asked
    at.radio(key=f"map_place_{GAN}").set_value("picture").run()
    assert_clean(at)
    assert any("placed by the dataset classifier's features" in c.value for c in at.caption)

    model = load_model(request.getfixturevalue("shared_model_dir") / f"{GAN}.safetensors")
    real = load_eval_images("digits")
    points = picture_map_data(model, map_data(model, None), real, PixelSumReader(), request.path)
    expected = fit_projection(points.latents.numpy(), ProjectionParams("pca"))  # no UMAP cached: PCA
    traces = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    reached_trace, unreached_trace = traces[0], traces[1]
    samples = [t for t in traces[2:] if "customdata" in t]
    assert (reached_trace["name"], unreached_trace["name"]) == (REAL_IMAGES, UNREACHED)
    assert "customdata" not in reached_trace and "customdata" not in unreached_trace  # never selected
    reached = reached_real_images(points, 3000)
    np.testing.assert_allclose(values(reached_trace["x"]), expected[3000:][reached, 0], atol=1e-4)
    np.testing.assert_allclose(values(unreached_trace["x"]), expected[3000:][~reached, 0], atol=1e-4)
    assert any(f"{reached.mean():.0%}** of these 360 real images" in c.value for c in at.caption)
    drawn = np.concatenate([values(t["customdata"]) for t in samples])
    assert sorted(drawn.tolist()) == list(range(3000))
    for trace in samples:  # each sample where its picture's features put it
        np.testing.assert_allclose(values(trace["x"]), expected[values(trace["customdata"]), 0], atol=1e-4)
        np.testing.assert_allclose(values(trace["y"]), expected[values(trace["customdata"]), 1], atol=1e-4)
    # The Explore latent's star: among the real images whose pictures look most like its picture's.
    (star,) = [t for t in traces if t["name"] == "Explore latent"]
    z = torch.tensor(at.session_state[VIEWS][GAN].z)[None]
    with torch.no_grad():
        star_features = model.decode(z).flatten(1).numpy()
    place = place_on_map(star_features, points.latents[3000:].numpy(), expected[3000:])
    np.testing.assert_allclose([values(star["x"])[0], values(star["y"])[0]], place[0], atol=1e-3)


@pytest.mark.usefixtures("checkpoint_env", "stand_in_classifier")
def test_a_stored_picture_map_is_drawn_without_decoding_a_sample(monkeypatch, request, tmp_path):
    cache = ArtifactCache(tmp_path, "0" * 64)
    monkeypatch.setattr("ui.cached.map_cache", lambda stem: cache)
    model = load_model(request.getfixturevalue("shared_model_dir") / f"{GAN}.safetensors")
    real = probe_set("digits", model.image_shape).subset(MAP_POINTS)
    fingerprint = picture_fingerprint(map_data(model, None).fingerprint, images_fingerprint(real),
                                      request.path)
    stored = np.random.default_rng(0).normal(size=(3000 + len(real), 2)).astype(np.float16)
    write_npz(projection_file(cache, fingerprint, ProjectionParams("umap")), coords=stored)
    reached = np.arange(len(real)) % 3 > 0
    write_npz(reach_file(cache, fingerprint), reached=reached)

    def no_decoding(*args):
        raise AssertionError("the samples were decoded")
    monkeypatch.setattr("ui.cached._picture_points", no_decoding)
    at = open_page("latent_map", query={"model": GAN})
    at.radio(key=f"map_place_{GAN}").set_value("picture")
    at.radio(key=f"map_method_{GAN}").set_value("UMAP").run()
    assert_clean(at)
    assert any(c.value.startswith("UMAP of 3000 sampled pictures") for c in at.caption)
    traces = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    np.testing.assert_allclose(values(traces[0]["y"]), stored[3000:][reached, 1], atol=1e-3)
    np.testing.assert_allclose(values(traces[1]["y"]), stored[3000:][~reached, 1], atol=1e-3)
    for trace in traces[1:]:
        if "customdata" in trace:
            np.testing.assert_allclose(values(trace["x"]), stored[values(trace["customdata"]), 0], atol=1e-3)


@pytest.mark.usefixtures("checkpoint_env")
def test_without_a_classifier_there_is_no_picture_map(monkeypatch, tmp_path):
    monkeypatch.setattr("ui.cached.default_classifier_path", lambda dataset: tmp_path / "none.safetensors")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = open_page("latent_map", query={"model": GAN})
    assert_clean(at)
    assert PLACE not in [r.label for r in at.radio]
    st.cache_data.clear()
    st.cache_resource.clear()
