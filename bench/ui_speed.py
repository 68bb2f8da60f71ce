"""How fast the app feels: Latent Atlas against a floor Streamlit app, measured in one run.

The floor app (``bench/floor_app/``) is the least a Streamlit app showing torch pictures does: a
gallery of three images, one slider decoding on the server, one 5,000-point WebGL map. Both run
under ``streamlit run`` in Debian's Chromium; each repeat measures both, alternating which goes
first, so machine noise hits both. Figures:

1. gallery painted, (a) from spawning the server, (b) from its first answer to its health check
   (fresh server per repeat, the page opened at once);
2. map first paint, from ``page.goto`` on a server that has served nothing yet: (a) opened as soon
   as the server answers its health check, (b) opened once the server's start-up work is done (its
   CPU idle for a second), as a viewer arriving after a deployment finds it;
3. key press → new picture with the server decoding (Explore's Live toggle off), p50 and p95;
4. drag frame rate per model in Explore (live decoding), moved from inside the page once per
   animation frame and with the mouse, against a page that only repaints a canvas (the ceiling);
5. server memory after every page with every model (fresh server);
6. decodes per second per model: torch on one thread on this machine, and the decoder the app
   serves, in the engine it picks, in the page.

Besides the shipped models, every run but ``--smoke`` measures a 64×64 colour DCGAN
(``bench/colour_dcgan.py``, packed with random weights). ``--decoding`` measures figures 4 and 6
alone, on one server.

    python -m bench.ui_speed [--repeats 3] [--models NAME ...] [--smoke] [--first-paint | --decoding]
        [--json PATH] [--doc docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np
import torch
from playwright.sync_api import Browser, Page, sync_playwright

from bench import colour_dcgan
from bench import ui_measure as measure
from bench import ui_report as report
from bench.browser import launch_chromium, streamlit_server, wait_until_idle
from bench.ui_report import FLOOR, OURS, Figure
from gen_core.cache import CACHE_DIR_NAME
from gen_core.eval.zoo_table import publish
from gen_core.files.checkpoint import load_model
from gen_core.models import GenerativeModel
from ui.catalog import CHECKPOINTS_ENV

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINTS = ROOT / "checkpoints"
DOC_MARKERS = ("<!-- ui-speed:start -->", "<!-- ui-speed:end -->")  # in docs/benchmarks.md
DECODING_DOC_MARKERS = ("<!-- ui-decoding:start -->", "<!-- ui-decoding:end -->")  # a --decoding run's
FLOOR_APP = ROOT / "bench" / "floor_app"
DEFAULT_JSON = ROOT / "bench" / "results" / "ui_speed.json"
DECODING_JSON = ROOT / "bench" / "results" / "ui_decoding.json"  # --decoding's default
REFERENCE_MODEL = "mnist-vae-conv"  # figures 2 and 3 open this model when it is measured
SMOKE_MODELS = ("mnist-vae-conv", "mnist-dcgan")  # a VAE and a GAN
LIVE_TOGGLE = "Live: decode in this browser"
MAP_READY = ".js-plotly-plot .gl-canvas"
FIRST_PAINT_FIGURES = ("gallery_paint_s", "gallery_paint_healthy_s", "map_first_paint_s",
                       "map_first_paint_idle_s")
OUR_PAGES = (("/", measure.IMAGE), ("/Explore", f"{measure.LIVE_PICTURE}, {measure.IMAGE}"),
             ("/Latent_Map", MAP_READY), ("/Interpolate", f"canvas.la-grid[data-complete], {measure.IMAGE}"),
             ("/Compare", measure.IMAGE))
FLOOR_PAGES = (("/", measure.IMAGE), ("/Slider", measure.IMAGE), ("/Map", MAP_READY))


@dataclasses.dataclass(frozen=True)
class Settings:
    repeats: int
    models: list[str]
    drag_s: float
    presses: int
    smoke: bool
    first_paint: bool = False  # figures 1 and 2 only
    decoding: bool = False  # figures 4 and 6 only


@dataclasses.dataclass(frozen=True)
class AppUnderTest:
    side: str  # OURS or FLOOR
    folder: Path
    gallery_images: int
    map_path: str
    slider_path: str
    live_toggle: str | None  # switched off before figure 3, so the server decodes
    visits: list[tuple[str, str]]  # (path, ready selector): every page with every model


def our_app(models: list[str]) -> AppUnderTest:
    reference = REFERENCE_MODEL if REFERENCE_MODEL in models else models[0]
    visits = [(f"{path}?model={model}", ready) for model in models for path, ready in OUR_PAGES]
    return AppUnderTest(OURS, ROOT, len(models), f"/Latent_Map?model={reference}",
                        f"/Explore?model={reference}", LIVE_TOGGLE, visits)


FLOOR_UNDER_TEST = AppUnderTest(FLOOR, FLOOR_APP, 3, "/Map", "/Slider", None, list(FLOOR_PAGES))


@dataclasses.dataclass
class Bench:
    """What every measurement needs: the browser, how to start a server, and where results go."""

    browser: Browser
    env: dict[str, str]
    log: IO
    workdir: Path  # the servers' log, their checkpoint folder and a failure's screenshot
    settings: Settings
    figures: dict[str, Figure]
    details: dict[str, list]

    def server(self, app: AppUnderTest):
        return streamlit_server(app.folder, self.env, self.log)

    @contextlib.contextmanager
    def page(self) -> Iterator[Page]:
        """A fresh page; if a measurement fails on it, a screenshot is kept beside the servers' log."""
        with measure.fresh_page(self.browser) as page:
            try:
                yield page
            except Exception:
                with contextlib.suppress(Exception):
                    page.screenshot(path=self.workdir / "failure.png", full_page=True)
                print(f"failed on {page.url}", file=sys.stderr)
                raise


