"""The whole dataset on the map: every training and test image (70,000 for MNIST) encoded and
projected once, in a process of its own, and cached by the model's content hash.

A page starts ``python -m gen_core.maps.full_map CHECKPOINT --data-root DIR`` in the background and
follows its progress file; the server never runs the encoder over 70,000 images nor UMAP's numba
compile itself. The result is written atomically; a lock file keeps two processes from building
the same map at once, and a lock left by a dead process is taken over.

    python -m gen_core.maps.full_map checkpoints/NAME.safetensors --data-root DATA
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import torch

from gen_core.cache import ArtifactCache
from gen_core.data import load_dataset
from gen_core.files.atomic import read_npz, write_atomically, write_npz
from gen_core.files.checkpoint import load_model
from gen_core.maps.projection import MapData, ProjectionParams, fit_projection

ENCODE_BATCH = 1000
KIND = "fullmap"


def map_file(cache: ArtifactCache, dataset: str) -> Path:
    return cache.file(f"{KIND}-{dataset}-{ProjectionParams().key()}", "npz")


def progress_file(cache: ArtifactCache, dataset: str) -> Path:
    return cache.file(f"{KIND}-{dataset}-progress", "json")


def read_progress(cache: ArtifactCache, dataset: str) -> dict | None:
    """``{"stage", "done" (0..1), "pid", "error"?}`` of a build under way or failed, else ``None``."""
    try:
        progress = json.loads(progress_file(cache, dataset).read_text())
    except (OSError, ValueError):
        return None
    return progress if isinstance(progress, dict) else None


def building(cache: ArtifactCache, dataset: str) -> bool:
    """Whether a live process is building this map now."""
    progress = read_progress(cache, dataset)
    return bool(progress and "error" not in progress and _alive(progress.get("pid")))


def _alive(pid) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def read_map(path: Path) -> dict[str, np.ndarray] | None:
    """``{"coords" [N, 2], "labels" [N], "latents" [N, D]}`` from a built map file, else ``None``;
    a damaged file reads as not built (and is rebuilt), never as a map."""
    arrays = read_npz(path, "coords", "labels", "latents")
    if arrays is None:
        return None
    n = len(arrays["labels"])
    sound = (arrays["coords"].shape == (n, 2) and len(arrays["latents"]) == n
             and all(np.isfinite(arrays[k]).all() for k in ("coords", "latents")))
    return arrays if sound else None


def as_map_data(full: dict[str, np.ndarray], class_names: tuple[str, ...], dataset: str) -> MapData:
    """A built map (``read_map``) as what a page draws: latents ``[N, D]`` and labels ``[N]``; the
    images are left out (they are in the dataset, not the map file)."""
    count = len(full["labels"])
    return MapData(torch.from_numpy(full["latents"]), torch.from_numpy(full["labels"].astype(np.int64)),
                   class_names, None, f"all {count:,} {dataset} images", f"full-{count}")


def start_build(checkpoint: Path, cache: ArtifactCache, dataset: str, data_root: Path) -> None:
    """Start building in a background process (nothing happens if one is already at it)."""
    if building(cache, dataset):
        return
    cache.folder.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen([sys.executable, "-m", "gen_core.maps.full_map", str(checkpoint),
                                "--data-root", str(data_root)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True, cwd=Path(__file__).resolve().parents[2])
    _write_progress(cache, dataset, {"stage": "starting", "done": 0.0, "pid": process.pid})
    # Reaped when it ends, so its pid stops answering and the page sees the build is over.
    threading.Thread(target=process.wait, daemon=True).start()


def build(checkpoint: Path, data_root: Path) -> Path:
    """Encode every image of the model's dataset and project them; returns the map file."""
    model = load_model(checkpoint)
    cache = ArtifactCache.beside(checkpoint)
    dataset = model.card.dataset
    cache.folder.mkdir(parents=True, exist_ok=True)
    report = lambda stage, done: _write_progress(cache, dataset, {"stage": stage, "done": done,  # noqa: E731
                                                                  "pid": os.getpid()})
    with _lock(cache, dataset):
        report("loading the images", 0.0)
        parts = [load_dataset(dataset, train=split, data_root=data_root, download=False)
                 for split in (True, False)]
        images = torch.cat([p.images for p in parts])
        labels = torch.cat([p.labels for p in parts]).numpy()
        latents = []
        with torch.no_grad():
            for start in range(0, len(images), ENCODE_BATCH):
                latents.append(model.encode(images[start:start + ENCODE_BATCH]).mean)
                report(f"encoding {len(images):,} images", 0.5 * (start + ENCODE_BATCH) / len(images))
        latents = torch.cat(latents).numpy().astype(np.float32)
        report(f"projecting {len(images):,} points with UMAP (the first fit compiles for a minute)", 0.5)
        coords = fit_projection(latents, ProjectionParams())
        path = map_file(cache, dataset)
        write_npz(path, coords=coords, labels=labels.astype(np.int16), latents=latents)
        progress_file(cache, dataset).unlink(missing_ok=True)
    return path


@contextlib.contextmanager
def _lock(cache: ArtifactCache, dataset: str):
    """One builder per map: an exclusive lock file, taken over when its holder has died."""
    lock = cache.file(f"{KIND}-{dataset}-lock", "pid")
    while True:
        try:
            handle = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            try:
                holder = int(lock.read_text() or 0)
            except (OSError, ValueError):
                holder = 0
            if _alive(holder):
                raise SystemExit(f"another process ({holder}) is building this map") from None
            lock.unlink(missing_ok=True)
    try:
        os.write(handle, str(os.getpid()).encode())
        os.close(handle)
        yield
    finally:
        lock.unlink(missing_ok=True)


def _write_progress(cache: ArtifactCache, dataset: str, progress: dict) -> None:
    write_atomically(progress_file(cache, dataset), json.dumps(progress).encode())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gen_core.maps.full_map",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--data-root", type=Path, required=True)
    args = parser.parse_args(argv)
    cache = ArtifactCache.beside(args.checkpoint)
    try:
        print(build(args.checkpoint, args.data_root))
    except Exception as err:  # the page shows why the build stopped instead of waiting forever
        dataset = load_model(args.checkpoint).card.dataset if args.checkpoint.is_file() else ""
        _write_progress(cache, dataset, {"stage": "failed", "done": 0.0, "pid": os.getpid(),
                                         "error": f"{type(err).__name__}: {err}"})
        raise


if __name__ == "__main__":
    main()
