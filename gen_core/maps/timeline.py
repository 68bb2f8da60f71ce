"""A map over a model's training timeline: the same points at every snapshot, in one frame.

A model that encodes (a VAE with images to encode) maps its probe images' posterior means at
each snapshot. A GAN's map shows latents sampled from the prior, and those are the same at every
snapshot, so that map would not move at all; what its training changes is what each latent
draws. A GAN's timeline therefore maps the dataset classifier's features of ``G(z)`` for the
same sampled ``z`` at each snapshot (without a classifier it has no timeline map).

Each snapshot's points are projected on their own (PCA by default: instant), then turned and
mirrored onto the final snapshot's layout by orthogonal Procrustes over the same points
(``gen_core.maps.linked.align_onto``) and given its centre and spread, so a point moves only as
training moved it. Separate UMAP fits differ by more than a turn (clusters land in other places),
which no Procrustes undoes, so their points would jump; PCA layouts of neighbouring snapshots
differ mostly by a rotation or a mirror. The layouts are cached on disk by the file's identity,
which covers every snapshot in it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

import numpy as np
import torch

from gen_core.cache import ArtifactCache
from gen_core.eval.classifier import Classifier
from gen_core.files.atomic import read_npz, write_npz
from gen_core.latent.encoding import encode_means
from gen_core.maps.linked import DECODE_BATCH, align_onto, pair_maps, unit_rms
from gen_core.maps.projection import MapData, ProjectionParams, fit_projection
from gen_core.models import GenerativeModel

ENCODINGS, FEATURES = "encodings", "features"  # what a timeline map shows of each point


def timeline_points_kind(data: MapData) -> str:
    """``ENCODINGS`` when the map holds images to encode, else ``FEATURES`` of decoded latents."""
    return ENCODINGS if data.images is not None else FEATURES


@torch.no_grad()
def snapshot_points(model: GenerativeModel, data: MapData, classifier: Classifier | None) -> np.ndarray:
    """What the map shows of ``data``'s points at one snapshot: the posterior means ``[N, D]`` of
    its images, or ``classifier``'s features ``[N, F]`` of its latents decoded by ``model``."""
    if timeline_points_kind(data) == ENCODINGS:
        return encode_means(model, data.images).numpy()
    if classifier is None:
        raise ValueError("mapping decoded latents needs the dataset's classifier")
    features = [classifier.embed(model.decode(chunk))[0] for chunk in data.latents.split(DECODE_BATCH)]
    return torch.cat(features).numpy()


def aligned_layouts(points: Sequence[np.ndarray], params: ProjectionParams) -> np.ndarray:
    """Each snapshot's points ``[N, F]`` projected on its own, then aligned onto the last
    snapshot's layout by Procrustes: ``[T, N, 2]``. Point ``i`` is the same point in every layout."""
    layouts = [fit_projection(p, params) for p in points]
    return aligned_onto_last(layouts)


def aligned_onto_last(layouts: Sequence[np.ndarray]) -> np.ndarray:
    """Layouts ``[N, 2]`` each, all but the last turned onto the last by Procrustes and given its
    centre and spread: ``[T, N, 2]``."""
    final = np.asarray(layouts[-1], np.float32)
    unknown = np.full(len(final), -1)
    same_points = pair_maps(True, unknown, unknown)
    centre = final.mean(0)
    spread = np.sqrt(((final - centre) ** 2).sum(1).mean())
    # Procrustes' least-squares scale shrinks a layout that matches the last one poorly (an early,
    # unorganised snapshot) towards a dot; the same spread keeps every snapshot readable.
    aligned = [unit_rms(align_onto(layout, final, same_points)) * spread + centre for layout in layouts[:-1]]
    return np.stack([*aligned, final]).astype(np.float32)


def timeline_cache_kind(data: MapData, what: str, params: ProjectionParams) -> str:
    """The cache kind of a timeline map of ``data`` (``what``: encodings or features)."""
    return f"timeline-{what}-{data.fingerprint}-{params.key()}"


def cached_timeline_layouts(cache: ArtifactCache, kind: str, count: int, data: MapData,
                            snapshot: Callable[[int], GenerativeModel], classifier: Classifier | None,
                            params: ProjectionParams) -> np.ndarray:
    """The aligned layouts ``[count, N, 2]`` of ``data`` at each of ``count`` snapshots (``snapshot(i)``
    gives the model at snapshot ``i``), from the disk cache when stored there."""
    path = cache.file(kind, "npz")
    stored = read_npz(path, "coords")
    if stored is not None:
        coords = stored["coords"].astype(np.float32)
        if coords.shape == (count, len(data.latents), 2) and np.isfinite(coords).all():
            return coords
    points = [snapshot_points(snapshot(i), data, classifier) for i in range(count)]
    coords = aligned_layouts(points, params)
    with contextlib.suppress(OSError):  # read-only checkout: computed again in the next process
        write_npz(path, coords=coords.astype(np.float16))
    return coords
