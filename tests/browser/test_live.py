"""Decoding in the page: both engines against PyTorch, and Explore's live panel in Chromium."""

from __future__ import annotations

import os

import pytest
import torch
from playwright.sync_api import Page, expect
from torch import nn

from bench.browser import DRAG_IN_PAGE, page_max_difference, runtime_page, streamlit_server
from gen_core.cache import CACHE_DIR_NAME
from gen_core.files.checkpoint import load_model, load_model_bytes, meta_model, read_header
from gen_core.media.browser_decoder import export_decoder
from gen_core.media.onnx_decoder import export_onnx_decoder
from tests.app_support import GAN, ROOT, VAE
from tests.test_onnx_battery import BATTERY, export_bytes, randomized
from ui.catalog import CHECKPOINTS_ENV
from ui.decode_path import page_decoder

pytestmark = pytest.mark.browser

SHIPPED = sorted((ROOT / "checkpoints").glob("*.safetensors"))


def one_per_architecture(paths: list) -> list:
    """The first file of each decoder network: files whose decoders differ only in their weights
    (the same network on MNIST and on Fashion-MNIST, or beside another encoder) export and run
    alike. The network is read from the card and built on the meta device, so no weights load."""
    chosen = {}
    for path in paths:
        model = meta_model(path, read_header(path)[0])
        chosen.setdefault(repr(nn.Sequential(*model.decoder_layers())), path)
    return list(chosen.values())


SHIPPED_GAN = "mnist-dcgan"  # over the compact runtime's budget, so the app gives it to ONNX Runtime
PAGE_TIMEOUT_MS = 60_000
PICTURE = "canvas.la-image[data-frames]"
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'
# True once the server has written the control's last value into the link.
LINK_HOLDS = """([dim, value]) => {
  const z = new URLSearchParams(location.search).get("z");
  return z !== null && Math.abs(Number(z.split(",")[dim]) - value) < 1e-6;
}"""


@pytest.fixture(scope="module")
def runtime(browser):
    """One page with the decoder runtime for every model below: a warm page decoded one in about
    0.4 s here, a fresh page for each took about 1.3 s."""
    context = browser.new_context()
    yield runtime_page(context.new_page())
    context.close()


@pytest.mark.parametrize("path", one_per_architecture(SHIPPED), ids=lambda p: p.stem)
def test_the_page_decodes_every_shipped_architecture_as_pytorch_does(runtime, path):
    model = load_model(path)
    assert page_max_difference(runtime, model, page_decoder(model)) <= 1e-3  # the engine the app picks


@pytest.mark.parametrize("stem", ["mnist-vae-mlp", "mnist-dcgan"])
def test_both_engines_decode_a_shipped_model_alike(runtime, stem):
    model = load_model(ROOT / "checkpoints" / f"{stem}.safetensors")
    for decoder in ((export_decoder(model), ".bin"), (export_onnx_decoder(model), ".onnx")):
        assert page_max_difference(runtime, model, decoder) <= 1e-3, decoder[1]


@pytest.mark.parametrize("name", list(BATTERY))
def test_every_battery_decoder_decodes_in_the_page_as_pytorch_does(runtime, name):
    """Each public-code decoder through the engine the app would serve it with: ONNX Runtime for
    residual Conv + GroupNorm + SiLU, Resize, grouped convolutions or NHWC, the compact runtime
    for plain chains."""
    module, shape = BATTERY[name]
    model = load_model_bytes(export_bytes(randomized(module), (torch.randn(2, *shape),), ["z"]), "g.onnx")
    decoder = page_decoder(model)
    if name in ("diffusers-block", "acgan-bilinear", "grouped-dilated", "nhwc-output"):
        assert decoder[1] == ".onnx"
    assert page_max_difference(runtime, model, decoder) <= 1e-3


def open_explore(page: Page, url: str) -> None:
    page.goto(url)
    page.locator(PICTURE).wait_for(timeout=PAGE_TIMEOUT_MS)
    expect(page.locator(ERRORS)).to_have_count(0)


def canvas_pixels(page: Page, selector: str = "canvas.la-image") -> str:
    return page.locator(selector).first.evaluate("(canvas) => canvas.toDataURL()")


