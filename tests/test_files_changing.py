"""Files changing underneath: damaged cache entries are recomputed, never served; cache writes
are atomic under concurrent writers; a checkpoint truncated, replaced or deleted while the app
shows it leaves the pages working."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from gen_core.cache import ArtifactCache, preview_grid
from gen_core.data import load_eval_images
from gen_core.files.atomic import read_npz, write_npz
from gen_core.files.checkpoint import save_model
from gen_core.maps.projection import ProjectionParams, cached_projection, map_data, projection_cache_file
from tests.app_support import SERVER_DECODING, assert_clean, open_page, shown, write_model_dir
from tests.conftest import tiny_model
from ui.catalog import CHECKPOINTS_ENV

PCA = ProjectionParams("pca")
DIGITS = load_eval_images("digits")


@pytest.mark.parametrize("damage", [b"", b"PK\x03\x04 not really a zip", b"\x00" * 300])
def test_a_damaged_projection_or_encoding_is_recomputed(tmp_path, damage):
    model = tiny_model("vae")
    cache = ArtifactCache.beside(save_model(model, tmp_path / "m.safetensors", dataset={"name": "digits"}))
    data = map_data(model, DIGITS, n=40, cache=cache)
    coords = cached_projection(cache, data, PCA)
    encodings = cache.file(f"encodings-{data.fingerprint}", "npz")
    for entry in (projection_cache_file(cache, data, PCA), encodings):
        entry.write_bytes(damage)
    again = map_data(model, DIGITS, n=40, cache=cache)
    torch.testing.assert_close(again.latents, data.latents)
    np.testing.assert_allclose(cached_projection(cache, again, PCA), coords, atol=1e-2)
    assert read_npz(encodings, "latents") is not None  # rewritten whole


def test_a_damaged_preview_is_drawn_again(tmp_path):
    model = tiny_model("dcgan")
    cache = ArtifactCache.beside(save_model(model, tmp_path / "g.safetensors"))
    first = preview_grid(lambda: model, cache)
    cache.file("preview", "png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    np.testing.assert_array_equal(preview_grid(lambda: model, cache), first)


def test_concurrent_writers_never_leave_a_reader_half_a_file(tmp_path):
    path, stop, seen = tmp_path / "entry.npz", threading.Event(), []
    write_npz(path, a=np.zeros(50_000))

    def writer(value: float) -> None:
        while not stop.is_set():
            write_npz(path, a=np.full(50_000, value))

    writers = [threading.Thread(target=writer, args=(v,)) for v in (1.0, 2.0)]
    for thread in writers:
        thread.start()
    try:
        for _ in range(200):
            arrays = read_npz(path, "a")
            seen.append(None if arrays is None else float(arrays["a"][0]) == float(arrays["a"][-1]))
    finally:
        stop.set()
        for thread in writers:
            thread.join()
    assert seen and all(seen)  # every read found one whole file, never a torn or missing one
    assert not list(tmp_path.glob("*.tmp"))


def test_a_checkpoint_truncated_replaced_or_deleted_under_an_open_page(tmp_path, monkeypatch):
    folder = write_model_dir(tmp_path / "models")
    monkeypatch.setenv(CHECKPOINTS_ENV, str(folder))
    target = folder / "a-vae.safetensors"
    at = open_page("explore", query={"model": "a-vae"}, state=SERVER_DECODING)
    assert_clean(at)
    original = target.read_bytes()
    target.write_bytes(original[:len(original) // 2])  # truncated while shown
    at.run()
    assert_clean(at)
    at.switch_page("app.py").run()
    assert_clean(at)
    assert any("truncated" in shown(e.value) for e in at.error)  # its card says what is wrong
    save_model(tiny_model("vae", 0, seed=9), target, dataset={"name": "digits"})  # replaced
    at.switch_page("pages/1_Explore.py").run()
    assert_clean(at)
    target.unlink()  # deleted
    at.run()
    assert_clean(at)
    at.switch_page("pages/2_Latent_Map.py").run()
    assert_clean(at)
