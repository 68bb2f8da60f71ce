"""Explore's directions and the Arithmetic page through AppTest (the server decodes)."""

from __future__ import annotations

import pytest
import torch

from tests.app_support import (  # noqa: F401  (fixtures used via usefixtures)
    GAN,
    INFOGAN,
    SERVER_DECODING,
    VAE,
    assert_clean,
    checkpoint_env,
    image_urls,
    open_page,
    shared_model_dir,
)

pytestmark = pytest.mark.usefixtures("checkpoint_env")


def explore_with_directions(stem: str):
    at = open_page("explore", state={"active_models": [stem], **SERVER_DECODING})
    assert not at.radio  # nothing is computed until the directions are asked for
    return at.toggle(key=f"directions_on_{stem}").set_value(True).run()


@pytest.mark.parametrize("stem, kinds", [(VAE, ["Class to class"]), (GAN, ["Principal (GANSpace)"]),
                                         (INFOGAN, ["Principal (GANSpace)", "Codes"])])
def test_each_model_offers_the_directions_it_can(stem, kinds):
    at = explore_with_directions(stem)
    assert_clean(at)
    assert at.radio(key=f"direction_kind_{stem}").options == kinds


def test_moving_along_a_class_direction_and_keeping_the_latent():
    at = explore_with_directions(VAE)
    start = at.query_params["z"]
    position = at.slider(key=f"direction_position_{VAE}")
    before = image_urls(at)
    position.set_value(20).run()
    assert_clean(at)
    assert image_urls(at) != before  # the picture moved along the direction
    at.button(key=f"direction_keep_{VAE}").click().run()
    assert_clean(at)
    assert at.query_params["z"] != start  # the view, and so the link, took the moved latent
    at.slider(key=f"direction_position_{VAE}").set_value(0).run()
    assert_clean(at)


def test_a_principal_direction_moves_a_gan_picture():
    at = explore_with_directions(GAN)
    before = image_urls(at)
    at.selectbox(key=f"direction_Principal (GANSpace)_{GAN}").set_value(1).run()
    at.slider(key=f"direction_position_{GAN}").set_value(-20).run()
    assert_clean(at)
    assert image_urls(at) != before


def test_arithmetic_shows_three_operands_and_the_result_and_opens_it_in_explore():
    at = open_page("arithmetic", state={"active_models": [VAE]})
    assert_clean(at)
    assert len(at.image) == 4  # A, B, C small, and the row of all four
    at.radio(key="arith_kind_B").set_value("Dataset image").run()
    assert_clean(at)
    at.button(key="arith_open").click().run()
    assert_clean(at)
    assert at.query_params["model"] == VAE and "z" in at.query_params
    assert at.session_state["views"][VAE].origin == "latent arithmetic"


def test_arithmetic_is_a_minus_b_plus_c():
    from gen_core.latent.operations import clamp_to_spec, seed_latent
    from ui.catalog import get_model

    at = open_page("arithmetic", state={"active_models": [GAN]})
    at.button(key="arith_open").click().run()
    assert_clean(at)
    model = get_model(GAN)
    expected = clamp_to_spec(seed_latent(model, 1) - seed_latent(model, 2) + seed_latent(model, 3),
                             model.latent_spec)
    shown = torch.tensor([float(v) for v in at.query_params["z"].split(",")])
    assert torch.allclose(shown, expected, atol=0.006)  # the link rounds to 2 decimals
