"""Bringing a model through the browser: an uploaded checkpoint becomes a card for its tab only."""

from __future__ import annotations

import json
import pickle

import pytest

from gen_core.files.checkpoint import model_metadata, save_model
from tests.app_support import GAN, assert_clean, checkpoint_env, open_page, shared_model_dir, shown  # noqa: F401
from tests.conftest import tiny_model

pytestmark = pytest.mark.usefixtures("checkpoint_env")
UPLOADED = "mine (uploaded)"


@pytest.fixture
def upload_bytes(tmp_path) -> bytes:
    return save_model(tiny_model("vae", 1, seed=3), tmp_path / "mine.safetensors",
                      dataset={"name": "digits"}).read_bytes()


def _upload(at, name: str, data: bytes):
    at.file_uploader(key="model_upload").set_value((name, data, "application/octet-stream"))
    return at.run()


def test_an_uploaded_checkpoint_becomes_a_card_usable_on_every_page(upload_bytes):
    at = _upload(open_page("home"), "mine.safetensors", upload_bytes)
    assert_clean(at)
    assert any(UPLOADED in shown(s.value) for s in at.success)
    assert UPLOADED in [shown(h.value) for h in at.subheader]
    at.button(key=f"explore_{UPLOADED}").click().run()
    assert_clean(at)
    at.switch_page("pages/4_Compare.py").run()
    assert_clean(at)
    assert UPLOADED in at.multiselect[0].options


def test_the_same_bytes_uploaded_twice_are_one_model(upload_bytes):
    at = _upload(open_page("home"), "mine.safetensors", upload_bytes)
    at = _upload(at, "copy.safetensors", upload_bytes)
    names = [shown(h.value) for h in at.subheader]
    assert names.count(UPLOADED) == 1 and "copy (uploaded)" not in names


def test_an_upload_can_be_removed(upload_bytes):
    at = _upload(open_page("home"), "mine.safetensors", upload_bytes)
    at.button(key=f"remove_{UPLOADED}").click().run()
    assert UPLOADED not in [shown(h.value) for h in at.subheader]


@pytest.mark.parametrize(("name", "says"), [
    ("model.pth", "never loaded; its content cannot be listed without unpickling it"),
    ("renamed.safetensors", "looks like a pickled"),
])
def test_pickles_are_refused_without_running_anything(name, says, tmp_path):
    ran = tmp_path / "ran"

    class Payload:
        def __reduce__(self):  # would create a file if the bytes were ever unpickled
            return (open, (str(ran), "w"))

    at = _upload(open_page("home"), name, pickle.dumps(Payload()))
    assert_clean(at)
    assert any(says in shown(e.value) and "was not added" in e.value for e in at.error)
    assert not ran.exists()


def test_a_hostile_config_is_refused_with_its_reason(tmp_path):
    model = tiny_model("dcgan")
    meta = model_metadata(model)
    meta["config"]["ngf"] = 40000
    from safetensors.torch import save_file

    path = tmp_path / "huge.safetensors"
    save_file(dict(model.state_dict()), str(path), metadata={"gen_core": json.dumps(meta)})
    at = _upload(open_page("home"), "huge.safetensors", path.read_bytes())
    assert any("ngf must be a whole number" in shown(e.value) for e in at.error)


def test_a_link_cannot_open_an_upload():
    at = open_page("explore", query={"model": f"{GAN},{UPLOADED}"})
    assert_clean(at)
    assert any("cannot open an upload" in shown(w.value) for w in at.warning)


def test_an_onnx_decoder_from_elsewhere_uploads_and_explores(tmp_path):
    from tests.test_onnx_decoder import DecoderOnly, ExamplesVAE, export_onnx

    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    data = export_onnx(DecoderOnly(ExamplesVAE()), 20, tmp_path / "examples-vae.onnx").read_bytes()
    at = _upload(open_page("home"), "examples-vae.onnx", data)
    assert_clean(at)
    assert "examples-vae (uploaded)" in [shown(h.value) for h in at.subheader]
    at.button(key="explore_examples-vae (uploaded)").click().run()
    assert_clean(at)
    assert at.toggle(key="live_decoding").value  # its decoder runs in the browser too
