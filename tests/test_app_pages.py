"""Every page through streamlit's AppTest: it renders, reacts to its widgets, never raises."""

from __future__ import annotations

import json

import pytest

from tests.app_support import (  # noqa: F401  (fixtures used via usefixtures), shown
    BROKEN,
    CONV_VAE,
    GAN,
    INFOGAN,
    SERVER_DECODING,
    VAE,
    assert_clean,
    checkpoint_env,
    image_urls,
    open_page,
    shared_model_dir,
    shown,
)

pytestmark = pytest.mark.usefixtures("checkpoint_env")


def test_gallery_shows_every_model_and_the_corrupt_file_as_an_error_card():
    at = open_page("home")
    assert_clean(at)
    titles = [shown(h.value) for h in at.subheader]
    assert titles == [VAE, CONV_VAE, GAN, INFOGAN, BROKEN]  # none evaluated: name order; broken last
    assert len(at.image) == 4  # one preview grid per loadable model
    assert any(BROKEN in shown(e.value) and "cannot be loaded" in shown(e.value) for e in at.error)
    text = " ".join(shown(m.value) for m in at.markdown)
    assert "latent size **4**" in text and "DCGAN" in text
    assert "31.5" in " ".join(shown(c.value) for c in at.caption)


def test_gallery_filters_by_family_and_keeps_broken_files_in_view():
    at = open_page("home")
    families = at.get("button_group")[1]
    assert families.label == "Family" and families.value == ["dcgan", "infogan", "vae"]
    families.set_value(["dcgan"]).run()
    assert_clean(at)
    assert [shown(h.value) for h in at.subheader] == [GAN, BROKEN]
    at.get("button_group")[1].set_value([]).run()  # the earlier handle belongs to the last run
    assert [shown(h.value) for h in at.subheader] == [BROKEN]


def test_gallery_button_makes_the_model_active_for_other_pages():
    at = open_page("home")
    at.button(key=f"explore_{GAN}").click().run()
    assert at.session_state["active_models"][0] == GAN


def test_explore_slider_changes_the_image_and_the_link():
    at = open_page("explore", state={"active_models": [VAE], **SERVER_DECODING})
    assert_clean(at)
    before, link_before = image_urls(at)[0], at.query_params["z"]
    slider = at.slider[0]
    slider.set_value(slider.max).run()
    assert_clean(at)
    assert image_urls(at)[0] != before
    assert at.query_params["z"] != link_before
    assert at.query_params["model"] == VAE


def test_explore_orders_vae_dims_by_kl_and_labels_them():
    at = open_page("explore", state={"active_models": [VAE], **SERVER_DECODING})
    labels = [s.label for s in at.slider if s.label != "Position"]  # not the directions' slider
    assert len(labels) == 4 and all("KL" in label for label in labels)
    kls = [float(label.split("KL ")[1]) for label in labels if "inactive" not in label]
    assert kls == sorted(kls, reverse=True)


def test_explore_random_reset_and_encode_replace_the_latent_and_say_where_it_came_from():
    at = open_page("explore", state={"active_models": [VAE], **SERVER_DECODING})
    first = at.query_params["z"]
    assert at.image[0].proto.imgs[0].caption == f"{VAE} · from seed 0"
    at.button(key="reset").click().run()
    assert set(at.query_params["z"].split(",")) == {"0"}
    assert at.image[0].proto.imgs[0].caption == f"{VAE} · from the zero latent"
    at.button(key="random").click().run()
    assert at.query_params["z"] != first and at.query_params["seed"] != "0"
    assert at.image[0].proto.imgs[0].caption == f"{VAE} · from seed {at.query_params['seed']}"
    before = at.query_params["z"]
    at.number_input(key="image_index").set_value(7).run()
    at.button(key="encode").click().run()
    assert_clean(at)
    assert at.query_params["z"] != before
    assert at.image[0].proto.imgs[0].caption == f"{VAE} · from dataset image #7"
    at.slider[0].set_value(at.slider[0].max).run()  # moving a control keeps where the view began
    assert at.image[0].proto.imgs[0].caption == f"{VAE} · from dataset image #7"
    assert at.session_state["views"][VAE].file_label == "dataset-image-7"


