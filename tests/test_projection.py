"""gen_core.maps.projection and gen_core.cache: maps, placement of new latents, the disk cache, precompute."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gen_core.cache import ArtifactCache, content_hash, preview_grid
from gen_core.data import load_eval_images
from gen_core.eval.classifier import load_classifier
from gen_core.files.checkpoint import save_model, update_metadata
from gen_core.maps import projection
from gen_core.maps.linked import class_readings
from gen_core.maps.projection import (
    ProjectionParams,
    cached_projection,
    fit_projection,
    inverse_distance_mean,
    map_data,
    place_on_map,
    precompute,
    projection_cache_file,
)
from tests.conftest import tiny_model

PCA = ProjectionParams("pca")
DIGITS = load_eval_images("digits")


def test_pca_of_points_on_a_plane_keeps_their_distances():
    rng = np.random.default_rng(0)
    plane = rng.normal(size=(50, 2))
    basis, _ = np.linalg.qr(rng.normal(size=(6, 2)))  # orthonormal 2-D subspace of R^6
    coords = fit_projection(plane @ basis.T + 5.0, PCA)
    assert coords.shape == (50, 2) and coords.dtype == np.float32
    original = np.linalg.norm(plane[:, None] - plane[None], axis=2)
    mapped = np.linalg.norm(coords[:, None] - coords[None], axis=2)
    np.testing.assert_allclose(mapped, original, atol=1e-4)


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="umap"):
        fit_projection(np.zeros((5, 3)), ProjectionParams("tsne"))


@pytest.mark.slow
def test_umap_is_deterministic_and_separates_clusters():
    rng = np.random.default_rng(1)
    clusters = np.concatenate([rng.normal(c, 0.1, size=(60, 5)) for c in (-5.0, 5.0)])
    params = ProjectionParams("umap", n_neighbors=10, min_dist=0.1)
    first, second = fit_projection(clusters, params), fit_projection(clusters, params)
    np.testing.assert_array_equal(first, second)
    gap = np.linalg.norm(first[:60].mean(0) - first[60:].mean(0))
    spread = max(first[:60].std(0).max(), first[60:].std(0).max())
    assert gap > 3 * spread


def test_placing_a_mapped_latent_lands_on_its_point():
    rng = np.random.default_rng(2)
    latents, coords = rng.normal(size=(40, 4)).astype(np.float32), rng.normal(size=(40, 2)).astype(np.float32)
    np.testing.assert_allclose(place_on_map(latents[7], latents, coords)[0], coords[7], atol=1e-5)
    between = place_on_map(latents[:3], latents, coords, k=1)
    np.testing.assert_allclose(between, coords[:3], atol=1e-6)


def test_map_data_encodes_real_images_for_a_vae_and_samples_for_a_gan():
    vae_map = map_data(tiny_model("vae"), DIGITS, n=50)
    assert vae_map.latents.shape == (50, 4) and vae_map.images.shape == (50, 1, 8, 8)
    assert vae_map.class_names[3] == "3" and vae_map.labels.max() <= 9
    gan_map = map_data(tiny_model("dcgan"), DIGITS, n=30)
    assert gan_map.images is None and (gan_map.labels == -1).all()
    torch.testing.assert_close(gan_map.latents, map_data(tiny_model("dcgan"), DIGITS, n=30).latents)
    assert vae_map.fingerprint == map_data(tiny_model("vae", seed=1), DIGITS, n=50).fingerprint


def test_projection_is_cached_on_disk_by_content_hash(tmp_path, monkeypatch):
    path = save_model(tiny_model("vae"), tmp_path / "m.safetensors", dataset={"name": "digits"})
    data = map_data(tiny_model("vae"), DIGITS, n=40)
    coords = cached_projection(ArtifactCache.beside(path), data, PCA)
    stored = projection_cache_file(ArtifactCache.beside(path), data, PCA)
    assert stored.is_file() and stored.parent == tmp_path / "cache" and content_hash(path) in stored.name

    def refit(*_):
        raise AssertionError("a cached projection must not be refitted")

    monkeypatch.setattr(projection, "fit_projection", refit)
    np.testing.assert_allclose(cached_projection(ArtifactCache.beside(path), data, PCA), coords,
                               rtol=1e-3, atol=1e-3)
    copy = tmp_path / "same-bytes-other-name.safetensors"
    copy.write_bytes(path.read_bytes())
    assert projection_cache_file(ArtifactCache.beside(copy), data, PCA) == stored  # one entry
    save_model(tiny_model("vae", seed=5), path, dataset={"name": "digits"})  # retrained: new content
    assert projection_cache_file(ArtifactCache.beside(path), data, PCA) != stored


def test_preview_grid_is_written_once_and_read_back(tmp_path, monkeypatch):
    model = tiny_model("dcgan")
    cache = ArtifactCache.beside(save_model(model, tmp_path / "g.safetensors"))
    first = preview_grid(lambda: model, cache)
    assert cache.file("preview", "png").is_file()
    assert first.dtype == np.uint8 and first.shape[-1] == 1

    def sample(*_):
        raise AssertionError("a cached preview must be read, not drawn again")

    monkeypatch.setattr(model, "sample", sample)
    np.testing.assert_array_equal(preview_grid(lambda: model, cache), first)


def test_precompute_writes_caches_and_skips_broken_files(tmp_path, capsys):
    save_model(tiny_model("vae"), tmp_path / "v.safetensors", dataset={"name": "digits"})
    save_model(tiny_model("dcgan"), tmp_path / "g.safetensors", dataset={"name": "digits"})
    (tmp_path / "bad.safetensors").write_bytes(b"nope")
    written = precompute(tmp_path, [PCA])
    assert len(written) == 5 and all(p.is_file() for p in written)
    assert len(list((tmp_path / "cache").glob("*-encodings-*.npz"))) == 1  # the VAE's encodings
    assert "skipped bad.safetensors" in capsys.readouterr().out


def test_precompute_reads_the_classes_of_unlabelled_points_only(tmp_path, capsys, monkeypatch,
                                                                 digits_classifier_file):
    monkeypatch.setattr(projection, "default_classifier_path", lambda dataset: digits_classifier_file)
    gan = tiny_model("dcgan")
    save_model(tiny_model("vae"), tmp_path / "v.safetensors", dataset={"name": "digits"})
    save_model(gan, tmp_path / "g.safetensors", dataset={"name": "digits"})
    written = precompute(tmp_path, [PCA])
    (readings,) = [p for p in written if "-classes-" in p.name]  # the GAN's sampled latents only
    assert readings.name.startswith(content_hash(tmp_path / "g.safetensors"))
    expected = class_readings(gan, map_data(gan, None).latents, load_classifier(digits_classifier_file))
    np.testing.assert_array_equal(np.load(readings)["classes"], expected)
    printed = capsys.readouterr().out
    assert ("g.safetensors: preview and 1 projections of 3000 sampled latents, each point's class read; "
            "picture map: 1 projections of 3000 sampled pictures and 360 real images and their reach\n"
            ) in printed
    assert "v.safetensors: preview and 1 projections of 360 digits images\n" in printed
    (pictures,) = [p for p in written if "-map-pictures-" in p.name]  # the GAN's picture map only
    assert np.load(pictures)["coords"].shape == (3000 + 360, 2)
    (reach,) = [p for p in written if "-reach-pictures-" in p.name]
    assert np.load(reach)["reached"].shape == (360,)


def test_precompute_removes_caches_of_changed_and_deleted_checkpoints(tmp_path, capsys):
    path = save_model(tiny_model("vae"), tmp_path / "v.safetensors", dataset={"name": "digits"})
    gone = save_model(tiny_model("dcgan"), tmp_path / "g.safetensors", dataset={"name": "digits"})
    first = precompute(tmp_path, [PCA])
    gone.unlink()
    update_metadata(path, metrics={"recall": 0.5})  # a rewritten file has a new content hash
    second = precompute(tmp_path, [PCA])
    assert not any(p.exists() for p in first)
    assert sorted((tmp_path / "cache").iterdir()) == sorted(second)
    assert capsys.readouterr().out.count("removed stale") == len(first)


def test_map_encodings_are_cached_and_read_back(tmp_path, monkeypatch):
    model = tiny_model("vae")
    cache = ArtifactCache.beside(save_model(model, tmp_path / "v.safetensors", dataset={"name": "digits"}))
    first = map_data(model, DIGITS, n=40, cache=cache)
    assert len(list(cache.folder.glob("*-encodings-*.npz"))) == 1

    def encode(*_):
        raise AssertionError("cached encodings must be read, not computed again")

    monkeypatch.setattr(projection, "encode_means", encode)
    torch.testing.assert_close(map_data(model, DIGITS, n=40, cache=cache).latents, first.latents)


def test_the_inverse_distance_mean_is_exact_on_a_point_and_a_weighted_mean_between_points():
    coords = np.array([[0.0, 0.0], [2.0, 0.0], [50.0, 50.0]], dtype=np.float32)
    latents = np.array([[1.0, 0.0], [0.0, 1.0], [9.0, 9.0]], dtype=np.float32)
    on_points = inverse_distance_mean(coords, coords, latents, k=2)
    assert np.allclose(on_points, latents, atol=1e-5)
    middle = inverse_distance_mean(np.array([[1.0, 0.0]]), coords, latents, k=2)
    assert np.allclose(middle, [[0.5, 0.5]], atol=1e-6)  # equidistant: the plain mean
    nearer_first = inverse_distance_mean(np.array([[0.5, 0.0]]), coords, latents, k=2)[0]
    assert nearer_first[0] == pytest.approx(0.9, abs=1e-6)  # weights 1/0.25 and 1/2.25: 9 to 1
