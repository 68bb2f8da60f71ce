"""A GAN's map by what its samples show, beside the data they imitate.

A GAN's latent map places sampled latents by the latents themselves: under a Gaussian prior that is
one round cloud, whatever the generator draws. The picture map places each sample by the dataset
classifier's features of its decoded picture (``gen_core.maps.linked.picture_features``), and real
images of the dataset by the same features, projected together like any map (UMAP or PCA, cached
the same way): samples gather where they look alike, and real images with no samples among them
are something the generator does not draw, a dropped mode seen on the map. Which real images no
sample reaches is counted as the recall counts it (``reached_real_images``), and cached beside
the projection.
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from gen_core.cache import ArtifactCache, content_hash
from gen_core.eval.metrics import inside_any_ball, kth_neighbour_radii
from gen_core.files.atomic import read_npz, write_npz

if TYPE_CHECKING:
    from gen_core.maps.projection import MapData

REAL_IMAGES = "real images"
REACH_NEIGHBOURS = 3  # k of the recall in gen_core.eval.metrics (Kynkaanniemi et al. 2019)


def picture_points(data: MapData, generated: torch.Tensor, real: torch.Tensor, real_images: str,
                   classifier_file: Path) -> MapData:
    """What a picture map projects: the classifier's features ``[N, F]`` of ``data``'s ``N``
    sampled pictures, then those ``[M, F]`` of ``M`` real images, as one ``MapData`` whose points
    are the features (where a latent map has latents); the samples keep ``data``'s labels, the real
    images are unlabelled.

    Its fingerprint names the samples, the real images (``real_images``: their
    ``images_fingerprint``) and the classifier file's bytes, so a cached projection is never
    reused for other samples, images or features.
    """
    if len(generated) != len(data.latents):
        raise ValueError(f"{len(generated)} sampled pictures' features for {len(data.latents)} latents")
    if real.ndim != 2 or real.shape[1] != generated.shape[1]:
        raise ValueError(f"real images' features {tuple(real.shape)} do not match the samples' "
                         f"{tuple(generated.shape)}")
    return dataclasses.replace(
        data, latents=torch.cat([generated, real]).float(),
        labels=torch.cat([data.labels, torch.full((len(real),), -1, dtype=data.labels.dtype)]), images=None,
        source=picture_source(len(generated), len(real)),
        fingerprint=picture_fingerprint(data.fingerprint, real_images, classifier_file))


def picture_source(samples: int, real: int) -> str:
    """What a picture map shows, as a map's caption names it."""
    return f"{samples} sampled pictures and {real} {REAL_IMAGES}"


def picture_fingerprint(sampled: str, real_images: str, classifier_file: Path) -> str:
    """The fingerprint of ``picture_points`` of the sampled map named ``sampled``, known without
    reading any picture, so a page finds a cached projection at once."""
    return f"pictures-{sampled}-{real_images}-{content_hash(classifier_file)}"


def reached_real_images(points: MapData, samples: int, k: int = REACH_NEIGHBOURS) -> np.ndarray:
    """Whether each real image of ``picture_points`` (its first ``samples`` points the samples',
    then the ``M`` real images') lies within reach of a sample, bool ``[M]``: inside the ball round
    some sample out to that sample's ``k``-th nearest other sample, as the recall counts it."""
    generated, real = points.latents[:samples], points.latents[samples:]
    return inside_any_ball(real, generated, kth_neighbour_radii(generated, k)).numpy()


def reach_file(cache: ArtifactCache, fingerprint: str, k: int = REACH_NEIGHBOURS) -> Path:
    """Where ``cached_reach`` keeps the reach of the picture map named ``fingerprint``."""
    return cache.file(f"reach-{fingerprint}-k{k}", "npz")


def stored_reach(cache: ArtifactCache, fingerprint: str, real: int) -> np.ndarray | None:
    """``reached_real_images`` ``[real]`` stored for the picture map named ``fingerprint``; ``None``
    unless stored there intact."""
    stored = read_npz(reach_file(cache, fingerprint), "reached")
    if stored is None or stored["reached"].shape != (real,):
        return None
    return stored["reached"].astype(bool)


def cached_reach(cache: ArtifactCache, points: MapData, samples: int) -> np.ndarray:
    """``reached_real_images`` of ``points``, from the disk cache, else counted and stored there."""
    reached = stored_reach(cache, points.fingerprint, len(points.latents) - samples)
    if reached is not None:
        return reached
    reached = reached_real_images(points, samples)
    with contextlib.suppress(OSError):  # read-only checkout: counted again in a new process
        write_npz(reach_file(cache, points.fingerprint), reached=reached)
    return reached
