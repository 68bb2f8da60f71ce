"""Two linked maps in one frame: which layout keeps the same images in the same place, at what cost.

For two VAEs that encode the same probe images (their cached encodings), each candidate layout
gives both models 2-D coordinates; the figure is the mean distance between an image's two points
after scaling each layout to unit RMS (0: the same place; about 1.4: unrelated layouts), how much
of each model's own 10-nearest-neighbourhoods (in its latent space) its layout keeps (the mean
over both models), and the time it takes. UMAP fits are timed after a small warm-up fit, so
numba's one-off compilation (~35 s per process) is not counted against any method.

    python -m bench.linked_maps [--a checkpoints/mnist-vae-conv.safetensors]
        [--b checkpoints/mnist-beta-vae.safetensors] [--skip-umap]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gen_core.cache import ArtifactCache
from gen_core.data import probe_set
from gen_core.files.checkpoint import load_model
from gen_core.maps.linked import align_onto, displacement, neighbour_overlap, pair_maps
from gen_core.maps.projection import ProjectionParams, fit_projection, map_data

UMAP = ProjectionParams("umap")


def encodings(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The cached posterior means ``[N, D]`` of the model's map and their labels ``[N]``."""
    model = load_model(path)
    data = map_data(model, probe_set(model.card.dataset, model.image_shape), cache=ArtifactCache.beside(path))
    return data.latents.numpy(), data.labels.numpy()


def standardized(latents: np.ndarray) -> np.ndarray:
    return (latents - latents.mean(0)) / np.maximum(latents.std(0), 1e-8)


def joint_pca(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One PCA fitted on both standardized latent sets stacked (needs the same latent width)."""
    a, b = standardized(a), standardized(b)
    _, _, components = np.linalg.svd(np.concatenate([a, b]), full_matrices=False)
    return a @ components[:2].T, b @ components[:2].T


def aligned_umap(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import umap

    relations = [{i: i for i in range(len(a))}]  # the same images: point i is point i
    reducer = umap.AlignedUMAP(n_neighbors=UMAP.n_neighbors, min_dist=UMAP.min_dist,
                               random_state=UMAP.random_state)
    reducer.fit([a, b], relations=relations)
    return reducer.embeddings_[0], reducer.embeddings_[1]


def timed(fit: Callable[[], tuple[np.ndarray, np.ndarray]]) -> tuple[tuple[np.ndarray, np.ndarray], float]:
    start = time.perf_counter()
    layouts = fit()
    return layouts, time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.linked_maps", description=__doc__.split("\n")[0])
    parser.add_argument("--a", type=Path, default=Path("checkpoints/mnist-vae-conv.safetensors"))
    parser.add_argument("--b", type=Path, default=Path("checkpoints/mnist-beta-vae.safetensors"))
    parser.add_argument("--skip-umap", action="store_true", help="PCA rows only (no numba compile)")
    args = parser.parse_args(argv)
    (a, labels), (b, _) = encodings(args.a), encodings(args.b)
    pairing = pair_maps(True, labels, labels)
    pca = ProjectionParams("pca")
    rows: list[tuple[str, float, float, float]] = []

    def row(name: str, layout_a: np.ndarray, layout_b: np.ndarray, seconds: float) -> None:
        kept = (neighbour_overlap(a, layout_a).mean() + neighbour_overlap(b, layout_b).mean()) / 2
        rows.append((name, displacement(layout_a, layout_b), float(kept), seconds))

    def add(name: str, fit: Callable[[], tuple[np.ndarray, np.ndarray]]) -> None:
        (layout_a, layout_b), seconds = timed(fit)
        row(name, layout_a, layout_b, seconds)

    add("PCA of each, unaligned", lambda: (fit_projection(a, pca), fit_projection(b, pca)))
    add("PCA of each + Procrustes", lambda: (
        (pa := fit_projection(a, pca)), align_onto(fit_projection(b, pca), pa, pairing)))
    if a.shape[1] == b.shape[1]:
        add("joint PCA (standardized, stacked)", lambda: joint_pca(a, b))
    if not args.skip_umap:
        fit_projection(np.random.default_rng(0).normal(size=(200, a.shape[1])), UMAP)  # compile once
        (ua, ub), umap_s = timed(lambda: (fit_projection(a, UMAP), fit_projection(b, UMAP)))
        row("UMAP of each, unaligned", ua, ub, umap_s)
        (ua, ub_aligned), align_s = timed(lambda: (ua, align_onto(ub, ua, pairing)))
        row("UMAP of each + Procrustes", ua, ub_aligned, align_s)
        aligned_umap(a[:200], b[:200])  # AlignedUMAP compiles its own numba functions
        add("AlignedUMAP (identity relations)", lambda: aligned_umap(a, b))
    overlap = neighbour_overlap(a, b)
    print(f"{args.a.stem} vs {args.b.stem}: {len(a)} probe images, latents {a.shape[1]} and {b.shape[1]}-D")
    print(f"mean 10-NN overlap in the latent spaces: {overlap.mean():.3f}\n")
    print("| layout | mean displacement (unit RMS) | own 10-NN kept | fit seconds |")
    print("| --- | ---: | ---: | ---: |")
    for name, moved, kept, seconds in rows:
        note = " (Procrustes only; the UMAP fits are cached)" if name == "UMAP of each + Procrustes" else ""
        print(f"| {name} | {moved:.3f} | {kept:.3f} | {seconds:.2f}{note} |")


if __name__ == "__main__":
    main()
