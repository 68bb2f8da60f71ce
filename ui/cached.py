"""``st.cache_data`` wrappers over gen_core's slower derived artifacts, keyed by content hash."""

from __future__ import annotations

import dataclasses

import numpy as np
import streamlit as st
import torch

from gen_core.cache import ArtifactCache, preview_grid
from gen_core.data import DataError, ImageData, probe_set
from gen_core.eval.classifier import Classifier, default_classifier_path, load_classifier
from gen_core.latent.encoding import mean_kl_per_dim
from gen_core.maps.linked import (
    Pairing,
    cached_alignment,
    cached_class_readings,
    linked_cache_kind,
    neighbour_overlap,
)
from gen_core.maps.picture_map import cached_reach, picture_fingerprint, stored_reach
from gen_core.maps.projection import (
    MAP_POINTS,
    MapData,
    ProjectionParams,
    cached_projection,
    images_fingerprint,
    map_data,
    picture_map_data,
    projection_file,
    stored_projection,
)
from ui.catalog import artifact_cache, get_model, model_card, model_ref
from ui.probe_upload import uploaded_probe_set
from ui.upload_space import artifact_folder

KL_IMAGES = 3000
# What a map's caption adds where ``labelled_map_data`` read its points' classes.
READ_CLASSES = "coloured by what the dataset's classifier reads in each one's picture"


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


@dataclasses.dataclass(frozen=True)
class Probe:
    """The images pages map, reconstruct and offer by number for a model: ``key`` tells sets
    apart in caches; ``uploaded`` when they are this tab's uploaded pictures."""

    data: ImageData
    key: str
    uploaded: bool


def probe(stem: str) -> Probe | None:
    """The probe set of ``stem``: its dataset's images on this server (``gen_core.data.probe_set``:
    a fixed set's, or the first pictures of each class of an operator-named folder), else the
    pictures uploaded in this tab on the Latent Map where they have the model's frame, else None."""
    card = model_card(stem)
    try:
        return Probe(_server_probe(card.dataset, tuple(card.image_shape)), card.dataset, False)
    except DataError:
        uploaded = uploaded_probe_set()
        if uploaded is None or uploaded[1].image_shape != tuple(card.image_shape):
            return None
        return Probe(uploaded[1], f"uploaded-{uploaded[0]}", True)


def server_has_images(stem: str) -> bool:
    """Whether this server holds images of ``stem``'s dataset (else a person may upload some)."""
    found = probe(stem)
    return found is not None and not found.uploaded


@st.cache_resource(show_spinner="Loading images…", max_entries=4)
def _server_probe(dataset: str, image_shape: tuple[int, int, int]) -> ImageData:
    # One read-only copy per dataset for the whole process: every page and model slices it.
    return probe_set(dataset, image_shape)


def pickable_images(stem: str) -> torch.Tensor:
    """The dataset images ``[<= PICKABLE_IMAGES, C, H, W]`` every page lets a person pick by number
    (none where the model has no probe set)."""
    return eval_images(stem, PICKABLE_IMAGES)


def eval_images(stem: str, n: int) -> torch.Tensor:
    """The first ``n`` images ``[<= n, C, H, W]`` of the model's probe set (``probe``)."""
    found = probe(stem)
    return found.data.images[:n] if found is not None else torch.empty(0, *model_card(stem).image_shape)


def _probe_key(stem: str) -> str:
    found = probe(stem)
    return found.key if found is not None else ""


def kl_per_dim(stem: str) -> torch.Tensor | None:
    """Mean KL per latent dimension ``[D]`` of a VAE over its probe images, in nats; ``None``
    without images."""
    return _kl(stem, _hash(stem), _probe_key(stem))


@st.cache_data(show_spinner="Measuring each dimension's KL…", max_entries=32)
def _kl(stem: str, file_hash: str, probe_key: str) -> torch.Tensor | None:
    images = eval_images(stem, KL_IMAGES)
    return mean_kl_per_dim(get_model(stem), images) if len(images) else None


def map_cache(stem: str) -> ArtifactCache:
    """Where ``stem``'s map artifacts are cached: uploaded pictures' in the upload space."""
    found = probe(stem)
    if found is not None and found.uploaded:
        return ArtifactCache(artifact_folder(), model_ref(stem).identity)
    return artifact_cache(stem)


def latent_map_data(stem: str) -> MapData:
    return _map_data(stem, _hash(stem), _probe_key(stem))


