"""The training timeline on the pages: Explore's slider, strip, Play, GIF and the link's snapshot;
Interpolate drawn at a snapshot with its path × snapshot grid; the Latent Map at each snapshot."""

from __future__ import annotations

import pytest

from gen_core.files.checkpoint import save_model
from gen_core.files.timeline import tensor_name
from tests.app_support import SERVER_DECODING, VAE, assert_clean, image_urls, open_page, write_model_dir
from tests.conftest import tiny_model
from ui.catalog import CHECKPOINTS_ENV

TIMELINE_VAE, TIMELINE_GAN = "f-timeline-vae", "g-timeline-gan"
SNAPSHOTS = 3


@pytest.fixture(scope="module")
def timeline_dir(tmp_path_factory):
    """The tiny models, and a VAE whose file keeps two earlier snapshots (other random weights)."""
    folder = write_model_dir(tmp_path_factory.mktemp("timeline"))
    earlier = {tensor_name(i, k): v.half() for i in range(SNAPSHOTS - 1)
               for k, v in tiny_model("vae", 0, seed=i + 1).state_dict().items()}
    timeline = [{"epoch": e, "step": s, "holds": ["decoder", "encoder"], "stored": s < 30}
                for e, s in ((0.1, 1), (0.5, 5), (3, 30))]
    save_model(tiny_model("vae", 0), folder / f"{TIMELINE_VAE}.safetensors", dataset={"name": "digits"},
               training={"epochs": 3}, extra_tensors=earlier, timeline=timeline)
    first = {tensor_name(0, k): v.half() for k, v in tiny_model("dcgan", 0, seed=1).state_dict().items()
             if v.is_floating_point()}  # counters are the live ones
    save_model(tiny_model("dcgan", 0), folder / f"{TIMELINE_GAN}.safetensors", dataset={"name": "digits"},
               extra_tensors=first, timeline=[{"epoch": 0.5, "step": 1, "holds": ["decoder"], "stored": True},
                                              {"epoch": 1, "step": 9, "holds": ["decoder"], "stored": False}])
    return folder


@pytest.fixture
def timeline_env(timeline_dir, monkeypatch):
    monkeypatch.setenv(CHECKPOINTS_ENV, str(timeline_dir))


def _explore(stem, query=None):
    return open_page("explore", query=query, state={"active_models": [stem], **SERVER_DECODING})


@pytest.mark.usefixtures("timeline_env")
def test_the_epoch_slider_shows_each_snapshot_and_the_link_carries_it(monkeypatch):
    monkeypatch.setattr("ui.timeline_view.PLAY_FRAME_S", 0.0)
    at = _explore(TIMELINE_VAE)
    assert_clean(at)
    slider = at.select_slider(key=f"timeline_snapshot_{TIMELINE_VAE}")
    assert slider.value == SNAPSHOTS - 1 and at.query_params["snap"] == str(SNAPSHOTS - 1)
    before = image_urls(at)
    slider.set_value(0).run()
    assert_clean(at)
    after = image_urls(at)
    assert at.query_params["snap"] == "0" and after != before
    assert len(after) == len(before)  # the picture, the strip, the large snapshot, the traversal
    at.button(key=f"timeline_play_{TIMELINE_VAE}").click().run()
    assert_clean(at)
    gif = [b for b in at.get("download_button") if b.proto.label == "Download timeline GIF"]
    assert len(gif) == 1


@pytest.mark.usefixtures("timeline_env")
def test_a_link_opens_a_snapshot_and_a_bad_one_is_ignored_with_a_notice():
    at = _explore(TIMELINE_VAE, {"model": TIMELINE_VAE, "snap": "1"})
    assert_clean(at)
    assert at.select_slider(key=f"timeline_snapshot_{TIMELINE_VAE}").value == 1
    at = _explore(TIMELINE_VAE, {"model": TIMELINE_VAE, "snap": "7"})
    assert any("outside 0…2" in w.value for w in at.warning)


@pytest.mark.usefixtures("timeline_env")
def test_a_model_without_a_timeline_has_no_slider():
    at = _explore(VAE, {"model": VAE, "snap": "1"})
    assert_clean(at)
    assert not [s for s in at.select_slider if "timeline" in str(s.key)]
    assert any("no training timeline" in w.value for w in at.warning)
    assert "snap" not in at.query_params


def _page(page, stem):
    return open_page(page, query={"model": stem}, state={"active_models": [stem]})


def _gif_buttons(at, label):
    return [b for b in at.get("download_button") if b.proto.label == label]


@pytest.mark.usefixtures("timeline_env")
def test_interpolate_draws_the_chosen_snapshot_and_the_path_over_training():
    at = _page("interpolate", TIMELINE_VAE)
    assert_clean(at)
    slider = at.select_slider(key=f"timeline_snapshot_{TIMELINE_VAE}")
    assert slider.value == SNAPSHOTS - 1
    assert len(_gif_buttons(at, "Download GIF (the path over training)")) == 1
    before = image_urls(at)
    slider.set_value(0).run()
    assert_clean(at)
    assert at.query_params["snap"] == "0"
    assert any("decoded on the server" in c.value for c in at.caption)
    after = image_urls(at)
    assert set(after) - set(before)  # the paths and the blend, now drawn by the earliest snapshot
    grid = before[-1]  # the path × snapshot grid shows every snapshot whichever is chosen
    assert grid in after
    at.radio(key="interp_timeline_path").set_value("Linear (lerp)").run()
    assert_clean(at)
    assert grid not in image_urls(at)


@pytest.mark.usefixtures("timeline_env")
def test_pages_show_nothing_new_for_a_model_without_a_timeline():
    for page in ("interpolate", "latent_map"):
        at = _page(page, VAE)
        assert_clean(at)
        assert not [s for s in at.select_slider if "timeline" in str(s.key)]
        assert not [h for h in at.subheader if "over training" in h.value]


def _timeline_chart(at) -> str:
    charts = [c.proto.spec for c in at.get("plotly_chart") if "step " in c.proto.spec]
    assert len(charts) == 1
    return charts[0]


@pytest.mark.usefixtures("timeline_env")
def test_the_latent_map_shows_each_snapshot_aligned_and_plays(monkeypatch):
    monkeypatch.setattr("ui.timeline_view.PLAY_FRAME_S", 0.0)
    at = _page("latent_map", TIMELINE_VAE)
    assert_clean(at)
    slider = at.select_slider(key=f"timeline_snapshot_{TIMELINE_VAE}")
    assert slider.value == SNAPSHOTS - 1
    last = _timeline_chart(at)
    assert "step 30" in last
    slider.set_value(0).run()
    assert_clean(at)
    first = _timeline_chart(at)
    assert first != last and "step 1 " in first and at.query_params["snap"] == "0"
    at.button(key=f"map_timeline_play_{TIMELINE_VAE}").click().run()
    assert_clean(at)


@pytest.mark.usefixtures("timeline_env")
def test_a_gan_without_a_classifier_says_its_sampled_map_does_not_change():
    at = _page("latent_map", TIMELINE_GAN)
    assert_clean(at)
    assert any("same at every snapshot" in c.value for c in at.caption)
    assert not [s for s in at.select_slider if "timeline" in str(s.key)]


@pytest.mark.usefixtures("timeline_env")
def test_interpolate_draws_a_gan_at_its_first_snapshot():
    at = _page("interpolate", TIMELINE_GAN)
    at.select_slider(key=f"timeline_snapshot_{TIMELINE_GAN}").set_value(0).run()
    assert_clean(at)
    assert any("decoded on the server" in c.value for c in at.caption)