def test_explore_seed_input_reproduces_the_seeds_latent():
    at = open_page("explore", state={"active_models": [GAN], **SERVER_DECODING})
    seed_box = at.number_input[0]
    seed_box.set_value(5).run()
    z5 = at.query_params["z"]
    at.number_input[0].set_value(6).run()
    at.number_input[0].set_value(5).run()
    assert at.query_params["z"] == z5 and at.query_params["seed"] == "5"


def test_explore_traversal_grid_follows_the_chosen_dimensions():
    at = open_page("explore", state={"active_models": [GAN], **SERVER_DECODING})
    grids = image_urls(at)
    assert len(grids) == 2  # the decoded image and the traversal grid (directions are off)
    at.multiselect(key=f"traverse_{GAN}").set_value([3]).run()
    assert image_urls(at)[1] != grids[1] and image_urls(at)[0] == grids[0]


def _grids(at) -> dict[str, dict]:
    """Interpolate's live grids by key: the precomputed latents for every control value."""
    return {str(e.key): json.loads(e.proto.json) for e in at.get("bidi_component")}


def test_interpolate_sends_paths_for_every_step_count_and_follows_the_seeds():
    at = open_page("interpolate", state={"active_models": [VAE]})
    assert_clean(at)
    grids = _grids(at)
    paths, corners = grids["interp_paths"], grids["interp_corners"]
    assert sorted(map(int, paths["grids"])) == list(range(3, 17))
    eight = paths["grids"]["8"]
    assert len(eight["latents"]) == 16 and eight["columns"] == 8  # lerp row, then slerp row
    assert eight["latents"][0] == eight["latents"][8]  # both paths start at A ...
    assert eight["latents"][7] == pytest.approx(eight["latents"][15], abs=1e-5)  # ... and end at B
    assert len(corners["grids"]["6"]["latents"]) == 36
    at.number_input(key="second_seed").set_value(42).run()
    assert at.query_params["seed2"] == "42"
    moved = _grids(at)
    assert moved["interp_paths"]["grids"]["8"]["latents"][7] != eight["latents"][7]
    assert moved["interp_corners"]["identity"] != corners["identity"]  # endpoint B is a corner
    at.radio(key="interp_source").set_value("Two dataset images").run()
    assert_clean(at)
    assert len(at.image) == 1  # the two chosen originals; the grids are drawn in the browser
    assert len([b for b in at.get("download_button") if not b.key.startswith("bookmark")]) == 3


def test_interpolate_runs_between_two_dataset_images_a_gan_finds_by_inversion():
    at = open_page("interpolate", state={"active_models": [GAN]})
    seeds = _grids(at)["interp_paths"]["grids"]["8"]["latents"]
    at.radio(key="interp_source").set_value("Two dataset images").run()
    assert_clean(at)
    assert "inversion" in at.image[0].proto.imgs[0].caption
    found = list(at.session_state["own_latents"].values())
    assert len(found) == 2  # each image searched once, then kept
    path = _grids(at)["interp_paths"]["grids"]["8"]["latents"]
    assert path[0] == pytest.approx(found[0].tolist(), abs=1e-5)
    assert path[7] == pytest.approx(found[1].tolist(), abs=1e-5) and path[0] != seeds[0]


def test_interpolate_decodes_on_the_server_for_a_model_the_browser_cannot_run(monkeypatch):
    monkeypatch.setattr("ui.decode_path._exported", lambda stem, identity, uploaded: (None, "no reason"))
    at = open_page("interpolate", state={"active_models": [VAE]})
    assert_clean(at)
    paths = at.image[0].proto.imgs[0].url
    at.slider(key="interp_steps").set_value(12).run()
    assert at.image[0].proto.imgs[0].url != paths