@st.cache_resource(show_spinner="Encoding the map's data…", max_entries=16)
def _map_data(stem: str, file_hash: str, probe_key: str) -> MapData:
    # cache_resource: MapData holds tensors that are only read, so no copy per rerun is needed.
    found = probe(stem)
    return map_data(get_model(stem), found.data if found else None, cache=map_cache(stem))


def projection(stem: str, params: ProjectionParams) -> np.ndarray:
    """Map coordinates ``[N, 2]`` of ``stem``'s map data (disk cache first, then this process's)."""
    return _projection(stem, _hash(stem), _probe_key(stem), dataclasses.astuple(params))


@st.cache_data(show_spinner="Projecting… (UMAP's first fit in a process compiles for ~40 s)", max_entries=32)
def _projection(stem: str, file_hash: str, probe_key: str, params: tuple) -> np.ndarray:
    return cached_projection(map_cache(stem), latent_map_data(stem), ProjectionParams(*params))


def dataset_classifier(dataset: str) -> Classifier | None:
    """The shipped classifier of ``dataset`` (its features guide GAN inversion), if there is one."""
    path = default_classifier_path(dataset)
    return _classifier(str(path)) if path.is_file() else None


@st.cache_resource(show_spinner=False, max_entries=4)
def _classifier(path: str) -> Classifier:
    return load_classifier(path)


def map_classes(stem: str) -> np.ndarray | None:
    """The class of each point ``[N]`` of ``stem``'s map: its images' labels where they are all
    known, else the dataset classifier's reading of each decoded latent; ``None`` without a classifier."""
    data = latent_map_data(stem)
    if data.images is not None and bool((data.labels >= 0).all()):
        return data.labels.numpy()
    return _class_readings(stem, _hash(stem), _probe_key(stem))


def labelled_map_data(stem: str) -> tuple[MapData, bool]:
    """``latent_map_data`` with a class for every point, and whether the classes were read: its
    images' labels where all are known, else (sampled latents, unlabelled uploads) what the
    dataset's classifier reads in each point's decoded picture, named "reads as NAME"; unchanged
    without a classifier for the dataset."""
    data = latent_map_data(stem)
    readings = None if bool((data.labels >= 0).all()) else map_classes(stem)
    if readings is None:
        return data, False
    found = probe(stem)
    names = data.class_names or (found.data.class_names if found else ())
    count = int(readings.max(initial=-1)) + 1
    names = names if len(names) >= count else tuple(str(c) for c in range(count))
    return dataclasses.replace(data, labels=torch.from_numpy(readings),
                               class_names=tuple(f"reads as {name}" for name in names)), True


@st.cache_data(show_spinner="Reading each point's class with the dataset's classifier…", max_entries=16)
def _class_readings(stem: str, file_hash: str, probe_key: str) -> np.ndarray | None:
    dataset = dataset_name(stem)
    classifier = dataset_classifier(dataset)
    if classifier is None:
        return None
    data = latent_map_data(stem)
    return cached_class_readings(map_cache(stem), get_model(stem), data.latents, data.fingerprint, classifier,
                                 default_classifier_path(dataset))


def picture_map_possible(stem: str) -> bool:
    """Whether ``stem``'s map shows sampled latents and this server has a classifier and images of
    its dataset, which a picture map (``gen_core.maps.picture_map``) needs."""
    return (latent_map_data(stem).images is None and probe(stem) is not None
            and dataset_classifier(dataset_name(stem)) is not None)


@st.cache_resource(show_spinner="Reading each sample's picture and the dataset's images with the classifier…",
                   max_entries=8)
def _picture_points(stem: str, file_hash: str, probe_key: str) -> MapData:
    """The points of ``stem``'s picture map: its samples' picture features ``[N, F]``, labelled by
    their readings, then ``[M, F]`` of real images."""
    # cache_resource: the features are only read, so no copy per rerun is needed.
    dataset = dataset_name(stem)
    return picture_map_data(get_model(stem), labelled_map_data(stem)[0], probe(stem).data,
                            dataset_classifier(dataset), default_classifier_path(dataset))


def picture_projection(stem: str, params: ProjectionParams) -> np.ndarray:
    """Coordinates ``[N + M, 2]`` of ``stem``'s picture map (its ``N`` samples, then ``M`` real
    images; needs ``picture_map_possible(stem)``): from the disk cache without decoding a sample,
    else fitted (this process's cache first)."""
    fingerprint, count = _picture_key(stem, _hash(stem), _probe_key(stem))
    stored = stored_projection(map_cache(stem), fingerprint, count, params)
    if stored is not None:
        return stored
    return _picture_projection(stem, _hash(stem), _probe_key(stem), dataclasses.astuple(params))