def test_the_picture_and_the_traversal_follow_a_slider_while_it_moves(page, app_url, artifacts):
    open_explore(page, f"{app_url}/Explore?model={VAE}&seed=0")
    page.locator("canvas.la-grid[data-complete]").first.wait_for(timeout=PAGE_TIMEOUT_MS)  # the traversal
    picture, grid = canvas_pixels(page), canvas_pixels(page, "canvas.la-grid")
    drag = page.locator("input.la-slider").first.evaluate(DRAG_IN_PAGE, 1000)
    assert drag["inputs"] >= 10
    assert drag["pictures"] >= 0.8 * drag["inputs"]  # a picture for (nearly) every move
    assert canvas_pixels(page) != picture
    page.wait_for_function("([canvas, before]) => canvas.toDataURL() !== before",  # the grid redrawn
                           arg=[page.locator("canvas.la-grid").first.element_handle(), grid],
                           timeout=PAGE_TIMEOUT_MS)
    assert canvas_pixels(page, "canvas.la-grid") != grid
    expect(page.locator(ERRORS)).to_have_count(0)
    page.screenshot(path=artifacts / "explore-live.png", full_page=True)


def test_arrow_keys_move_a_control_and_the_link_reproduces_the_picture(page, browser, app_url):
    open_explore(page, f"{app_url}/Explore?model={GAN}&seed=3")
    before, url_before = canvas_pixels(page), page.evaluate("location.href")
    slider = page.get_by_role("slider").first
    slider.focus()
    for _ in range(10):
        page.keyboard.press("ArrowLeft")
    dim, value = slider.get_attribute("data-dim"), slider.input_value()
    page.wait_for_function(LINK_HOLDS, arg=[int(dim), float(value)], timeout=PAGE_TIMEOUT_MS)
    picture, link = canvas_pixels(page), page.evaluate("location.href")
    assert link != url_before
    assert picture != before and "z=" in link
    other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    open_explore(other, link)
    assert canvas_pixels(other) == picture
    other.context.close()


@pytest.fixture(scope="module")
def shipped_gan_url(tmp_path_factory):
    """The app serving one shipped GAN, whose decoder runs in ONNX Runtime Web."""
    folder = tmp_path_factory.mktemp("shipped-gan")
    (folder / f"{SHIPPED_GAN}.safetensors").symlink_to(ROOT / "checkpoints" / f"{SHIPPED_GAN}.safetensors")
    (folder / CACHE_DIR_NAME).symlink_to(ROOT / "checkpoints" / CACHE_DIR_NAME)  # its map, not recomputed
    env = {**os.environ, CHECKPOINTS_ENV: str(folder), "PYTHONPATH": str(ROOT)}
    with (open(tmp_path_factory.mktemp("logs") / "streamlit.log", "w") as log,
          streamlit_server(ROOT, env, log) as server):
        yield server.url


def test_a_decoder_served_as_onnx_follows_a_slider_in_explore(page, shipped_gan_url):
    open_explore(page, f"{shipped_gan_url}/Explore?model={SHIPPED_GAN}&seed=0")
    loaded = page.evaluate("() => [...window.__latentAtlas.decoders.keys()]")
    assert loaded and all(url.endswith(".onnx") for url in loaded)
    picture = canvas_pixels(page)
    drag = page.locator("input.la-slider").first.evaluate(DRAG_IN_PAGE, 1000)
    assert drag["inputs"] >= 10 and drag["pictures"] >= 0.8 * drag["inputs"]
    assert canvas_pixels(page) != picture
    page.locator("canvas.la-grid[data-complete]").first.wait_for(timeout=PAGE_TIMEOUT_MS)  # the traversal
    expect(page.locator(ERRORS)).to_have_count(0)


def test_onnx_decoders_draw_interpolate_grids_and_the_map_walk(page, shipped_gan_url):
    page.goto(f"{shipped_gan_url}/Interpolate?model={SHIPPED_GAN}")
    page.locator("canvas.la-grid[data-complete]").first.wait_for(timeout=PAGE_TIMEOUT_MS)
    page.goto(f"{shipped_gan_url}/Latent_Map?model={SHIPPED_GAN}")
    page.get_by_text("Walk: decode anywhere").click(timeout=PAGE_TIMEOUT_MS)
    walk = page.locator("canvas.la-walk-map[data-drawn]")
    walk.wait_for(timeout=PAGE_TIMEOUT_MS)
    page.wait_for_function("() => window.__latentAtlas && window.__latentAtlas.decoders.size > 0",
                           timeout=PAGE_TIMEOUT_MS)
    box = walk.bounding_box()
    for step in range(8):
        page.mouse.move(box["x"] + box["width"] * (0.2 + 0.08 * step), box["y"] + box["height"] * 0.5)
        page.wait_for_timeout(40)
    picture = page.locator("canvas.la-walk-picture").element_handle()
    page.wait_for_function("(c) => Number(c.dataset.frames || 0) >= 3", arg=picture, timeout=PAGE_TIMEOUT_MS)
    expect(page.locator(ERRORS)).to_have_count(0)
