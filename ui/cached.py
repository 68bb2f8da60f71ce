"""``st.cache_data`` wrappers over gen_core's slower derived artifacts, keyed by content hash."""

from __future__ import annotations

import dataclasses

import numpy as np
import streamlit as st
import torch

from gen_core.cache import preview_grid
from gen_core.data import load_eval_images
from gen_core.eval.classifier import Classifier, default_classifier_path, load_classifier
from gen_core.latent.encoding import mean_kl_per_dim
from gen_core.maps.projection import MapData, ProjectionParams, cached_projection, map_data
from ui.catalog import artifact_cache, get_model, model_card, model_ref

KL_IMAGES = 3000


def _hash(stem: str) -> str:
    return model_ref(stem).identity


def preview(stem: str) -> np.ndarray:
    """The gallery grid of ``stem``, uint8 ``[H, W, C]`` (disk-cached by content)."""
    return _preview(stem, _hash(stem))


@st.cache_data(show_spinner=False, max_entries=64)
def _preview(stem: str, file_hash: str) -> np.ndarray:
    return preview_grid(lambda: get_model(stem), artifact_cache(stem))


def dataset_name(stem: str) -> str:
    return model_card(stem).dataset


PICKABLE_IMAGES = 500  # the dataset images a page offers by number


def pickable_images(stem: str) -> torch.Tensor:
    """The dataset images ``[PICKABLE_IMAGES, C, H, W]`` every page lets a person pick by number."""
    return eval_images(stem, PICKABLE_IMAGES)


def eval_images(stem: str, n: int) -> torch.Tensor:
    """The first ``n`` evaluation images ``[n, C, H, W]`` of the model's dataset."""
    return _eval_images(dataset_name(stem), n)


@st.cache_resource(show_spinner="Loading images…", max_entries=4)
def _eval_dataset(dataset: str) -> torch.Tensor:
    # One read-only copy per dataset for the whole process: every page and model slices it.
    return load_eval_images(dataset).images


def _eval_images(dataset: str, n: int) -> torch.Tensor:
    return _eval_dataset(dataset)[:n]


def kl_per_dim(stem: str) -> torch.Tensor:
    """Mean KL per latent dimension ``[D]`` of a VAE over its evaluation images, in nats."""
    return _kl(stem, _hash(stem))


@st.cache_data(show_spinner="Measuring each dimension's KL…", max_entries=32)
def _kl(stem: str, file_hash: str) -> torch.Tensor:
    return mean_kl_per_dim(get_model(stem), eval_images(stem, KL_IMAGES))


def latent_map_data(stem: str) -> MapData:
    return _map_data(stem, _hash(stem))


@st.cache_resource(show_spinner="Encoding the map's data…", max_entries=16)
def _map_data(stem: str, file_hash: str) -> MapData:
    # cache_resource: MapData holds tensors that are only read, so no copy per rerun is needed.
    return map_data(get_model(stem), dataset_name(stem), cache=artifact_cache(stem))


def projection(stem: str, params: ProjectionParams) -> np.ndarray:
    """Map coordinates ``[N, 2]`` of ``stem``'s map data (disk cache first, then this process's)."""
    return _projection(stem, _hash(stem), dataclasses.astuple(params))


@st.cache_data(show_spinner="Projecting… (UMAP's first fit in a process compiles for ~40 s)", max_entries=32)
def _projection(stem: str, file_hash: str, params: tuple) -> np.ndarray:
    return cached_projection(artifact_cache(stem), latent_map_data(stem), ProjectionParams(*params))


def dataset_classifier(dataset: str) -> Classifier | None:
    """The shipped classifier of ``dataset`` (its features guide GAN inversion), if there is one."""
    path = default_classifier_path(dataset)
    return _classifier(str(path)) if path.is_file() else None


@st.cache_resource(show_spinner=False, max_entries=4)
def _classifier(path: str) -> Classifier:
    return load_classifier(path)
