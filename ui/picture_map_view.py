"""The Latent Map's picture map of a GAN (``gen_core.maps.picture_map``): the choice between
placing its samples by latent or by picture, and where new latents land on the picture map."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import streamlit as st
import torch

from gen_core.eval.metric_keys import RECALL, RECALL_REAL
from gen_core.maps.linked import picture_features
from gen_core.maps.picture_map import REACH_NEIGHBOURS
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
UNREACHED = "real images no sample reaches"
UNREACHED_MARKER = {"size": 5, "symbol": "x", "color": "rgba(0, 0, 0, 0.65)"}


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


def reach_caption(reached: np.ndarray, metrics: Mapping) -> str:
    """How many of the map's real images (``reached``: bool ``[M]``) a sample reaches, beside the
    model card's recall and its real-data reference where the card has them."""
    text = (f"**{reached.mean():.0%}** of these {len(reached):,} real images lie within reach of a "
            f"sample, as recall counts it (inside the ball round a sample out to its k-th nearest other "
            f"sample, k = {REACH_NEIGHBOURS}); the black crosses are the {int((~reached).sum()):,} that "
            "none reaches.")
    if RECALL in metrics:
        reference = metrics.get(RECALL_REAL)
        beside = f" (real images against real images: {reference:.2f})" if reference is not None else ""
        text += f" The model card's recall: {metrics[RECALL]:.2f}{beside}."
    return text