def picture_projection_stored(stem: str, params: ProjectionParams) -> bool:
    """Whether ``stem``'s picture map with ``params`` is in the disk cache."""
    fingerprint, _ = _picture_key(stem, _hash(stem), _probe_key(stem))
    return projection_file(map_cache(stem), fingerprint, params).is_file()


@st.cache_data(show_spinner=False, max_entries=16)
def _picture_key(stem: str, file_hash: str, probe_key: str) -> tuple[str, int]:
    """The fingerprint and point count of ``stem``'s picture map, known without reading a picture."""
    data, real = latent_map_data(stem), _picture_map_images(stem)
    fingerprint = picture_fingerprint(data.fingerprint, images_fingerprint(real),
                                      default_classifier_path(dataset_name(stem)))
    return fingerprint, len(data.latents) + len(real)


def _picture_map_images(stem: str) -> ImageData:
    return probe(stem).data.subset(MAP_POINTS)


@st.cache_data(show_spinner="Projecting… (UMAP's first fit in a process compiles for ~40 s)", max_entries=16)
def _picture_projection(stem: str, file_hash: str, probe_key: str, params: tuple) -> np.ndarray:
    points = _picture_points(stem, file_hash, probe_key)
    return cached_projection(map_cache(stem), points, ProjectionParams(*params))


def picture_reach(stem: str) -> np.ndarray:
    """Whether each real image of ``stem``'s picture map lies within reach of a sample, bool
    ``[M]`` (``gen_core.maps.picture_map.reached_real_images``): from the disk cache without
    decoding a sample, else counted (this process's cache first)."""
    fingerprint, count = _picture_key(stem, _hash(stem), _probe_key(stem))
    samples = len(latent_map_data(stem).latents)
    stored = stored_reach(map_cache(stem), fingerprint, count - samples)
    return stored if stored is not None else _picture_reach(stem, _hash(stem), _probe_key(stem))


@st.cache_data(show_spinner="Finding the real images no sample reaches…", max_entries=16)
def _picture_reach(stem: str, file_hash: str, probe_key: str) -> np.ndarray:
    return cached_reach(map_cache(stem), _picture_points(stem, file_hash, probe_key),
                        len(latent_map_data(stem).latents))


def real_picture_features(stem: str) -> torch.Tensor:
    """The classifier's features ``[M, F]`` of the real images on ``stem``'s picture map, in its
    order (they follow the ``N`` samples' points)."""
    return _real_features(stem, _hash(stem), _probe_key(stem))


@st.cache_resource(show_spinner=False, max_entries=8)
def _real_features(stem: str, file_hash: str, probe_key: str) -> torch.Tensor:
    return dataset_classifier(dataset_name(stem)).embed(_picture_map_images(stem).images)[0]


def linked_overlap(stem_a: str, stem_b: str) -> np.ndarray:
    """Per image of two maps of the same images, the share ``[N]`` of its 10 nearest neighbours the
    two latent spaces agree on (``gen_core.maps.linked.neighbour_overlap``)."""
    return _overlap(stem_a, _hash(stem_a), stem_b, _hash(stem_b), _probe_key(stem_a))


@st.cache_data(show_spinner="Comparing each image's neighbours in both latent spaces…", max_entries=16)
def _overlap(stem_a: str, hash_a: str, stem_b: str, hash_b: str, probe_key: str) -> np.ndarray:
    return neighbour_overlap(latent_map_data(stem_a).latents.numpy(), latent_map_data(stem_b).latents.numpy())


def linked_layout(stem_a: str, stem_b: str, pairing: Pairing, params: ProjectionParams) -> np.ndarray:
    """Map coordinates ``[N_B, 2]`` of ``stem_b`` moved into the frame of ``stem_a``'s map, cached on
    disk beside ``stem_a``'s artifacts under both models' identities."""
    kind = linked_cache_kind(model_ref(stem_b).identity, latent_map_data(stem_a).fingerprint,
                             latent_map_data(stem_b).fingerprint, pairing, params.key())
    return cached_alignment(map_cache(stem_a), kind, projection(stem_b, params), projection(stem_a, params),
                            pairing)