def launch_figure(bench: Bench, app: AppUnderTest) -> None:
    """Figure 1; the page opens before the server starts, so a browser start is not counted."""
    with bench.page() as page, bench.server(app) as server:
        gallery_paint(bench, app, server, page)


def gallery_paint(bench: Bench, app: AppUnderTest, server, page: Page) -> None:
    """Figure 1 on ``server``, just spawned, with ``page`` opened before it."""
    from_launch, from_healthy = measure.gallery_paint_s(page, server, app.gallery_images)
    bench.figures["gallery_paint_s"].add(app.side, from_launch)
    bench.figures["gallery_paint_healthy_s"].add(app.side, from_healthy)


def memory_figure(bench: Bench, app: AppUnderTest) -> None:
    with bench.page() as page, bench.server(app) as server:
        rss_after_every_page(bench, app, server, page)


def rss_after_every_page(bench: Bench, app: AppUnderTest, server, page: Page) -> None:
    """Figure 5 on ``server``: its memory after every page with every model."""
    rss, errors = measure.rss_after_pages(page, server, app.visits)
    bench.figures["server_rss_mib"].add(app.side, rss)
    bench.details["page_errors"] += errors


def idle_map_figure(bench: Bench, app: AppUnderTest) -> None:
    with bench.server(app) as server, bench.page() as page:
        idle_map_paint(bench, app, server, page)


def idle_map_paint(bench: Bench, app: AppUnderTest, server, page: Page) -> None:
    """Figure 2b: the map's first paint on a fresh server that has finished starting up (its CPU
    idle for a second), as a viewer arriving after a deployment finds it."""
    wait_until_idle(server.process.pid)
    took, _ = measure.map_first_paint_s(page, server.url + app.map_path)
    bench.figures["map_first_paint_idle_s"].add(app.side, took)


def smoke_figures(bench: Bench, app: AppUnderTest) -> None:
    """A smoke run's figures 1 to 5 on one server (one start instead of four): a smoke run checks
    that every figure is measured, never its value, so the later figures need no fresh server."""
    with bench.page() as page, bench.server(app) as server:
        gallery_paint(bench, app, server, page)
        idle_map_paint(bench, app, server, page)
        rss_after_every_page(bench, app, server, page)
        interactions(bench, app, server, page)


def map_figure(bench: Bench, app: AppUnderTest) -> None:
    """Figure 2a alone: the map's first paint on a fresh server, opened once it answers."""
    with bench.server(app) as server, bench.page() as page:
        took, coloured = measure.map_first_paint_s(page, server.url + app.map_path)
        if coloured == 0:
            raise RuntimeError(f"{app.side}: the map at {app.map_path} shows no points")
        bench.figures["map_first_paint_s"].add(app.side, took)


def interaction_figures(bench: Bench, app: AppUnderTest) -> None:
    """Figures 2 and 3 (and 4 for ours) on one server; the map opens first, on a fresh server."""
    with bench.server(app) as server, bench.page() as page:
        interactions(bench, app, server, page)


