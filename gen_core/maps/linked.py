"""Two models' maps side by side: which points correspond, one layout frame, and where they disagree.

Two encoder models (VAEs) that map the same probe images pair their points image by image. A GAN
has no encoder, so its map shows sampled latents; the dataset's classifier reads each decoded
sample, and points pair by that predicted class only (a GAN's samples are not the same images).
A pair with a GAN pairs by class on both sides (the VAE side by its images' labels).

The second map is drawn in the first map's frame: its own 2-D layout (the cached UMAP or PCA of
``gen_core.maps.projection``) turned, mirrored, scaled and shifted onto the first by orthogonal
Procrustes over the paired points (image pairs, or class centroids). ``bench/linked_maps.py``
measured this against umap-learn's ``AlignedUMAP`` and a joint PCA; docs/app.md has the numbers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import torch

from gen_core.cache import SHORT_ID, ArtifactCache, content_hash
from gen_core.eval.classifier import Classifier
from gen_core.files.atomic import read_npz, write_npz
from gen_core.models import GenerativeModel

OVERLAP_NEIGHBOURS = 10
DECODE_BATCH = 250
BY_IMAGE, BY_CLASS = "image", "class"


@dataclasses.dataclass(frozen=True)
class Pairing:
    """How map A's points ``[N_A]`` correspond to map B's ``[N_B]``: ``by`` is ``BY_IMAGE`` (point
    ``i`` of A is point ``i`` of B) or ``BY_CLASS`` (points correspond when their classes match);
    ``classes_a``/``classes_b`` are the classes the maps pair by (-1: unknown)."""

    by: str
    classes_a: np.ndarray
    classes_b: np.ndarray

    def digest(self) -> str:
        """A short hash of what pairs with what, for cache keys."""
        parts = (self.by.encode(), self.classes_a.astype(np.int64).tobytes(),
                 self.classes_b.astype(np.int64).tobytes())
        return hashlib.sha256(b"|".join(parts)).hexdigest()[:8]


def pair_maps(same_images: bool, classes_a: np.ndarray, classes_b: np.ndarray) -> Pairing:
    """Image pairs when both maps show the same images (same probe fingerprint, both encoded),
    else class pairs."""
    classes_a, classes_b = np.asarray(classes_a), np.asarray(classes_b)
    if same_images and len(classes_a) != len(classes_b):
        raise ValueError(f"the same images cannot be {len(classes_a)} and {len(classes_b)} points")
    return Pairing(BY_IMAGE if same_images else BY_CLASS, classes_a, classes_b)


@torch.no_grad()
def picture_features(model: GenerativeModel, latents: torch.Tensor,
                     classifier: Classifier) -> tuple[torch.Tensor, torch.Tensor]:
    """The classifier's features ``[N, F]`` and predicted class ``[N]`` of each latent ``[N, D]``'s
    decoded image, decoded ``DECODE_BATCH`` at a time."""
    read = [classifier.embed(model.decode(chunk)) for chunk in latents.split(DECODE_BATCH)]
    return torch.cat([f for f, _ in read]), torch.cat([c for _, c in read])


def class_readings(model: GenerativeModel, latents: torch.Tensor, classifier: Classifier) -> np.ndarray:
    """The classifier's predicted class ``[N]`` of each latent ``[N, D]``'s decoded image."""
    return picture_features(model, latents, classifier)[1].numpy()


def class_readings_file(cache: ArtifactCache, fingerprint: str, classifier_file: Path) -> Path:
    """Where ``cached_class_readings`` keeps a map's readings by one classifier file."""
    return cache.file(f"classes-{fingerprint}-{content_hash(classifier_file)}", "npz")


def cached_class_readings(cache: ArtifactCache, model: GenerativeModel, latents: torch.Tensor,
                          fingerprint: str, classifier: Classifier, classifier_file: Path) -> np.ndarray:
    """``class_readings`` of a map's ``latents`` ``[N, D]`` (``fingerprint``: its data, as
    ``MapData`` names it) from the model's disk cache, else read now and stored there. The entry
    is keyed by the classifier file's bytes too, so a retrained classifier never meets stale
    readings; one holding anything but ``N`` known classes is read again."""
    path = class_readings_file(cache, fingerprint, classifier_file)
    stored = read_npz(path, "classes")
    if stored is not None:
        classes = stored["classes"].astype(np.int64)
        known = (classes >= 0) & (classes < classifier.config.num_classes)
        if classes.shape == (len(latents),) and known.all():
            return classes
    classes = class_readings(model, latents, classifier)
    with contextlib.suppress(OSError):  # read-only checkout: read again in a new process
        write_npz(path, classes=classes.astype(np.int16))
    return classes


def linked_points(chosen: list[int], pairing: Pairing, from_a: bool = True) -> list[int]:
    """The points of the other map that correspond to ``chosen`` points of map A (or of map B when
    ``not from_a``): the same indices for image pairs, every point of a chosen class for class pairs."""
    if pairing.by == BY_IMAGE:
        return sorted(set(chosen))
    source, target = pairing.classes_a, pairing.classes_b
    if not from_a:
        source, target = target, source
    classes = {int(source[i]) for i in chosen} - {-1}
    return np.flatnonzero(np.isin(target, list(classes))).tolist()


def unit_rms(coords: np.ndarray) -> np.ndarray:
    """``coords`` ``[N, 2]`` centred, scaled so the mean squared distance from the centre is 1."""
    centred = np.asarray(coords, dtype=np.float64) - np.mean(coords, axis=0)
    rms = np.sqrt((centred**2).sum(1).mean())
    return centred / rms if rms > 0 else centred


