"""2-D maps of latent spaces: UMAP or PCA projections, cached on disk.

A VAE's map shows the posterior means of real images (``gen_core.data.probe_set``: the bundled
probe set, the test split when a data root holds it, or an operator's image folder; the app may
give pictures a person uploaded instead); a GAN has no encoder, so its map shows latents sampled
from the prior.
Projections are keyed by the checkpoint's content hash, a fingerprint of the data and the
projection parameters, and stored with ``gen_core.cache``. umap-learn is imported only inside
``fit_projection``: its first fit in a process spends ~35 s compiling with numba.

``python -m gen_core.maps.projection --precompute checkpoints/`` writes the preview grid and the default
projections of every checkpoint in a folder, so a fresh machine paints the app at once.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import torch

from gen_core.cache import ArtifactCache, preview_grid, stale_cache_files
from gen_core.data import DataError, ImageData, probe_set
from gen_core.eval.classifier import Classifier, default_classifier_path, load_classifier
from gen_core.files.atomic import read_npz, write_npz
from gen_core.files.checkpoint import CheckpointError, load_model, model_files
from gen_core.latent.encoding import encode_means
from gen_core.maps.linked import cached_class_readings, class_readings_file, picture_features
from gen_core.maps.picture_map import cached_reach, picture_points, reach_file
from gen_core.models import GenerativeModel

MAP_POINTS = 3000
MIN_UMAP_POINTS = 5
SAMPLED_MAP_SEED = 0
PLACEMENT_NEIGHBOURS = 10


@dataclasses.dataclass(frozen=True)
class ProjectionParams:
    """``method`` is ``umap`` or ``pca``; the UMAP knobs are ignored by PCA."""

    method: str = "umap"
    n_neighbors: int = 15
    min_dist: float = 0.1
    random_state: int = 42

    def key(self) -> str:
        if self.method == "pca":
            return "pca"
        return f"umap-n{self.n_neighbors}-d{self.min_dist:g}-r{self.random_state}"


@dataclasses.dataclass
class MapData:
    """What a map shows: latents ``[N, D]``, labels ``[N]`` (-1 when unlabelled) and, for encoded
    real data, the images ``[N, C, H, W]``. ``fingerprint`` identifies the data for cache keys."""

    latents: torch.Tensor
    labels: torch.Tensor
    class_names: tuple[str, ...]
    images: torch.Tensor | None
    source: str
    fingerprint: str


def map_data(model: GenerativeModel, probe: ImageData | None, n: int = MAP_POINTS,
             cache: ArtifactCache | None = None) -> MapData:
    """Encode the first ``n`` images of ``probe`` (a model with an encoder), else sample ``n``
    prior latents (a GAN, or a VAE with no images to encode here).

    With ``cache`` the encodings are read from (or written to) the model's artifact cache, so a
    fresh process draws a map without running the encoder.
    """
    if not model.has_encoder or probe is None:
        latents = model.sample_latent(n, torch.Generator().manual_seed(SAMPLED_MAP_SEED)).cpu()
        return MapData(latents, torch.full((n,), -1), (), None, f"{n} sampled latents",
                       f"samples-s{SAMPLED_MAP_SEED}-n{n}")
    data = probe.subset(n)
    source, fingerprint = f"{len(data)} {data.name} images", images_fingerprint(data)
    if cache is None:
        latents = encode_means(model, data.images)
    else:
        latents = _cached_encodings(model, data.images, cache.file(f"encodings-{fingerprint}", "npz"))
    return MapData(latents, data.labels, data.class_names, data.images, source, fingerprint)


def images_fingerprint(data: ImageData) -> str:
    """Names a set of images in cache keys: its name, size and a hash of its pixels."""
    # Hash the pixels, not the latents: encodings differ in the last bits across machines,
    # the images do not, so committed caches stay valid on a fresh machine.
    digest = hashlib.sha256(data.images.numpy().tobytes()).hexdigest()[:12]
    return f"{data.name}-{len(data)}-{digest}"


def _cached_encodings(model: GenerativeModel, images: torch.Tensor, path: Path) -> torch.Tensor:
    """Posterior means ``[N, D]`` of ``images``, from ``path`` when it holds them."""
    stored = read_npz(path, "latents")
    if stored is not None:
        latents = torch.from_numpy(stored["latents"].astype(np.float32))
        if latents.shape == (len(images), model.latent_dim) and torch.isfinite(latents).all():
            return latents
    latents = encode_means(model, images)
    with contextlib.suppress(OSError):  # read-only checkout: encoded again in the next process
        write_npz(path, latents=latents.numpy())
    return latents


class ProjectionError(ValueError):
    """The latents cannot be mapped at all; the message says why."""


def uses_umap(count: int, params: ProjectionParams) -> bool:
    """Whether ``count`` points get UMAP as asked: it needs more points than neighbours (and at
    least ``MIN_UMAP_POINTS``); fewer are mapped by PCA instead."""
    return params.method == "umap" and count >= max(MIN_UMAP_POINTS, params.n_neighbors + 1)


def fit_projection(latents: np.ndarray, params: ProjectionParams) -> np.ndarray:
    """Project latents ``[N, D]`` to coordinates ``[N, 2]`` (float32), deterministically.

    Latents of at most two dimensions are drawn as they are; too few points for UMAP get PCA
    (``uses_umap``); no points, or any non-finite latent, raise ``ProjectionError``.
    """
    latents = np.asarray(latents, dtype=np.float32)
    if latents.ndim != 2 or len(latents) == 0:
        raise ProjectionError(f"there are no latents to map (shape {latents.shape})")
    bad = int((~np.isfinite(latents)).any(axis=1).sum())
    if bad:
        raise ProjectionError(f"{bad} of {len(latents)} latents hold NaN or infinite values")
    if latents.shape[1] <= 2:  # already at most 2-D: show it as it is
        return np.pad(latents, ((0, 0), (0, 2 - latents.shape[1]))).astype(np.float32)
    if params.method == "pca" or (params.method == "umap" and not uses_umap(len(latents), params)):
        centred = latents - latents.mean(0)
        _, _, components = np.linalg.svd(centred, full_matrices=False)
        coords = centred @ components[:2].T
        return np.pad(coords, ((0, 0), (0, 2 - coords.shape[1]))).astype(np.float32)  # one point: one axis
    if params.method != "umap":
        raise ValueError(f"projection method must be 'umap' or 'pca', got {params.method!r}")
    import umap  # deferred: importing and first fitting cost tens of seconds

    reducer = umap.UMAP(n_neighbors=params.n_neighbors, min_dist=params.min_dist,
                        random_state=params.random_state, n_jobs=1)  # seeded UMAP is serial anyway
    return reducer.fit_transform(latents).astype(np.float32)


def projection_file(cache: ArtifactCache, fingerprint: str, params: ProjectionParams) -> Path:
    """Where the projection of the points named ``fingerprint`` (``MapData.fingerprint``) is cached."""
    return cache.file(f"map-{fingerprint}-{params.key()}", "npz")


def projection_cache_file(cache: ArtifactCache, data: MapData, params: ProjectionParams) -> Path:
    return projection_file(cache, data.fingerprint, params)


def has_cached_projection(cache: ArtifactCache, data: MapData, params: ProjectionParams) -> bool:
    return projection_cache_file(cache, data, params).is_file()


def stored_projection(cache: ArtifactCache, fingerprint: str, count: int,
                      params: ProjectionParams) -> np.ndarray | None:
    """Coordinates ``[count, 2]`` cached for the points named ``fingerprint``; ``None`` unless
    stored there intact."""
    stored = read_npz(projection_file(cache, fingerprint, params), "coords")
    if stored is None:
        return None
    coords = stored["coords"].astype(np.float32)
    return coords if coords.shape == (count, 2) and np.isfinite(coords).all() else None


def cached_projection(cache: ArtifactCache, data: MapData, params: ProjectionParams) -> np.ndarray:
    """Coordinates ``[N, 2]`` from the disk cache, else fitted now and stored there."""
    coords = stored_projection(cache, data.fingerprint, len(data.latents), params)
    if coords is not None:
        return coords
    coords = fit_projection(data.latents.numpy(), params)
    with contextlib.suppress(OSError):  # read-only checkout: refitted in a new process
        write_npz(projection_cache_file(cache, data, params), coords=coords.astype(np.float16))
    return coords


def inverse_distance_mean(query: np.ndarray, points: np.ndarray, values: np.ndarray,
                          k: int = PLACEMENT_NEIGHBOURS) -> np.ndarray:
    """For each query ``[M, A]``, the mean of the ``values`` ``[N, B]`` of its ``k`` nearest
    ``points`` ``[N, A]``, weighted by inverse squared distance: ``[M, B]``. A query on a point
    gets that point's value."""
    query = np.atleast_2d(np.asarray(query, dtype=np.float32))
    distances = np.linalg.norm(query[:, None, :] - points[None, :, :], axis=2)  # [M, N]
    k = min(k, len(points))
    nearest = np.argsort(distances, axis=1)[:, :k]
    near_d = np.take_along_axis(distances, nearest, axis=1)
    weights = 1.0 / np.maximum(near_d, 1e-8) ** 2
    weights /= weights.sum(axis=1, keepdims=True)
    return np.einsum("mk,mkc->mc", weights, np.asarray(values)[nearest]).astype(np.float32)


