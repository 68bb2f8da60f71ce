"""The measurements behind ``bench/ui_speed.py``: one function per figure, on a page or a server.

Times are taken where they happen: a launch from the spawn of the server process, a first paint
from ``page.goto``, and a key press or a decode inside the page with ``performance.now()``, so the
round trip between this process and Chromium is not counted where it can be avoided.
"""

from __future__ import annotations

import contextlib
import io
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from playwright.sync_api import Browser, Locator, Page

from bench.browser import DRAG_IN_PAGE, OPEN_DECODER, StreamlitServer, runtime_page
from bench.runtime_origin import runtime_origin
from gen_core.models import GenerativeModel
from ui.decode_path import page_decoder

PAGE_TIMEOUT_MS = 120_000
VIEWPORT = {"width": 1400, "height": 1000}
IMAGE = '[data-testid="stImage"] img'
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'  # no script run in progress
SERVER_SLIDER = '[data-testid="stSlider"] input[type="range"]'
LIVE_PICTURE, LIVE_SLIDER = "canvas.la-image[data-frames]", "input.la-slider"
DECODES_TIMED, TORCH_TIMINGS = 50, 5

IMAGES_LOADED = """([selector, count]) => [...document.querySelectorAll(selector)]
  .filter((img) => img.complete && img.naturalWidth > 0).length >= count"""
# Plotly's WebGL scene clears its dirty flag once it has drawn the points.
MAP_DRAWN = """() => {
  const plot = document.querySelector(".js-plotly-plot");
  const scene = plot?._fullLayout?._plots?.xy?._scene;
  return Boolean(scene && scene.dirty === false && plot.querySelector(".gl-canvas"));
}"""
# Times the next key press in the page: from its keydown until a new picture has loaded.
ARM_KEY_PRESS = """(selector) => {
  const watch = (window.__keyPress = { before: document.querySelector(selector).src, ms: null });
  document.addEventListener("keydown", () => {
    const pressed = performance.now();
    (function poll() {
      const img = document.querySelector(selector);
      if (img && img.src !== watch.before && img.complete && img.naturalWidth > 0) {
        watch.ms = performance.now() - pressed;
      } else {
        requestAnimationFrame(poll);
      }
    })();
  }, { capture: true, once: true });
}"""
# Milliseconds per pass over the latents, ``passes`` times, as torch_decodes_per_s times torch.
TIME_DECODES_IN_PAGE = f"""async ([url, suffix, latents, passes]) => {{
  const decoder = await ({OPEN_DECODER})(url, suffix);
  await decoder.decode(latents[0]);  // the first call is slower while the engine compiles the loops
  const timings = [];
  for (let pass = 0; pass < passes; pass++) {{
    const started = performance.now();
    for (const z of latents) await decoder.decode(z);
    timings.push(performance.now() - started);
  }}
  return timings;
}}"""
FRAMES = "() => window.__latentAtlas.frames"
RANGE = "(slider) => [Number(slider.min), Number(slider.max), Number(slider.value)]"
# The drag ceiling: a slider and a canvas repainted with one colour on every input event,
# counting repaints where the live panel counts pictures, so DRAG_IN_PAGE drives both alike.
CANVAS_ONLY_PAGE = """<!doctype html><title>drag ceiling</title>
<input type="range" min="-3" max="3" step="0.01" value="0" style="width: 300px">
<canvas width="448" height="448"></canvas>
<script>
  window.__latentAtlas = { frames: 0 };
  const slider = document.querySelector("input"), canvas = document.querySelector("canvas");
  const context = canvas.getContext("2d");
  slider.addEventListener("input", () => {
    const share = (slider.value - slider.min) / (slider.max - slider.min);
    context.fillStyle = `hsl(${Math.round(300 * share)}, 80%, 50%)`;
    context.fillRect(0, 0, canvas.width, canvas.height);
    window.__latentAtlas.frames += 1;
  });
</script>"""


