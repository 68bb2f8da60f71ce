"""Many viewers at once: headless Chromium viewers using one server for a while.

Each viewer loops through what people do: open Explore on a model, drag a latent control (moved
from inside the page, once per animation frame, as a hand would), walk to the Latent Map and to
Interpolate, switch models by link, and upload a picture of a digit to start Explore from it.
Figures: the errors pages showed (the ``guarded`` message or an exception), p50/p95 latency per
action (until the page's content is ready), the server's memory at the end of the first minute
and at the end (resident set, server and children), and its thread count.

    python -m bench.load [--viewers 10] [--seconds 120] [--models NAME ...] [--doc docs/benchmarks.md]
                         [--min-actions N] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from playwright.async_api import Page, async_playwright

from bench.browser import CHROMIUM, CHROMIUM_ARGS, DRAG_IN_PAGE, streamlit_server
from bench.ui_measure import ERRORS, IDLE, IMAGE, LIVE_PICTURE, LIVE_SLIDER, tree_rss_mib
from gen_core.eval.zoo_table import publish

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODELS = ("mnist-vae-mlp-binarized", "mnist-dcgan", "mnist-vae-conv", "fashion-mnist-dcgan")
MAP_READY = ".js-plotly-plot .gl-canvas"
INTERPOLATE_READY = f"canvas.la-grid, {IMAGE}"
MAIN_UPLOADER = '[data-testid="stMain"] [data-testid="stFileUploaderDropzoneInput"]'
ACTION_TIMEOUT_MS = 120_000
FIRST_MINUTE_S = 60
MEMORY_EVERY_S = 10
START, END = "<!-- load:start -->", "<!-- load:end -->"


def digit_photo() -> bytes:
    """A photo-like JPEG of a handwritten "7": dark ink on light paper."""
    picture = Image.new("RGB", (240, 320), (235, 232, 220))
    pen = ImageDraw.Draw(picture)
    pen.line([(60, 80), (180, 80), (110, 260)], fill=(30, 30, 40), width=18)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


class Viewer:
    def __init__(self, number: int, page: Page, url: str, models: list[str], log: dict) -> None:
        self.number, self.page, self.url, self.models, self.log = number, page, url, models, log
        self.rng = random.Random(number)
        self.actions = 0  # begun so far

    async def timed(self, action: str, step) -> None:
        self.actions += 1
        started = time.perf_counter()
        try:
            await step()
            await self.page.locator(IDLE).wait_for(timeout=ACTION_TIMEOUT_MS)
            self.log["latency"][action].append(time.perf_counter() - started)
        except Exception as err:  # a timeout or a vanished element: counted, the viewer goes on
            why = f"{type(err).__name__}: {str(err)[:120]}"
            self.log["failed"].append(f"viewer {self.number} {action}: {why}")
        shown = await self.page.locator(ERRORS).all_inner_texts()
        self.log["errors"] += [f"viewer {self.number} {action}: {text[:160]}" for text in shown]

    async def open(self, path: str, ready: str) -> None:
        await self.page.goto(self.url + path, timeout=ACTION_TIMEOUT_MS)
        await self.page.locator(ready).first.wait_for(timeout=ACTION_TIMEOUT_MS)

    async def explore(self) -> None:
        model = self.rng.choice(self.models)
        path = f"/Explore?model={model}&seed={self.rng.randrange(99)}"
        await self.timed("open Explore", lambda: self.open(path, LIVE_PICTURE))

    async def drag(self) -> None:
        async def step():
            slider = self.page.locator(LIVE_SLIDER).first
            await slider.evaluate(DRAG_IN_PAGE, 1000)
        await self.timed("drag a control", step)

    async def upload(self) -> None:
        async def step():
            await self.page.get_by_text("Start from your own image").click()
            uploader = self.page.locator(MAIN_UPLOADER).first
            await uploader.set_input_files(files=[{"name": "seven.jpg", "mimeType": "image/jpeg",
                                                   "buffer": digit_photo()}])
            await self.page.get_by_text("what the model sees").wait_for(timeout=ACTION_TIMEOUT_MS)
            await self.page.get_by_role("button", name="Start from this image").click()
        await self.timed("upload a picture", step)

    async def run(self, until: float, min_actions: int) -> None:
        """Loop through the steps until ``until`` (``time.perf_counter()``), and on past it until
        ``min_actions`` have been begun."""
        steps = [self.explore, self.drag, self.drag,
                 lambda: self.timed("open the Map", lambda: self.open(
                     f"/Latent_Map?model={self.rng.choice(self.models)}", MAP_READY)),
                 lambda: self.timed("open Interpolate", lambda: self.open("/Interpolate", INTERPOLATE_READY)),
                 self.explore, self.upload]

        def going_on() -> bool:
            return time.perf_counter() < until or self.actions < min_actions

        while going_on():
            for step in steps:
                if not going_on():
                    break
                await step()


async def measure(viewers: int, seconds: float, models: list[str], min_actions: int = 0) -> dict:
    log = {"latency": defaultdict(list), "errors": [], "failed": []}
    env = {**os.environ}
    with tempfile.TemporaryFile("w") as server_log, streamlit_server(ROOT, env, server_log) as server:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            viewport = {"width": 1400, "height": 1000}
            contexts = [await browser.new_context(viewport=viewport) for _ in range(viewers)]
            pages = [await c.new_page() for c in contexts]
            started = time.perf_counter()
            until = started + seconds
            # A short run samples more often, so that a sample lands after its first half.
            every = min(MEMORY_EVERY_S, seconds / 4)
            first_minute = min(FIRST_MINUTE_S, seconds / 2)
            memory = {"series": [], "every_s": every, "first_s": first_minute}  # series: (s, MiB)

            async def sample_memory() -> None:
                while (elapsed := time.perf_counter() - started) < seconds:
                    memory["series"].append((round(elapsed), tree_rss_mib(server.process.pid)))
                    if "after_first_minute" not in memory and elapsed >= first_minute:
                        memory["after_first_minute"] = memory["series"][-1][1]
                    await asyncio.sleep(every)

            tasks = [Viewer(i, page, server.url, models, log).run(until, min_actions)
                     for i, page in enumerate(pages)]
            await asyncio.gather(sample_memory(), *tasks)
            memory["end"] = tree_rss_mib(server.process.pid)
            threads = int(next(line.split()[1] for line in
                               Path(f"/proc/{server.process.pid}/status").read_text().splitlines()
                               if line.startswith("Threads:")))
            await browser.close()
    return {"log": log, "memory": memory, "threads": threads, "seconds": time.perf_counter() - started}


def report(result: dict, viewers: int, seconds: float) -> str:
    log, memory = result["log"], result["memory"]
    growth = (memory["end"] - memory["after_first_minute"]) / memory["after_first_minute"]
    first = "first minute" if memory["first_s"] >= FIRST_MINUTE_S else f"first {memory['first_s']:g} s"
    lines = [f"{viewers} headless Chromium viewers for {seconds:.0f} s on one server "
             f"({os.cpu_count()} cores), "
             "each looping: open Explore, drag a control twice, open the Map, open Interpolate, "
             "Explore again, upload a digit photo.", "",
             "| action | count | p50 (s) | p95 (s) |", "|---|---|---|---|"]
    for action, times in sorted(log["latency"].items()):
        lines.append(f"| {action} | {len(times)} | {np.median(times):.2f} | "
                     f"{np.percentile(times, 95, method='nearest'):.2f} |")
    lines += ["", f"Errors shown by pages: **{len(log['errors'])}**; actions that did not finish: "
              f"{len(log['failed'])}. Server memory: {memory['after_first_minute']:.0f} MiB after the "
              f"{first}, {memory['end']:.0f} MiB at the end ({growth:+.1%}); "
              f"{result['threads']} server threads.", "",
              "Server memory (MiB) every " + f"{memory['every_s']:g} s: "
              + ", ".join(f"{mib:.0f}" for _, mib in memory["series"]) + "."]
    lines += [f"- {line}" for line in (log["errors"] + log["failed"])[:10]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS))
    parser.add_argument("--doc", type=Path,
                        help="write the table between the load markers of this file (docs/benchmarks.md)")
    parser.add_argument("--min-actions", type=int, default=0,
                        help="each viewer goes on past --seconds until it has begun this many actions "
                             "(a smoke run on a busy machine)")
    parser.add_argument("--json", type=Path, help="also write the measurements to this file")
    args = parser.parse_args(argv)
    result = asyncio.run(measure(args.viewers, args.seconds, args.models, args.min_actions))
    table = report(result, args.viewers, args.seconds)
    publish(table, args.doc, START, END)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
