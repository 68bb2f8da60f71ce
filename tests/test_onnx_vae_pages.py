"""A foreign VAE on the pages (AppTest): its card, the Latent Map and Compare on the digits, on an
operator's image folder and on pictures uploaded on the Latent Map; uploading it as two files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import torch
from PIL import Image, ImageDraw

from gen_core.data import IMAGE_FOLDERS_ENV, folder_probe, uploaded_probe
from gen_core.media.images import UserImageError
from tests.app_support import assert_clean, open_page, shown
from tests.foreign_vae import decoder_bytes, encoder_bytes, tiny_vae, write_foreign_vae
from tests.test_own_image_pages import photo
from ui.catalog import CHECKPOINTS_ENV

ON_DIGITS, ON_FOLDER, ON_NOTHING = "foreign", "shapes-vae", "nodata-vae"


def png(kind: str, size: int, shift: int) -> bytes:
    """A white square or circle on black, moved by ``shift`` pixels."""
    picture = Image.new("L", (size, size), 0)
    box = (2 + shift, 2 + shift, size - 6 + shift, size - 6 + shift)
    pen = ImageDraw.Draw(picture)
    (pen.rectangle if kind == "square" else pen.ellipse)(box, fill=255)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def shapes_folder(tmp_path_factory) -> Path:
    """An operator's image folder: 3 squares and 4 circles of 16x16."""
    root = tmp_path_factory.mktemp("shapes")
    for kind, count in (("square", 3), ("circle", 4)):
        (root / kind).mkdir()
        for i in range(count):
            (root / kind / f"{i}.png").write_bytes(png(kind, 16, i))
    return root


@pytest.fixture(scope="module")
def foreign_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("foreign-checkpoints")
    write_foreign_vae(folder, ON_DIGITS, "digits", seed=0)
    write_foreign_vae(folder, ON_FOLDER, "shapes", seed=1)
    write_foreign_vae(folder, ON_NOTHING, "", seed=2)
    return folder


@pytest.fixture(autouse=True)
def foreign_env(foreign_dir, shapes_folder, monkeypatch):
    monkeypatch.setenv(CHECKPOINTS_ENV, str(foreign_dir))
    monkeypatch.setenv(IMAGE_FOLDERS_ENV, f"shapes={shapes_folder}")


def captions(at) -> list[str]:
    return [shown(c.value) for c in at.caption] + [img.proto.imgs[0].caption for img in at.image]


def test_the_gallery_lists_each_foreign_vae_once_naming_its_encoder():
    at = open_page("home")
    assert_clean(at)
    assert [shown(h.value) for h in at.subheader] == [ON_DIGITS, ON_NOTHING, ON_FOLDER]
    assert "Encoder: foreign.encoder.onnx (mean and log-variance (two outputs))" in captions(at)


@pytest.mark.parametrize(("stem", "source"), [(ON_DIGITS, "of 360 digits images (posterior means)"),
                                              (ON_FOLDER, "of 7 shapes images (posterior means)")])
def test_the_latent_map_and_compare_encode_the_models_dataset(stem, source):
    at = open_page("latent_map", state={"active_models": [stem]})
    assert_clean(at)
    assert any(source in c for c in captions(at))
    at = open_page("compare", state={"active_models": [stem]})
    assert_clean(at)
    assert f"{stem} reconstructions" in captions(at)


def test_a_folders_probe_set_is_its_first_pictures_of_each_class_in_turn():
    probe = folder_probe("shapes", (1, 8, 8), per_class=2)
    assert probe.class_names == ("circle", "square") and probe.labels.tolist() == [0, 1, 0, 1]
    again = folder_probe("shapes", (1, 8, 8), per_class=2)
    assert torch.equal(probe.images, again.images) and probe.images.shape == (4, 1, 8, 8)


def test_pictures_uploaded_on_the_latent_map_become_its_probe_set():
    at = open_page("latent_map", state={"active_models": [ON_NOTHING]})
    assert_clean(at)
    assert any("of 3000 sampled latents" in c for c in captions(at))
    pictures = [(f"{i}.png", png("square", 12, i), "image/png") for i in range(3)]
    at.file_uploader(key="map_probe_files").set_value(pictures).run()
    assert_clean(at)
    assert any("of 3 uploaded images (posterior means)" in c for c in captions(at))
    at.switch_page("pages/4_Compare.py").run()
    assert_clean(at)
    assert "uploaded originals" in captions(at) and f"{ON_NOTHING} reconstructions" in captions(at)


def test_an_uploaded_probe_set_is_bounded():
    with pytest.raises(UserImageError, match="upload 1 to 500"):
        uploaded_probe([("x.png", b"")] * 501, (1, 8, 8))
    with pytest.raises(UserImageError, match="over the cap of 20 MiB"):
        uploaded_probe([("x.png", bytes(21 * 2**20))], (1, 8, 8))
    with pytest.raises(UserImageError, match=r"b\.png: "):
        uploaded_probe([("a.png", png("circle", 8, 0)), ("b.png", b"not a picture")], (1, 8, 8))


def test_a_decoder_and_its_encoder_upload_together_as_one_vae():
    vae = tiny_vae(7)
    files = [("mine.onnx", decoder_bytes(vae, dataset="digits"), "application/octet-stream"),
             ("mine.encoder.onnx", encoder_bytes(vae), "application/octet-stream")]
    at = open_page("home")
    at.file_uploader(key="model_upload").set_value(files).run()
    assert_clean(at)
    assert [shown(s.value) for s in at.success] == [
        "Added **mine (uploaded)**: its card is below and it is in every page's model list."]
    assert "mine (uploaded)" in [shown(h.value) for h in at.subheader]
    assert "Encoder: mine.encoder.onnx (mean and log-variance (two outputs))" in captions(at)
    at.switch_page("pages/4_Compare.py")
    at.session_state["active_models"] = ["mine (uploaded)"]
    at.run()
    assert_clean(at)
    assert "mine (uploaded) reconstructions" in captions(at)


def test_explore_encodes_an_uploaded_photo_with_the_foreign_encoder():
    at = open_page("explore", state={"active_models": [ON_DIGITS], "live_decoding": False})
    before = at.session_state["views"][ON_DIGITS].z
    at.file_uploader(key="explore_own_file").set_value(photo()).run()
    at.button(key="explore_own_go").click().run()
    assert_clean(at)
    assert at.session_state["views"][ON_DIGITS].z != before


@pytest.mark.parametrize("page", ["explore", "interpolate", "arithmetic"])
def test_pages_run_clean_for_a_foreign_vae_without_images(page):
    assert_clean(open_page(page, state={"active_models": [ON_NOTHING]}))
