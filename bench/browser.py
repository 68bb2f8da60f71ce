"""A Streamlit server on a free localhost port, Debian's Chromium, and the scripts run in its pages.

Shared by the browser tests (``tests/browser``) and the UI benchmark (``bench/ui_speed.py``), so
both start the app and move its controls the same way.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import torch
from playwright.sync_api import Browser, Page, Playwright

from bench.runtime_origin import runtime_origin
from gen_core.models import GenerativeModel
from ui.in_page import COMPONENTS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
STARTUP_TIMEOUT_S = 90
HEALTH_POLL_S = 0.05  # short, so a benchmark timing a launch is not rounded up to the poll

# The decoder runtime's engine for a file from ``ui.decode_path.page_decoder`` at ``url`` (an
# ``offered`` one of ``bench.runtime_origin``), by its suffix.
OPEN_DECODER = """async (url, suffix) => {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`decoder ${url}: HTTP ${response.status}`);
  return DecoderRuntime.open(await response.arrayBuffer(), suffix);
}"""
# Decodes latents with the decoder runtime in a page prepared by ``runtime_page``.
DECODE_IN_PAGE = f"""async ([url, suffix, latents]) => {{
  const decoder = await ({OPEN_DECODER})(url, suffix);
  const pictures = [];
  for (const z of latents) pictures.push(Array.from(await decoder.decode(z)));
  return pictures;
}}"""
# Moves a slider once per animation frame, as a hand dragging it would, and counts pictures drawn.
DRAG_IN_PAGE = """(slider, ms) => new Promise((resolve) => {
  const shared = window.__latentAtlas, first = shared.frames, started = performance.now();
  const low = Number(slider.min), high = Number(slider.max);
  let inputs = 0;
  function step() {
    if (performance.now() - started > ms) {
      slider.dispatchEvent(new Event("change", { bubbles: true }));
      resolve({ inputs, pictures: shared.frames - first });
      return;
    }
    slider.value = String(low + (high - low) * ((inputs * 0.037) % 1));
    inputs += 1;
    slider.dispatchEvent(new Event("input", { bubbles: true }));
    requestAnimationFrame(step);
  }
  requestAnimationFrame(step);
})"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(HEALTH_POLL_S)
    raise RuntimeError(f"streamlit did not answer {url}/_stcore/health in {STARTUP_TIMEOUT_S} s")


@dataclasses.dataclass(frozen=True)
class StreamlitServer:
    process: subprocess.Popen
    url: str
    spawned_at: float  # time.perf_counter() just before the process was started
    healthy_at: float  # time.perf_counter() once it answered its health check


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()  # the name may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_idle(pid: int, quiet_s: float = 1.0, busy_share: float = 0.05,
                    timeout_s: float = 60.0) -> float:
    """Wait until process ``pid`` has used under ``busy_share`` of one core for ``quiet_s`` seconds
    (its start-up work done); returns the seconds waited."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout_s:
        before = cpu_seconds(pid)
        time.sleep(quiet_s)
        if cpu_seconds(pid) - before < busy_share * quiet_s:
            break
    return time.perf_counter() - started


@contextlib.contextmanager
def streamlit_server(app_dir: Path, env: dict[str, str], log: IO) -> Iterator[StreamlitServer]:
    """``streamlit run app.py`` in ``app_dir``, healthy on a free port; stopped on exit."""
    port = free_port()
    spawned_at = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=app_dir, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield StreamlitServer(process, url, spawned_at, time.perf_counter())
    finally:
        process.terminate()
        process.wait(timeout=20)


def launch_chromium(playwright: Playwright) -> Browser:
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"{CHROMIUM} is missing: install Debian's chromium package "
                                "(apt-get install chromium)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def runtime_page(page: Page) -> Page:
    """``page`` made a blank page with the browser decoder runtime (``DecoderRuntime``) loaded, and
    the vendored ONNX Runtime Web where the runtime looks for it."""
    page.goto(runtime_origin().url)
    page.add_script_tag(content=(COMPONENTS / "decoder_runtime.js").read_text())
    return page


def page_max_difference(page: Page, model: GenerativeModel, decoder: tuple[bytes, str]) -> float:
    """The largest difference between ``model.decode`` and ``decoder`` (bytes, suffix) run in
    ``page`` (made by ``runtime_page``), over 4 latents, one at the ends of every range. The page's
    values are compared as the canvas draws them, clamped to [0, 1]: a decoder whose range was
    sampled can overshoot it, and ``decode`` clamps too."""
    latents = model.sample_latent(4, torch.Generator().manual_seed(5))
    latents[0] = torch.tensor([d.high for d in model.latent_spec])
    data, suffix = decoder
    with runtime_origin().offered(data, suffix) as url:
        decoded = page.evaluate(DECODE_IN_PAGE, [url, suffix, latents.tolist()])
    with torch.no_grad():
        expected = model.decode(latents).flatten(1)
    return (torch.tensor(decoded).clamp(0, 1) - expected).abs().max().item()
