"""The standalone demo of every shipped model: its engine, its size, and how fast it decodes when
opened from disk in Chromium, beside torch on one CPU thread in the same run.

Each file is built as Explore's download builds it (the decoder the app's page runs,
``ui.decode_path.page_decoder``, with ONNX Runtime Web embedded for an ``.onnx``; one view; a
400-point map from the cached UMAP fit), opened with ``file://`` and no server, and timed on the
page's own decode (``window.latentAtlasDemo.decode``, the engine the app's Live mode runs), each
decode awaited before the next starts, as a slider's are.

    python -m bench.standalone [--models NAME ...] [--decodes 200] [--doc docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from playwright.sync_api import sync_playwright

from bench.browser import launch_chromium
from gen_core.cache import ArtifactCache
from gen_core.data import DataError, probe_set
from gen_core.eval.zoo_table import publish
from gen_core.files.checkpoint import load_model
from gen_core.maps.projection import ProjectionParams, cached_projection, map_data
from gen_core.media.browser_decoder import ExportError
from gen_core.models import GenerativeModel
from ui.decode_path import page_decoder
from ui.standalone_demo import DemoMap, standalone_html

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINTS = ROOT / "checkpoints"
START, END = "<!-- standalone:start -->", "<!-- standalone:end -->"
TIME_DECODES = """async (n) => {
  const dim = window.latentAtlasDemo.latentDim;
  const latents = Array.from({length: n}, (_, i) => Array.from({length: dim}, (_, j) => Math.sin(i * 7 + j)));
  await window.latentAtlasDemo.decode(latents[0]);
  const started = performance.now();
  for (const z of latents) await window.latentAtlasDemo.decode(z);
  return n / ((performance.now() - started) / 1000);
}"""
ENGINES = {".bin": "compact", ".onnx": "ONNX Runtime"}


def demo_page(path: Path, model: GenerativeModel, decoder: bytes, decoder_suffix: str) -> str:
    """The demo file Explore would download for this model's first sample, with its cached map,
    around ``decoder`` and its suffix from ``page_decoder``."""
    cache = ArtifactCache.beside(path)
    try:
        probe = probe_set(model.card.dataset, tuple(model.image_shape))
    except DataError:
        probe = None
    data = map_data(model, probe, cache=cache)
    coords = cached_projection(cache, data, ProjectionParams("umap"))
    demo_map = DemoMap(f"UMAP of {data.source}", coords, data.labels.numpy(), data.latents.numpy(),
                       tuple(data.class_names))
    z = model.sample_latent(1, torch.Generator().manual_seed(0))[0].tolist()
    return standalone_html(path.stem, decoder, model.latent_spec, tuple(model.image_shape), [("seed 0", z)],
                           demo_map, decoder_suffix=decoder_suffix)


@torch.no_grad()
def torch_decodes_per_s(model: GenerativeModel, n: int) -> float:
    """One latent at a time, as a slider asks, on one thread."""
    latents = model.sample_latent(n, torch.Generator().manual_seed(1))
    model.decode(latents[:1])
    started = time.perf_counter()
    for z in latents:
        model.decode(z[None])
    return n / (time.perf_counter() - started)


def measure(models: list[str], decodes: int) -> list[tuple[str, ...]]:
    torch.set_num_threads(1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for stem in models:
            path = CHECKPOINTS / f"{stem}.safetensors"
            model = load_model(path)
            try:
                decoder = page_decoder(model)
            except ExportError as err:
                rows.append((stem, "–", "–", "–", "–", f"not exported: {err}"))
                continue
            demo = Path(tmp) / f"{stem}.html"
            demo.write_text(demo_page(path, model, *decoder), encoding="utf-8")
            page = browser.new_page()
            page.goto(demo.as_uri())
            page.wait_for_selector("canvas[data-role=picture][data-frames]")
            in_page = statistics.median(page.evaluate(TIME_DECODES, decodes) for _ in range(3))
            page.close()
            in_torch = torch_decodes_per_s(model, decodes)
            rows.append((stem, ENGINES[decoder[1]], f"{demo.stat().st_size / 2**20:.1f}", f"{in_page:.0f}",
                         f"{in_torch:.0f}", f"{in_page / in_torch:.2f}×"))
        browser.close()
    return rows


def main(argv: list[str] | None = None) -> str:
    shipped = sorted(p.stem for p in CHECKPOINTS.glob("*.safetensors"))
    parser = argparse.ArgumentParser(prog="python -m bench.standalone", description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", choices=shipped, default=shipped, metavar="NAME")
    parser.add_argument("--decodes", type=int, default=200, help="decodes timed per repeat (3 repeats)")
    parser.add_argument("--doc", type=Path, help="write the table between the standalone markers here")
    args = parser.parse_args(argv)
    lines = ["| model | engine | file (MiB) | decodes/s, demo from disk | decodes/s, torch 1 thread "
             "| ratio |", "|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in measure(args.models, args.decodes)]
    table = "\n".join(lines)
    publish(table, args.doc, START, END)
    return table


if __name__ == "__main__":
    main()
