"""gen_core.maps.timeline: each snapshot's layout aligned onto the last, points keeping their identity."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gen_core.cache import SAFE_PART, ArtifactCache
from gen_core.maps.projection import MapData, ProjectionParams
from gen_core.maps.timeline import (
    ENCODINGS,
    FEATURES,
    aligned_layouts,
    aligned_onto_last,
    cached_timeline_layouts,
    snapshot_points,
    timeline_cache_kind,
    timeline_points_kind,
)
from tests.conftest import tiny_model

PCA = ProjectionParams("pca")


def _turned(coords: np.ndarray, mirror: bool) -> np.ndarray:
    """``coords`` ``[N, 2]`` rotated by 90°, maybe mirrored, scaled and shifted."""
    turn = np.array([[0.0, -1.0], [1.0, 0.0]]) @ (np.diag([1.0, -1.0]) if mirror else np.eye(2))
    return coords @ turn * 5.0 + [4.0, -7.0]


def test_rotated_mirrored_and_scaled_layouts_align_back_onto_the_last_exactly():
    final = np.random.default_rng(0).normal(size=(60, 2)).astype(np.float32)
    aligned = aligned_onto_last([_turned(final, False), _turned(final, True), final])
    assert aligned.shape == (3, 60, 2)
    np.testing.assert_allclose(aligned[:2], np.stack([final, final]), atol=1e-4)
    np.testing.assert_array_equal(aligned[2], final)  # the reference is left as it is


def test_points_keep_their_identity_through_projection_and_alignment():
    rng = np.random.default_rng(1)
    final = rng.normal(size=(80, 6)) * [5, 3, 1, 0.1, 0.1, 0.1]  # two clear principal axes
    rotation, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    earlier = final @ rotation * 0.2 + 3.0  # same geometry, other axes, scale and place
    aligned = aligned_layouts([earlier, final], PCA)
    np.testing.assert_allclose(aligned[0], aligned[1], atol=1e-3)
    # Shuffled, point i of one snapshot is another point of the other: no alignment hides that.
    moved = aligned_layouts([earlier[::-1], final], PCA)
    assert np.linalg.norm(moved[0] - moved[1], axis=1).mean() > 0.5


def _digits_map(n: int = 30) -> MapData:
    images = torch.rand(n, 1, 8, 8)
    return MapData(torch.zeros(n, 4), torch.arange(n) % 10, (), images, f"{n} images", f"digits-{n}-abc")


def test_snapshot_points_encode_images_or_read_features_of_decoded_latents():
    vae, data = tiny_model("vae"), _digits_map()
    assert timeline_points_kind(data) == ENCODINGS
    assert snapshot_points(vae, data, None).shape == (30, 4)

    class Reader:
        def embed(self, images):
            return images.flatten(1)[:, :3], images.flatten(1).argmax(1)

    sampled = MapData(torch.randn(7, 4), torch.full((7,), -1), (), None, "7 sampled latents", "samples-s0-n7")
    assert timeline_points_kind(sampled) == FEATURES
    assert snapshot_points(vae, sampled, Reader()).shape == (7, 3)
    with pytest.raises(ValueError, match="classifier"):
        snapshot_points(vae, sampled, None)


def test_the_layouts_are_cached_on_disk_and_read_back_without_a_model(tmp_path):
    data = _digits_map()
    kind = timeline_cache_kind(data, ENCODINGS, PCA)
    assert SAFE_PART.fullmatch(kind)
    snapshots = [tiny_model("vae", seed=s) for s in range(3)]
    cache = ArtifactCache(tmp_path, "a" * 64)
    first = cached_timeline_layouts(cache, kind, 3, data, snapshots.__getitem__, None, PCA)
    assert first.shape == (3, 30, 2) and cache.file(kind, "npz").is_file()

    def no_model(index):
        raise AssertionError("read from the cache, not computed")

    again = cached_timeline_layouts(cache, kind, 3, data, no_model, None, PCA)
    np.testing.assert_allclose(again, first, atol=1e-2)  # stored as float16
