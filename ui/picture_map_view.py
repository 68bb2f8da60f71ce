"""The Latent Map's picture map of a GAN (``gen_core.maps.picture_map``): the choice between
placing its samples by latent or by picture, and where new latents land on the picture map."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from gen_core.maps.linked import picture_features
from gen_core.maps.projection import place_on_map
from gen_core.models import GenerativeModel
from ui.cached import dataset_classifier, picture_map_possible, real_picture_features

BY_LATENT, BY_PICTURE = "latent", "picture"
# What the map's caption adds on a picture map.
PLACED_BY_PICTURE = (", placed by the dataset classifier's features of each picture (real images dark grey). "
                     "Stars (the latent set on Explore, your image) sit among the real images whose "
                     "pictures look most like theirs.")
PLACE_HELP = ("latent: where each sample's latent lies, which for a Gaussian prior is one round cloud. "
              "picture: what the dataset's classifier sees in each sample's picture, beside real images "
              "of the dataset (dark grey) placed the same way: samples gather where they look alike, and "
              "real images with no samples among them are something the generator does not draw.")


def placed_by_picture(stem: str) -> bool:
    """Offers the choice where ``stem``'s map can be a picture map; whether it was chosen."""
    if not picture_map_possible(stem):
        return False
    choice = st.radio("Place points by", [BY_LATENT, BY_PICTURE], horizontal=True, key=f"map_place_{stem}",
                      help=PLACE_HELP)
    return choice == BY_PICTURE


def picture_layout(stem: str, model: GenerativeModel, coords: np.ndarray, count: int,
                   latents: torch.Tensor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A picture map's coordinates ``[count + M, 2]`` split into the ``count`` samples' and the
    ``M`` real images', and where latents ``[S, D]`` land: among the real images whose pictures look
    most like theirs (``place_on_map`` over the classifier's features), so no sample is decoded to
    place them. Returns ``(samples [count, 2], real [M, 2], places [S, 2])``."""
    samples, real = coords[:count], coords[count:]
    features = picture_features(model, latents, dataset_classifier(model.card.dataset))[0]
    return samples, real, place_on_map(features.numpy(), real_picture_features(stem).numpy(), real)
