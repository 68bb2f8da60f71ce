"""Shareable links: opening one reproduces the view; bad values give notices, never exceptions."""

from __future__ import annotations

import pytest

from tests.app_support import (  # noqa: F401  (fixtures used via usefixtures), shown
    BROKEN,
    GAN,
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


def test_a_copied_explore_link_reproduces_the_image():
    at = open_page("explore", state={"active_models": [VAE], **SERVER_DECODING})
    at.slider[1].set_value(at.slider[1].min).run()
    link = {k: at.query_params[k] for k in ("model", "seed", "z")}
    fresh = open_page("explore", query=link, state=SERVER_DECODING)
    assert_clean(fresh)
    assert image_urls(fresh)[0] == image_urls(at)[0]
    assert fresh.query_params["z"] == link["z"]
    assert not fresh.warning


def test_seed_in_link_picks_the_seeds_latent():
    by_link = open_page("explore", query={"model": GAN, "seed": "11"}, state=SERVER_DECODING)
    by_hand = open_page("explore", state={"active_models": [GAN], **SERVER_DECODING})
    by_hand.number_input[0].set_value(11).run()
    assert by_link.query_params["z"] == by_hand.query_params["z"]


def test_a_link_names_its_seed_only_while_its_latent_is_the_seeds():
    at = open_page("explore", state={"active_models": [VAE], **SERVER_DECODING})
    at.number_input[0].set_value(11).run()
    seeded = {k: at.query_params[k] for k in ("model", "seed", "z")}
    at.slider[1].set_value(at.slider[1].min).run()
    moved = {k: at.query_params[k] for k in ("model", "seed", "z")}
    assert moved["z"] != seeded["z"]
    assert open_page("explore", query=seeded, state=SERVER_DECODING).session_state["views"][VAE].origin == \
        "seed 11"
    assert open_page("explore", query=moved, state=SERVER_DECODING).session_state["views"][VAE].origin == \
        "a shared link"



def test_a_click_sent_with_the_link_from_before_the_last_write_keeps_its_view():
    # Each run carries the URL as the browser showed it when it asked for the run; a second click
    # can leave before the browser has taken the first click's link.
    at = open_page("explore", query={"model": VAE, "seed": "0"}, state=SERVER_DECODING)
    opened = {k: at.query_params[k] for k in ("model", "seed", "z")}
    at.button(key="random").click().run()
    assert at.query_params["seed"] != "0"
    for key, value in opened.items():
        at.query_params[key] = value
    at.button(key="random").click().run()
    assert_clean(at)
    view = at.session_state["views"][VAE]
    assert view.seed != 0 and view.origin == f"seed {view.seed}" and at.query_params["seed"] == str(view.seed)


@pytest.mark.parametrize(("query", "notice"), [
    ({"model": "no-such-model"}, "Unknown or unusable model"),
    ({"model": BROKEN}, "Unknown or unusable model"),
    ({"model": "../../etc/passwd"}, "Unknown or unusable model"),
    ({"model": VAE, "seed": "abc"}, "not a whole number"),
    ({"model": VAE, "seed": "-4"}, "outside"),
    ({"model": VAE, "z": "1,2"}, "needs 4"),
    ({"model": VAE, "z": "1,x,2,3"}, "not numbers"),
    ({"model": VAE, "z": "1,nan,2,3"}, "needs 4"),
    ({"model": VAE, "z": "9,0,0,-99"}, "clamped"),
])
@pytest.mark.parametrize("page", ["home", "explore", "latent_map", "interpolate", "compare"])
def test_bad_links_give_a_notice_not_an_exception(page, query, notice):
    at = open_page(page, query=query)
    assert_clean(at)
    assert any(notice in shown(w.value) for w in at.warning), [shown(w.value) for w in at.warning]


def test_out_of_range_latent_is_clamped_into_the_sliders():
    at = open_page("explore", query={"model": VAE, "z": "9,0,0,-99"}, state=SERVER_DECODING)
    latent = [s.value for s in at.slider if s.label != "Position"]  # not the directions' slider
    assert sorted(latent)[::3] == [-3.0, 3.0]


def test_link_to_compare_opens_the_listed_models():
    at = open_page("compare", query={"model": f"{GAN},{VAE}", "seed": "3"})
    assert_clean(at)
    assert at.number_input(key="compare_seed").value == 3
    assert [img.proto.imgs[0].caption for img in at.image[:2]] == [GAN, VAE]


def test_the_link_writer_keeps_parameters_it_does_not_own():
    at = open_page("explore", query={"model": GAN, "present": "1"}, state=SERVER_DECODING)
    assert_clean(at)
    assert at.query_params["present"] == "1" and at.query_params["model"] == GAN and "z" in at.query_params


def test_interpolate_drops_its_seeds_from_the_link_when_endpoints_are_images():
    at = open_page("interpolate", query={"model": VAE, "seed": "3", "seed2": "4"})
    at.radio(key="interp_source").set_value("Two dataset images").run()
    assert_clean(at)
    assert "seed2" not in at.query_params and "seed" not in at.query_params


def test_a_link_to_interpolate_between_two_images_opens_the_same_two():
    at = open_page("interpolate", query={"model": VAE})
    at.radio(key="interp_source").set_value("Two dataset images").run()
    at.number_input(key="interp_image_a").set_value(3).run()
    at.number_input(key="interp_image_b").set_value(5).run()
    assert at.query_params["images"] == "3,5"
    fresh = open_page("interpolate", query={"model": VAE, "images": "3,5"})
    assert_clean(fresh)
    assert fresh.radio(key="interp_source").value == "Two dataset images"
    assert [fresh.number_input(key=k).value for k in ("interp_image_a", "interp_image_b")] == [3, 5]
    grids = [e.proto.json for e in at.get("bidi_component")]
    assert grids and [e.proto.json for e in fresh.get("bidi_component")] == grids
    fresh.radio(key="interp_source").set_value("Two seeds").run()
    assert "images" not in fresh.query_params and "seed2" in fresh.query_params


@pytest.mark.parametrize(("images", "notice"), [("3", "not two dataset image numbers"),
                                                ("3,x", "not two dataset image numbers"),
                                                ("３,1", "not two dataset image numbers"),
                                                ("1,999999", "not among this model's")])
def test_a_link_with_unusable_images_falls_back_to_two_seeds_with_a_notice(images, notice):
    at = open_page("interpolate", query={"model": VAE, "images": images})
    assert_clean(at)
    assert at.radio(key="interp_source").value == "Two seeds"
    assert any(notice in w.value for w in at.warning), [w.value for w in at.warning]