def test_compare_shows_one_image_per_model_and_says_when_latents_differ():
    at = open_page("compare", state={"active_models": [VAE, CONV_VAE, GAN]})
    assert_clean(at)
    captions = [c for img in at.image for c in img.proto.imgs[0].caption.split()]
    assert captions[:3] == [VAE, CONV_VAE, GAN]
    assert len(at.dataframe) == 3  # reconstruction errors, facts, metrics
    errors = at.dataframe[0].value
    assert list(errors.index) == [VAE, CONV_VAE] and (errors.to_numpy() > 0).all()
    assert list(at.dataframe[1].value.loc["kind"]) == ["VAE", "VAE", "DCGAN"]
    metrics = at.dataframe[2].value
    assert list(metrics.index) == ["Precision (k=3)", "Test BCE-ELBO (nats, grey pixels)"]
    assert metrics.loc["Test BCE-ELBO (nats, grey pixels)", VAE] == "31.50"
    assert metrics.loc["Test BCE-ELBO (nats, grey pixels)", GAN] == "–"
    assert [c.value for c in at.caption][:3] == [
        "the same latent as b\\-conv\\-vae, c\\-gan", "the same latent as a\\-vae, c\\-gan",
        "the same latent as a\\-vae, b\\-conv\\-vae"]
    first = image_urls(at)[:3]
    at.number_input(key="compare_seed").set_value(9).run()
    assert all(a != b for a, b in zip(first, image_urls(at)[:3], strict=True))
    apart = open_page("compare", state={"active_models": [INFOGAN, VAE, GAN]})
    assert_clean(apart)
    differs = "latent spec differs from e\\-infogan's (4 dims vs 5): its own latent from seed 0"
    assert [c.value for c in apart.caption][:3] == [
        "", f"{differs}, the same as c\\-gan's", f"{differs}, the same as a\\-vae's"]


def selection(indices: list[int]) -> dict:
    """The state a plotly chart reports after the user selects points of its first trace."""
    points = [{"curve_number": 0, "point_index": i, "customdata": i} for i in indices]
    return {"selection": {"points": points, "point_indices": indices, "box": [], "lasso": []}}


@pytest.mark.parametrize("stem", [VAE, GAN])
def test_latent_map_selection_shows_the_point(stem):
    at = open_page("latent_map", state={"active_models": [stem]})
    assert_clean(at)
    assert not at.image  # nothing selected yet
    chart_key = f"map_{stem}_pca"
    at.session_state[chart_key] = selection([3])
    at.run()
    assert_clean(at)
    caption = at.image[0].proto.imgs[0].caption
    assert "#3" in caption and ("reconstruction" in caption if stem == VAE else "sampled" in caption)
    at.session_state[chart_key] = selection(list(range(5)))
    at.run()
    assert "mean latent of 5" in at.image[0].proto.imgs[0].caption


def test_latent_map_open_in_explore_sets_the_view():
    at = open_page("latent_map", state={"active_models": [VAE]})
    at.session_state[f"map_{VAE}_pca"] = selection([0])
    at.run()
    before = list(at.session_state["views"][VAE].z)
    at.button(key="map_to_explore").click().run()
    assert at.session_state["views"][VAE].z != before
    assert at.session_state["views"][VAE].origin.startswith("map point #0")


def test_explore_names_infogan_categories_by_what_they_draw():
    at = open_page("explore", state={"active_models": [INFOGAN], **SERVER_DECODING})
    assert_clean(at)
    category = next(box for box in at.selectbox if box.label == "category")
    assert category.format_func(1) == "1: draws mostly 0 (90%)"
    at.toggle(key="live_decoding").set_value(True).run()
    panel = next(e for e in at.get("bidi_component") if "live_panel" in str(e.key))
    assert json.loads(panel.proto.json)["spec"][0]["classes"][1] == "1: draws mostly 0 (90%)"


def test_gallery_orders_evaluated_models_best_first(tmp_path, monkeypatch):
    from gen_core.files.checkpoint import update_metadata
    from tests.app_support import write_model_dir
    from ui.catalog import CHECKPOINTS_ENV

    folder = write_model_dir(tmp_path / "ranked")
    update_metadata(folder / f"{GAN}.safetensors", metrics={"fd_classifier_features": 2.0})
    update_metadata(folder / f"{VAE}.safetensors", metrics={"fd_classifier_features": 3.0})
    monkeypatch.setenv(CHECKPOINTS_ENV, str(folder))
    at = open_page("home")
    assert [shown(h.value) for h in at.subheader][:2] == [GAN, VAE]
    assert any("rank 1" in shown(c.value) for c in at.caption)
    assert at.session_state["active_models"][0] == VAE  # the best model with an encoder
