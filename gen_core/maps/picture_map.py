"""A GAN's map by what its samples show, beside the data they imitate.

A GAN's latent map places sampled latents by the latents themselves: under a Gaussian prior that is
one round cloud, whatever the generator draws. The picture map places each sample by the dataset
classifier's features of its decoded picture (``gen_core.maps.linked.picture_features``), and real
images of the dataset by the same features, projected together like any map (UMAP or PCA, cached
the same way): samples gather where they look alike, and real images with no samples among them
are something the generator does not draw, a dropped mode seen on the map.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from gen_core.cache import content_hash

if TYPE_CHECKING:
    from gen_core.maps.projection import MapData

REAL_IMAGES = "real images"


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