def interactions(bench: Bench, app: AppUnderTest, server, page: Page) -> None:
    """Figures 2a and 3 (and 4 for ours) on ``server``, the map first."""
    figures = bench.figures
    took, coloured = measure.map_first_paint_s(page, server.url + app.map_path)
    if coloured == 0:
        raise RuntimeError(f"{app.side}: the map at {app.map_path} shows no points")
    figures["map_first_paint_s"].add(app.side, took)
    bench.details["map_coloured_pixels"].append({app.side: coloured})
    presses = measure.key_press_ms(page, server.url + app.slider_path, bench.settings.presses,
                                   app.live_toggle)
    figures["key_press_p50_ms"].add(app.side, float(np.percentile(presses, 50)))
    figures["key_press_p95_ms"].add(app.side, float(np.percentile(presses, 95)))
    bench.details[f"key_press_ms_{app.side}"].append(presses)
    if app.side == OURS:
        drag_figures(bench, page, server.url)


def drag_figures(bench: Bench, page: Page, url: str) -> None:
    for model in bench.settings.models:
        rates = measure.drag_rates(page, f"{url}/Explore?model={model}", bench.settings.drag_s)
        bench.figures[f"drag_in_page_per_s:{model}"].add(OURS, rates["in_page_per_s"])
        bench.figures[f"drag_mouse_per_s:{model}"].add(OURS, rates["mouse_per_s"])
        bench.details["drags"].append({"model": model, **rates})


def browser_only_figures(bench: Bench, models: dict[str, GenerativeModel]) -> None:
    """The drag ceiling (figure 4's floor column) and figure 6; no server runs meanwhile."""
    with bench.page() as page:
        ceiling = measure.ceiling_rates(page, bench.settings.drag_s)
        bench.details["ceilings"].append(ceiling)
        figures = bench.figures
        for stem, model in models.items():
            figures[f"drag_in_page_per_s:{stem}"].add(FLOOR, ceiling["in_page_per_s"])
            figures[f"drag_mouse_per_s:{stem}"].add(FLOOR, ceiling["mouse_per_s"])
            figures[f"decode_browser_per_s:{stem}"].add(OURS, measure.browser_decodes_per_s(page, model))
            figures[f"decode_torch_per_s:{stem}"].add(OURS, measure.torch_decodes_per_s(model))


def decoding_figures(bench: Bench, models: dict[str, GenerativeModel]) -> None:
    """Figures 4 and 6 alone: every model's drags on one server, then the decodes."""
    with bench.server(our_app(bench.settings.models)) as server, bench.page() as page:
        drag_figures(bench, page, server.url)
    browser_only_figures(bench, models)


def run_repeats(bench: Bench, models: dict[str, GenerativeModel]) -> None:
    apps = [our_app(bench.settings.models), FLOOR_UNDER_TEST]
    for repeat in range(bench.settings.repeats):
        if bench.settings.decoding:
            decoding_figures(bench, models)
            print(f"repeat {repeat + 1} of {bench.settings.repeats} done", file=sys.stderr, flush=True)
            continue
        for app in apps if repeat % 2 == 0 else apps[::-1]:  # alternate who goes first
            if bench.settings.smoke and not bench.settings.first_paint:
                smoke_figures(bench, app)
                continue
            launch_figure(bench, app)
            if bench.settings.first_paint:
                map_figure(bench, app)
                idle_map_figure(bench, app)
                continue
            memory_figure(bench, app)
            idle_map_figure(bench, app)
            interaction_figures(bench, app)
        if not bench.settings.first_paint:
            browser_only_figures(bench, models)
        print(f"repeat {repeat + 1} of {bench.settings.repeats} done", file=sys.stderr, flush=True)


def model_folder(workdir: Path, models: list[str]) -> dict[str, Path]:
    """A checkpoint folder of links to the chosen shipped models and to the shipped caches, plus
    the colour DCGAN when chosen; returns each model's file."""
    folder = workdir / "checkpoints"
    folder.mkdir()
    files = {}
    for model in models:
        if model == colour_dcgan.NAME:
            files[model] = colour_dcgan.write(folder)
        else:
            files[model] = folder / f"{model}.safetensors"
            files[model].symlink_to(CHECKPOINTS / f"{model}.safetensors")
    (folder / CACHE_DIR_NAME).symlink_to(CHECKPOINTS / CACHE_DIR_NAME, target_is_directory=True)
    return files