@contextlib.contextmanager
def fresh_page(browser: Browser) -> Iterator[Page]:
    """A page in a new browser context: an empty HTTP cache, as a first visit has."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def settle(page: Page, ready: str) -> list[str]:
    """Wait for ``ready`` and for the script run to end; returns the texts of any errors shown.

    A page that ends its run with an error and without ``ready`` fails at once, not at a timeout.
    """
    page.locator(ready).or_(page.locator(ERRORS)).first.wait_for()
    page.locator(IDLE).wait_for()
    errors = [f"{page.url}: {text[:200]}" for text in page.locator(ERRORS).all_inner_texts()]
    if errors and not page.locator(ready).count():
        raise RuntimeError(f"{errors[0]} (waiting for {ready})")
    page.locator(ready).first.wait_for()  # a live picture is drawn after the run, once its decoder loads
    return errors


def gallery_paint_s(page: Page, server: StreamlitServer, images: int) -> tuple[float, float]:
    """Figure 1: seconds from spawning the server, and from its first answer to its health check,
    until the home page (opened at once) shows ``images`` pictures."""
    page.goto(server.url)
    page.wait_for_function(IMAGES_LOADED, arg=[IMAGE, images], polling="raf")
    painted = time.perf_counter()
    return painted - server.spawned_at, painted - server.healthy_at


def map_first_paint_s(page: Page, url: str) -> tuple[float, int]:
    """Figure 2: seconds from ``page.goto`` until the WebGL map is drawn, and its coloured pixels."""
    started = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_function(MAP_DRAWN, polling="raf")
    took = time.perf_counter() - started
    return took, coloured_pixels(page.locator(".js-plotly-plot").first)


def coloured_pixels(element: Locator) -> int:
    """Saturated pixels in a screenshot of ``element``: the points, not the white, grey or black."""
    rgb = np.asarray(Image.open(io.BytesIO(element.screenshot())).convert("RGB")).astype(int)
    return int(((rgb.max(axis=2) - rgb.min(axis=2)) > 60).sum())


def key_press_ms(page: Page, url: str, presses: int, live_toggle: str | None) -> list[float]:
    """Figure 3: per arrow key press on the first server slider, ms until the picture is replaced.

    ``live_toggle`` is the label of a toggle to switch off first, so the server decodes.
    """
    page.goto(url)
    if live_toggle:
        settle(page, LIVE_PICTURE)
        page.get_by_text(live_toggle).click()
    settle(page, SERVER_SLIDER)
    page.locator(IMAGE).first.wait_for()
    slider = page.locator(SERVER_SLIDER).first
    low, high, value = slider.evaluate(RANGE)
    key = "ArrowRight" if value <= (low + high) / 2 else "ArrowLeft"  # away from the nearer end
    slider.focus()
    took = []
    for _ in range(presses):
        page.evaluate(ARM_KEY_PRESS, IMAGE)
        page.keyboard.press(key)
        page.wait_for_function("() => window.__keyPress.ms !== null", polling="raf")
        took.append(page.evaluate("() => window.__keyPress.ms"))
        page.locator(IDLE).wait_for()  # the next press starts from a finished run
    return took


def drag_rates(page: Page, url: str, seconds: float) -> dict[str, float]:
    """Figure 4 (a, b): pictures per second while Explore's first live slider is dragged."""
    page.goto(url)
    settle(page, LIVE_PICTURE)
    slider = page.locator(LIVE_SLIDER).first
    in_page = slider.evaluate(DRAG_IN_PAGE, seconds * 1000)
    page.locator(IDLE).wait_for()  # the drag's end sent the value to the server
    return drag_summary(in_page, mouse_drag(page, slider, seconds), seconds)


def ceiling_rates(page: Page, seconds: float) -> dict[str, float]:
    """Figure 4 (c): the same drags on a page that only repaints a canvas on each input event."""
    page.set_content(CANVAS_ONLY_PAGE)
    slider = page.locator("input").first
    in_page = slider.evaluate(DRAG_IN_PAGE, seconds * 1000)
    return drag_summary(in_page, mouse_drag(page, slider, seconds), seconds)


def drag_summary(in_page: dict, mouse: dict, seconds: float) -> dict[str, float]:
    return {"in_page_per_s": in_page["pictures"] / seconds, "in_page_inputs": in_page["inputs"],
            "mouse_per_s": mouse["pictures"] / mouse["seconds"], "mouse_moves": mouse["moves"]}


def mouse_drag(page: Page, slider: Locator, seconds: float) -> dict[str, float]:
    """Press on the slider's thumb and sweep it back and forth with real mouse events.

    Playwright sends the next move once the page has handled the last, so the rate is bounded by
    how long the page spends on each pointer event, as a hand's events would queue up behind it.
    """
    box = slider.bounding_box()
    low, high, value = slider.evaluate(RANGE)
    y, usable = box["y"] + box["height"] / 2, box["width"] - 16  # the thumb never leaves the track

    def x_at(share: float) -> float:
        return box["x"] + 8 + usable * share

    first = page.evaluate(FRAMES)
    page.mouse.move(x_at((value - low) / (high - low)), y)
    page.mouse.down()
    started, moves = time.perf_counter(), 0
    try:
        while (elapsed := time.perf_counter() - started) < seconds:
            sweep = (moves * 0.037) % 2  # a triangle wave: across the track and back
            page.mouse.move(x_at(sweep if sweep < 1 else 2 - sweep), y)
            moves += 1
    finally:
        page.mouse.up()
    return {"pictures": page.evaluate(FRAMES) - first, "seconds": elapsed, "moves": moves}


def rss_after_pages(page: Page, server: StreamlitServer, visits: list[tuple[str, str]]
                    ) -> tuple[float, list[str]]:
    """Figure 5: the server's resident memory (MiB) after opening each ``(path, ready)`` in turn,
    and the errors the pages showed."""
    errors = []
    for path, ready in visits:
        page.goto(server.url + path)
        errors += settle(page, ready)
    return tree_rss_mib(server.process.pid), errors


def tree_rss_mib(pid: int) -> float:
    """VmRSS of ``pid`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])  # the name may hold spaces
            children.setdefault(parent, []).append(int(stat.parent.name))
    total_kib, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
    return total_kib / 1024


@torch.no_grad()
def torch_decodes_per_s(model: GenerativeModel) -> float:
    """Figure 6, server: batch-1 ``model.decode`` calls per second on one thread, as the page runs
    (median of a few timings)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        z = model.sample_latent(1, torch.Generator().manual_seed(0))
        model.decode(z)
        timings = []
        for _ in range(TORCH_TIMINGS):
            started = time.perf_counter()
            for _ in range(DECODES_TIMED):
                model.decode(z)
            timings.append(time.perf_counter() - started)
    finally:
        torch.set_num_threads(threads)
    return DECODES_TIMED / statistics.median(timings)


def browser_decodes_per_s(page: Page, model: GenerativeModel) -> float:
    """Figure 6, browser: decodes per second in a blank page of the decoder the app serves for
    ``model`` (in the engine ``ui.decode_path`` picks; median of a few timings, as for torch)."""
    data, suffix = page_decoder(model)
    latents = model.sample_latent(DECODES_TIMED, torch.Generator().manual_seed(0)).tolist()
    with runtime_origin().offered(data, suffix) as url:
        timings = runtime_page(page).evaluate(TIME_DECODES_IN_PAGE, [url, suffix, latents, TORCH_TIMINGS])
    return DECODES_TIMED / (statistics.median(timings) / 1000)