def _matched(coords_a: np.ndarray, coords_b: np.ndarray, pairing: Pairing) -> tuple[np.ndarray, np.ndarray]:
    """Corresponding anchor points ``[M, 2]`` of both layouts: every image, or each class's centroid."""
    if pairing.by == BY_IMAGE:
        return np.asarray(coords_a, np.float64), np.asarray(coords_b, np.float64)
    shared = sorted((set(pairing.classes_a.tolist()) & set(pairing.classes_b.tolist())) - {-1})
    return (np.array([coords_a[pairing.classes_a == c].mean(0) for c in shared]).reshape(-1, 2),
            np.array([coords_b[pairing.classes_b == c].mean(0) for c in shared]).reshape(-1, 2))


def align_onto(coords_b: np.ndarray, coords_a: np.ndarray, pairing: Pairing) -> np.ndarray:
    """Map B's layout ``[N_B, 2]`` moved into map A's frame (float32): the rotation or reflection,
    uniform scale and shift that bring B's anchors (``_matched``) closest to A's in least squares
    (orthogonal Procrustes). Fewer than two anchors: B is only scaled and centred onto A."""
    anchors_a, anchors_b = _matched(coords_a, coords_b, pairing)
    coords_b = np.asarray(coords_b, np.float64)
    if len(anchors_a) < 2:
        return (unit_rms(coords_b) * _rms(coords_a) + np.mean(coords_a, 0)).astype(np.float32)
    mean_a, mean_b = anchors_a.mean(0), anchors_b.mean(0)
    a, b = anchors_a - mean_a, anchors_b - mean_b
    u, s, vt = np.linalg.svd(b.T @ a)
    rotation = u @ vt  # [2, 2]: b @ rotation is closest to a
    norm_b = (b**2).sum()
    scale = s.sum() / norm_b if norm_b > 0 else 1.0
    return ((coords_b - mean_b) @ rotation * scale + mean_a).astype(np.float32)


def _rms(coords: np.ndarray) -> float:
    centred = np.asarray(coords, np.float64) - np.mean(coords, axis=0)
    return float(np.sqrt((centred**2).sum(1).mean()))


def displacement(coords_a: np.ndarray, coords_b: np.ndarray) -> float:
    """Mean distance between matched points ``[N, 2]`` of two layouts, after scaling each to unit
    RMS (``unit_rms``): 0 for the same layout, about 1.4 for unrelated ones."""
    return float(np.linalg.norm(unit_rms(coords_a) - unit_rms(coords_b), axis=1).mean())


def nearest_neighbours(latents: np.ndarray, k: int = OVERLAP_NEIGHBOURS) -> np.ndarray:
    """Indices ``[N, k]`` of each latent's ``k`` nearest other latents ``[N, D]`` (Euclidean)."""
    x = np.asarray(latents, dtype=np.float64)
    k = min(k, len(x) - 1)
    squared = (x**2).sum(1)
    neighbours = np.empty((len(x), max(k, 0)), dtype=np.int64)
    if k <= 0:
        return neighbours
    for start in range(0, len(x), 1000):  # [1000, N] distances at a time: bounded memory
        rows = slice(start, start + 1000)
        d = squared[rows, None] + squared[None, :] - 2 * x[rows] @ x.T
        d[np.arange(d.shape[0]), np.arange(start, start + d.shape[0])] = np.inf  # not its own neighbour
        neighbours[rows] = np.argpartition(d, k - 1, axis=1)[:, :k]
    return neighbours


def neighbour_overlap(latents_a: np.ndarray, latents_b: np.ndarray,
                      k: int = OVERLAP_NEIGHBOURS) -> np.ndarray:
    """Per image, the shared fraction ``[N]`` (0…1) of its ``k`` nearest neighbours in model A's
    latent space ``[N, D_A]`` and in model B's ``[N, D_B]`` (the latent spaces, not the maps).

    1 where both models put the same images around it; about ``k / N`` for unrelated spaces.
    """
    if len(latents_a) != len(latents_b):
        raise ValueError("neighbour overlap needs the same images in both latent spaces")
    near_a, near_b = nearest_neighbours(latents_a, k), nearest_neighbours(latents_b, k)
    if near_a.shape[1] == 0:
        return np.ones(len(near_a), dtype=np.float32)
    shared = [len(np.intersect1d(a, b, assume_unique=True)) for a, b in zip(near_a, near_b, strict=True)]
    return (np.array(shared, dtype=np.float32) / near_a.shape[1]).astype(np.float32)


def linked_cache_kind(identity_b: str, fingerprint_a: str, fingerprint_b: str, pairing: Pairing,
                      params_key: str) -> str:
    """The cache kind (in model A's ``ArtifactCache``) of model B's layout aligned onto A's map."""
    data = fingerprint_a if fingerprint_a == fingerprint_b else f"{fingerprint_a}-{fingerprint_b}"
    return f"linked-{identity_b[:SHORT_ID]}-{data}-{pairing.digest()}-{params_key}"


def cached_alignment(cache_a: ArtifactCache, kind: str, coords_b: np.ndarray, coords_a: np.ndarray,
                     pairing: Pairing) -> np.ndarray:
    """``align_onto(coords_b, coords_a, pairing)`` ``[N_B, 2]``, from the disk cache when stored there."""
    path = cache_a.file(kind, "npz")
    stored = read_npz(path, "coords")
    if stored is not None:
        coords = stored["coords"].astype(np.float32)
        if coords.shape == (len(coords_b), 2) and np.isfinite(coords).all():
            return coords
    coords = align_onto(coords_b, coords_a, pairing)
    with contextlib.suppress(OSError):  # read-only checkout: aligned again in the next process
        write_npz(path, coords=coords)
    return coords