def positive(text: str) -> int:
    if int(text) < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return int(text)


def parse_settings(argv: list[str] | None) -> tuple[Settings, Path, Path | None]:
    shipped = sorted(p.stem for p in CHECKPOINTS.glob("*.safetensors"))
    parser = argparse.ArgumentParser(prog="python -m bench.ui_speed", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=positive, default=3, help="measurements of each figure (default 3)")
    parser.add_argument("--models", nargs="+", metavar="NAME", choices=shipped,
                        help="checkpoints/NAME.safetensors to measure (default: every one)")
    parser.add_argument("--smoke", action="store_true",
                        help="1 repeat, 2 models, 0.5 s drags, 5 key presses: a quick check that it runs")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--first-paint", action="store_true",
                      help="figures 1 and 2 only: how soon the gallery and the map appear")
    only.add_argument("--decoding", action="store_true",
                      help="figures 4 and 6 only: drags and decodes per model, page against torch")
    parser.add_argument("--json", type=Path,
                        help=f"where to write the results (default {DEFAULT_JSON.relative_to(ROOT)}, or "
                             f"{DECODING_JSON.relative_to(ROOT)} with --decoding)")
    parser.add_argument("--doc", type=Path,
                        help="write the table between the ui-speed markers of this file (docs/benchmarks.md)")
    args = parser.parse_args(argv)
    args.json = args.json or (DECODING_JSON if args.decoding else DEFAULT_JSON)
    if not args.smoke:
        models = [*(args.models or shipped), colour_dcgan.NAME]
        settings = Settings(args.repeats, models, 2.0, 20, False, args.first_paint, args.decoding)
        return settings, args.json, args.doc
    models = args.models[:2] if args.models else [m for m in SMOKE_MODELS if m in shipped] or shipped[:2]
    return Settings(1, models, 0.5, 5, True, args.first_paint, args.decoding), args.json, args.doc


def measure_everything(settings: Settings) -> tuple[dict[str, Figure], dict[str, list], str]:
    """Every figure over every repeat; returns the figures, the raw details and Chromium's version."""
    workdir = Path(tempfile.mkdtemp(prefix="ui-speed-"))
    files = model_folder(workdir, settings.models)
    models = {stem: load_model(path) for stem, path in files.items()}
    env = {**os.environ, CHECKPOINTS_ENV: str(workdir / "checkpoints")}
    figures = report.declare_figures(settings.models)
    if settings.first_paint:
        figures = {key: figures[key] for key in FIRST_PAINT_FIGURES}
    if settings.decoding:
        figures = {key: figure for key, figure in figures.items() if key.startswith(("drag_", "decode_"))}
    details: dict[str, list] = {key: [] for key in ("page_errors", "map_coloured_pixels", "key_press_ms_ours",
                                                    "key_press_ms_floor", "drags", "ceilings")}
    try:
        with open(workdir / "servers.log", "w") as log, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            run_repeats(Bench(browser, env, log, workdir, settings, figures, details), models)
            chromium = browser.version
            browser.close()
    except BaseException:
        print(f"the servers' output (and any failure.png) is kept in {workdir}", file=sys.stderr)
        raise
    shutil.rmtree(workdir)
    return figures, details, chromium


def main(argv: list[str] | None = None) -> dict[str, Figure]:
    settings, json_path, doc = parse_settings(argv)
    figures, details, chromium = measure_everything(settings)
    arguments = sys.argv[1:] if argv is None else argv
    run = {"command": shlex.join(["python", "-m", "bench.ui_speed", *arguments]), "machine": report.machine(),
           "torch_threads": torch.get_num_threads(), "chromium": chromium, "repeats": settings.repeats,
           "smoke": settings.smoke, "models": settings.models, "details": details}
    report.write_json(json_path, run, figures)
    notes = [] if settings.first_paint else [
        report.drag_target_note(figures, settings.models),
        report.decoding_table(figures, settings.models, settings.drag_s)]
    text = "\n\n".join([report.markdown_table(figures), *notes, report.footer(run)])
    publish(text, doc, *(DECODING_DOC_MARKERS if settings.decoding else DOC_MARKERS))
    if details["page_errors"]:
        print("\nErrors shown by pages:\n" + "\n".join(f"- {e}" for e in details["page_errors"]))
    return figures


if __name__ == "__main__":
    main()
