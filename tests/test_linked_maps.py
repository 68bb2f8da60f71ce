"""gen_core.maps.linked on tiny synthetic latents: pairing, Procrustes alignment, neighbour overlap."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from gen_core.cache import SAFE_PART, ArtifactCache
from gen_core.files.atomic import write_npz
from gen_core.maps.linked import (
    BY_CLASS,
    BY_IMAGE,
    align_onto,
    cached_alignment,
    cached_class_readings,
    class_readings,
    displacement,
    linked_cache_kind,
    linked_points,
    neighbour_overlap,
    pair_maps,
    unit_rms,
)


def rotation(dim: int, seed: int) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(dim, dim)))
    return q


def test_a_rotated_latent_space_keeps_every_neighbourhood():
    a = np.random.default_rng(0).normal(size=(200, 6))
    overlap = neighbour_overlap(a, a @ rotation(6, 1) * 3.0 + 5.0)  # distances only scale
    assert overlap.shape == (200,) and np.all(overlap == 1.0)


def test_unrelated_latent_spaces_share_about_k_over_n_neighbours():
    rng = np.random.default_rng(0)
    n, k = 400, 10
    overlap = neighbour_overlap(rng.normal(size=(n, 5)), rng.normal(size=(n, 7)), k)
    assert abs(overlap.mean() - k / n) < 0.015
    assert np.all((overlap >= 0) & (overlap <= 1))


def test_overlap_needs_the_same_images_and_survives_tiny_sets():
    with pytest.raises(ValueError, match="same images"):
        neighbour_overlap(np.zeros((5, 2)), np.zeros((6, 2)))
    assert neighbour_overlap(np.eye(3), np.eye(3)[::-1], k=10).tolist() == [1.0, 1.0, 1.0]  # k capped at N-1


def test_procrustes_undoes_a_rotation_reflection_scale_and_shift():
    a = np.random.default_rng(0).normal(size=(100, 2))
    turn = np.array([[0.0, -1.0], [1.0, 0.0]]) @ np.diag([1.0, -1.0])
    b = a @ turn * 7.0 + [3.0, -2.0]
    pairing = pair_maps(True, np.zeros(100), np.zeros(100))
    assert displacement(a, b) > 0.5
    np.testing.assert_allclose(align_onto(b, a, pairing), a, atol=1e-5)
    assert displacement(a, align_onto(b, a, pairing)) < 1e-5


def test_unit_rms_and_displacement_ignore_scale_and_shift():
    a = np.random.default_rng(1).normal(size=(50, 2))
    assert np.sqrt((unit_rms(a * 4 + 9) ** 2).sum(1).mean()) == pytest.approx(1.0)
    assert displacement(a, a * 4 + 9) == pytest.approx(0.0, abs=1e-9)


def test_class_pairs_align_by_class_centroids_and_link_whole_classes():
    rng = np.random.default_rng(2)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    classes_a, classes_b = np.repeat([0, 1, 2], 20), np.repeat([2, 0, 1, -1], [5, 15, 10, 3])
    a = centres[classes_a] + rng.normal(size=(60, 2))
    b = (centres[np.maximum(classes_b, 0)] + rng.normal(size=(33, 2))) @ np.array([[0.0, 1.0], [-1.0, 0.0]])
    pairing = pair_maps(False, classes_a, classes_b)
    assert pairing.by == BY_CLASS
    aligned = align_onto(b, a, pairing)
    for c in (1, 2):  # centroids land on A's (class 0 is pulled by the unknown points drawn there)
        assert np.linalg.norm(aligned[classes_b == c].mean(0) - a[classes_a == c].mean(0)) < 2.0
    assert linked_points([0, 25], pairing) == np.flatnonzero(np.isin(classes_b, [0, 1])).tolist()
    assert linked_points([0], pairing, from_a=False) == list(range(40, 60))  # B's point 0 reads 2
    assert linked_points([30], pairing, from_a=False) == []  # an unknown class links nothing


def test_image_pairs_link_the_same_indices():
    pairing = pair_maps(True, np.arange(5), np.arange(5))
    assert pairing.by == BY_IMAGE
    assert linked_points([3, 1, 3], pairing) == [1, 3]
    with pytest.raises(ValueError):
        pair_maps(True, np.arange(5), np.arange(4))


def test_the_aligned_layout_is_cached_under_both_identities(tmp_path):
    a = np.random.default_rng(3).normal(size=(40, 2))
    pairing = pair_maps(True, np.zeros(40), np.zeros(40))
    kind = linked_cache_kind("b" * 64, "digits-40-abc", "digits-40-abc", pairing, "umap-n15-d0.1-r42")
    assert SAFE_PART.fullmatch(kind) and kind.startswith("linked-" + "b" * 16)
    cache = ArtifactCache(tmp_path, "a" * 64)
    first = cached_alignment(cache, kind, a[::-1] * 2, a, pairing)
    assert cache.file(kind, "npz").is_file()
    again = cached_alignment(cache, kind, np.zeros((40, 2)), a, pairing)  # read back, not refitted
    np.testing.assert_array_equal(first, again)


class IdentityDecoder:
    def decode(self, z):
        return z[:, :, None, None]


class ArgmaxReader:
    """Reads the brightest pixel's index as the class, counting its calls."""

    config = SimpleNamespace(num_classes=3)
    calls = 0

    def embed(self, images):
        self.calls += 1
        return images.flatten(1), images.flatten(1).argmax(1)


def test_class_readings_decode_and_classify_each_latent():
    latents = torch.eye(3)[[2, 0, 1, 1]]
    assert class_readings(IdentityDecoder(), latents, ArgmaxReader()).tolist() == [2, 0, 1, 1]


def test_class_readings_are_kept_on_disk_per_classifier_and_a_bad_entry_is_read_again(tmp_path):
    cache, latents = ArtifactCache(tmp_path / "cache", "b" * 64), torch.eye(3)[[2, 0, 1, 1]]
    classifier_file = tmp_path / "reader.safetensors"
    classifier_file.write_bytes(b"one")
    reader = ArgmaxReader()
    first = cached_class_readings(cache, IdentityDecoder(), latents, "samples-s0-n4", reader, classifier_file)
    again = cached_class_readings(cache, IdentityDecoder(), latents, "samples-s0-n4", reader, classifier_file)
    assert first.tolist() == again.tolist() == [2, 0, 1, 1] and reader.calls == 1  # read back from disk
    (entry,) = (tmp_path / "cache").iterdir()

    write_npz(entry, classes=np.array([0, 7, 1, 1], dtype=np.int16))  # a class the reader has not
    assert cached_class_readings(cache, IdentityDecoder(), latents, "samples-s0-n4", reader,
                                 classifier_file).tolist() == [2, 0, 1, 1] and reader.calls == 2
    classifier_file.write_bytes(b"retrained")  # another classifier: its own entry
    cached_class_readings(cache, IdentityDecoder(), latents, "samples-s0-n4", reader, classifier_file)
    assert reader.calls == 3 and len(list((tmp_path / "cache").iterdir())) == 2
