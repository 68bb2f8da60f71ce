"""A person's own picture on Explore, the Latent Map and Compare (AppTest)."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image, ImageDraw

from tests.app_support import (  # noqa: F401  (fixtures used via usefixtures), shown
    GAN,
    SERVER_DECODING,
    VAE,
    assert_clean,
    checkpoint_env,
    open_page,
    shared_model_dir,
    shown,
)

pytestmark = pytest.mark.usefixtures("checkpoint_env")


def photo() -> tuple[str, bytes, str]:
    """A JPEG of a dark '7' on light paper, off-centre in a larger frame."""
    page = Image.new("L", (120, 90), 225)
    ImageDraw.Draw(page).line([(20, 15), (55, 15), (35, 75)], fill=30, width=7)
    buffer = io.BytesIO()
    page.convert("RGB").save(buffer, format="JPEG", quality=80)
    return "seven.jpg", buffer.getvalue(), "image/jpeg"


@pytest.mark.parametrize("stem", [VAE, GAN])
def test_explore_starts_from_an_uploaded_photo(stem):
    at = open_page("explore", state={"active_models": [stem], **SERVER_DECODING})
    before = at.session_state["views"][stem].z
    at.file_uploader(key="explore_own_file").set_value(photo()).run()
    assert_clean(at)
    assert "what the model sees" in [img.proto.imgs[0].caption for img in at.image]
    at.button(key="explore_own_go").click().run()
    assert_clean(at)
    assert at.session_state["views"][stem].z != before
    assert f"{stem} · from your image" in [img.proto.imgs[0].caption for img in at.image]
    seed_box = next(box for box in at.number_input if box.label == "Seed")
    assert seed_box.value is None  # not from a seed: typing the old seed 0 goes back to it
    seed_box.set_value(0).run()
    assert at.session_state["views"][stem].z == before
    assert f"{stem} · from seed 0" in [img.proto.imgs[0].caption for img in at.image]


def test_a_start_cut_short_is_finished_by_the_next_run():
    at = open_page("explore", state={"active_models": [VAE], **SERVER_DECODING})
    before = at.session_state["views"][VAE].z
    at.file_uploader(key="explore_own_file").set_value(photo()).run()
    # What a click leaves behind when its run is stopped by another rerun before the view moved.
    at.session_state["explore_own_asked"] = VAE
    at.run()
    assert_clean(at)
    moved = at.session_state["views"][VAE].z
    assert moved != before and "explore_own_asked" not in at.session_state
    at.run()  # the click is answered once: a later run leaves the view alone
    assert at.session_state["views"][VAE].z == moved


def test_a_bad_picture_is_refused_with_a_message():
    at = open_page("explore", state={"active_models": [VAE]})
    at.file_uploader(key="explore_own_file").set_value(("x.png", b"not an image", "image/png")).run()
    assert_clean(at)
    assert any("cannot be used" in shown(e.value) for e in at.error)


def test_the_latent_map_marks_the_uploaded_image():
    at = open_page("latent_map", state={"active_models": [VAE]})
    at.file_uploader(key="map_own_file").set_value(photo()).run()
    assert_clean(at)
    assert "your image" in at.get("plotly_chart")[0].proto.spec


def test_compare_redraws_the_image_with_every_model_and_its_error():
    at = open_page("compare", state={"active_models": [VAE, GAN]})
    at.file_uploader(key="compare_own_file").set_value(photo()).run()
    assert_clean(at)
    captions = [c for img in at.image for c in [img.proto.imgs[0].caption] if "squared error" in c]
    assert len(captions) == 2
    assert any("inverted" in c for c in captions) and any("encoded" in c for c in captions)


@pytest.mark.parametrize("stem", [VAE, GAN])
def test_interpolate_runs_from_your_image_to_a_dataset_image(stem):
    at = open_page("interpolate", state={"active_models": [stem]})
    at.radio(key="interp_source").set_value("Your image and a dataset image").run()
    assert_clean(at)
    assert any("Upload or draw a picture" in i.value for i in at.info)
    at.file_uploader(key="interp_own_file").set_value(photo()).run()
    at.number_input(key="interp_own_b").set_value(4).run()
    assert_clean(at)
    found = list(at.session_state["own_latents"].values())  # your image, then dataset image #4
    paths = next(json.loads(e.proto.json) for e in at.get("bidi_component") if "interp_paths" in str(e.key))
    latents = paths["grids"]["8"]["latents"]
    assert latents[0] == pytest.approx(found[0].tolist(), abs=1e-5)
    assert latents[7] == pytest.approx(found[-1].tolist(), abs=1e-5)
    assert not {"seed", "seed2", "images"} & set(at.query_params)
