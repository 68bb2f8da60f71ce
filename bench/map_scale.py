"""The Latent Map at the scale of the whole dataset: first paint and pan/zoom frame times in Chromium.

For one model with an encoder whose whole-dataset map is built (``python -m gen_core.maps.full_map``),
both maps are opened in the same run on the same server: the 3,000 cached test images and every
image of the dataset (70,000 for MNIST). Figures: seconds from choosing the map until its WebGL
canvas is drawn, and the time of each of ``--frames`` zoom and pan steps (a Plotly relayout of the
axis ranges, timed until the next animation frame after Plotly has drawn it).

    python -m bench.map_scale --data-root DATA [--model checkpoints/NAME.safetensors]
        [--doc docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from playwright.sync_api import Page, sync_playwright

from bench.browser import launch_chromium, streamlit_server
from bench.directions import best_mnist_encoder
from bench.ui_measure import MAP_DRAWN, fresh_page, settle
from gen_core.cache import ArtifactCache
from gen_core.data import DATA_ROOT_ENV
from gen_core.eval.zoo_table import publish
from gen_core.maps.full_map import map_file

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- map-scale:start -->", "<!-- map-scale:end -->"
# One zoom or pan step: relayout to new ranges, resolved once the browser has painted the result.
STEP = """async ([zoom, shift]) => {
  const plot = document.querySelector(".js-plotly-plot");
  const x = plot._fullLayout.xaxis.range, y = plot._fullLayout.yaxis.range;
  const cx = (x[0] + x[1]) / 2 + shift * (x[1] - x[0]), cy = (y[0] + y[1]) / 2;
  const hx = (x[1] - x[0]) / 2 * zoom, hy = (y[1] - y[0]) / 2 * zoom;
  const started = performance.now();
  await Plotly.relayout(plot, {"xaxis.range": [cx - hx, cx + hx], "yaxis.range": [cy - hy, cy + hy]});
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  return performance.now() - started;
}"""


def points_drawn(page: Page) -> int:
    return page.evaluate("""() => document.querySelector(".js-plotly-plot")._fullData
      .filter((t) => t.type === "scattergl").reduce((n, t) => n + t.x.length, 0)""")


def measure_map(page: Page, url: str | None, choose: str | None, frames: int) -> dict:
    """First paint after opening ``url`` or choosing ``choose`` on the open page, then frame times."""
    started = time.perf_counter()
    if url is not None:
        page.goto(url)
        settle(page, ".js-plotly-plot .gl-canvas")
    if choose is not None:
        page.get_by_text(choose).click()
        page.wait_for_function("(n) => { const p = document.querySelector('.js-plotly-plot');"
                               " return p && p._fullData && p._fullData.filter((t) => t.type === 'scattergl')"
                               ".reduce((s, t) => s + t.x.length, 0) > n; }", arg=3000, timeout=120_000)
    page.wait_for_function(MAP_DRAWN, polling="raf", timeout=120_000)
    first_paint = time.perf_counter() - started
    steps = [(0.8, 0.0), (1.25, 0.0), (1.0, 0.1), (1.0, -0.1)]
    times = [page.evaluate(STEP, list(steps[i % len(steps)])) for i in range(frames)]
    return {"points": points_drawn(page), "first_paint_s": first_paint, "frames_ms": times}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.map_scale", description=__doc__.split("\n\n")[0])
    p.add_argument("--data-root", type=Path, required=True)
    p.add_argument("--model", type=Path, help="default: the best-ranked MNIST model with an encoder")
    p.add_argument("--frames", type=int, default=40)
    p.add_argument("--doc", type=Path,
                   help="write the table between the map-scale markers of this file (docs/benchmarks.md)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> str:
    args = parse_args(argv)
    model = args.model or best_mnist_encoder(ROOT / "checkpoints")
    if not map_file(ArtifactCache.beside(model), "mnist").is_file():
        raise SystemExit(f"build the whole-dataset map first: python -m gen_core.maps.full_map {model} "
                         f"--data-root {args.data_root}")
    env = {**os.environ, DATA_ROOT_ENV: str(args.data_root.resolve())}
    with tempfile.TemporaryFile("w") as log, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        with streamlit_server(ROOT, env, log) as server, fresh_page(browser) as page:
            sample = measure_map(page, f"{server.url}/Latent_Map?model={model.stem}", None, args.frames)
            whole = measure_map(page, None, "Every image of the dataset", args.frames)
        chromium = browser.version
        browser.close()
    lines = [f"`{model.stem}` on the Latent Map in Chromium {chromium} ({os.cpu_count()} cores, no GPU: "
             "WebGL in software), one server; zoom and pan steps are Plotly relayouts timed to the next "
             "painted frame.", "",
             "| map | points | first paint (s) | step p50 (ms) | step p95 (ms) |", "|---|---|---|---|---|"]
    for name, result in (("cached test images", sample), ("every image of the dataset", whole)):
        frames = result["frames_ms"]
        lines.append(f"| {name} | {result['points']:,} | {result['first_paint_s']:.2f} | "
                     f"{np.median(frames):.0f} | {np.percentile(frames, 95, method='nearest'):.0f} |")
    lines.append("\nThe cached map's first paint counts from opening the page on a fresh server; the whole "
                 "dataset's from the click that chooses it (its map built and cached beforehand).")
    table = "\n".join(lines)
    publish(table, args.doc, START, END)
    return table


if __name__ == "__main__":
    sys.exit(main() and 0)