def place_on_map(query: np.ndarray, latents: np.ndarray, coords: np.ndarray,
                 k: int = PLACEMENT_NEIGHBOURS) -> np.ndarray:
    """Map coordinates ``[M, 2]`` for new latents ``[M, D]`` without refitting the projection.

    A documented approximation of UMAP's ``transform`` (which needs the fitted model and numba):
    each query lands at the inverse-distance-weighted mean of its ``k`` nearest mapped latents.
    A query equal to a mapped latent lands exactly on that point. (The walkable map goes the other
    way in the browser, from a place to the weighted mean of its nearest points' latents, with
    the same weights.)
    """
    return inverse_distance_mean(query, latents, coords, k)


def precompute(folder: Path, params: list[ProjectionParams]) -> list[Path]:
    """Write preview grids and projections for every checkpoint in ``folder``; returns the files.

    Caches of checkpoints that changed or are gone are deleted first, so a committed cache folder
    holds only what the shipped files can use.
    """
    for stale in stale_cache_files(folder):
        stale.unlink()
        print(f"removed stale {stale.name}")
    written = []
    for checkpoint in model_files(folder):
        try:
            model = load_model(checkpoint)
        except CheckpointError as err:
            print(f"skipped {err}")
            continue
        cache = ArtifactCache.beside(checkpoint)
        preview_grid(lambda loaded=model: loaded, cache)
        written.append(cache.file("preview", "png"))
        try:
            probe = probe_set(model.card.dataset, model.image_shape)
        except DataError:
            probe = None
        data = map_data(model, probe, cache=cache)
        if model.has_encoder:
            written.append(cache.file(f"encodings-{data.fingerprint}", "npz"))
        maps = [data]
        done = f"{checkpoint.name}: preview and {len(params)} projections of {data.source}"
        classifier_file = default_classifier_path(model.card.dataset)
        if not bool((data.labels >= 0).all()) and classifier_file.is_file():  # colours of unlabelled points
            classifier = load_classifier(classifier_file)
            cached_class_readings(cache, model, data.latents, data.fingerprint, classifier, classifier_file)
            written.append(class_readings_file(cache, data.fingerprint, classifier_file))
            done += ", each point's class read"
            if data.images is None and probe is not None:  # sampled latents: their picture map too
                maps.append(picture_map_data(model, data, probe, classifier, classifier_file))
                cached_reach(cache, maps[-1], len(data.latents))
                written.append(reach_file(cache, maps[-1].fingerprint))
                done += f"; picture map: {len(params)} projections of {maps[-1].source} and their reach"
        for points in maps:
            for p in params:
                cached_projection(cache, points, p)
                written.append(projection_cache_file(cache, points, p))
        print(done)
    return written


def picture_map_data(model: GenerativeModel, data: MapData, probe: ImageData, classifier: Classifier,
                     classifier_file: Path, n: int = MAP_POINTS) -> MapData:
    """``picture_points`` of a sampled map ``data``: its pictures' features beside those of the
    first ``n`` images of ``probe``, by ``classifier`` (read from ``classifier_file``)."""
    real = probe.subset(n)
    return picture_points(data, picture_features(model, data.latents, classifier)[0],
                          classifier.embed(real.images)[0], images_fingerprint(real), classifier_file)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gen_core.maps.projection",
                                     description="Precompute the app's caches for shipped checkpoints.")
    parser.add_argument("--precompute", type=Path, required=True, metavar="FOLDER",
                        help="folder of .safetensors checkpoints; caches go to FOLDER/cache/")
    args = parser.parse_args(argv)
    precompute(args.precompute, [ProjectionParams("umap"), ProjectionParams("pca")])


if __name__ == "__main__":
    main()
