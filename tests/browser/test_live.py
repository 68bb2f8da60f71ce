"""Decoding in the page: the runtime against PyTorch, and Explore's live panel in Chromium."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import torch
from playwright.sync_api import Page, expect

from bench.browser import DECODE_IN_PAGE, DRAG_IN_PAGE, runtime_page
from gen_core.files.checkpoint import load_model
from gen_core.media.browser_decoder import export_decoder
from tests.app_support import GAN, ROOT, VAE

pytestmark = pytest.mark.browser

SHIPPED = sorted((ROOT / "checkpoints").glob("*.safetensors"))
PAGE_TIMEOUT_MS = 60_000
PICTURE = "canvas.la-image[data-frames]"
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'
# True once the server has written the control's last value into the link.
LINK_HOLDS = """([dim, value]) => {
  const z = new URLSearchParams(location.search).get("z");
  return z !== null && Math.abs(Number(z.split(",")[dim]) - value) < 1e-6;
}"""


def browser_max_difference(page: Page, path: Path) -> float:
    model = load_model(path)
    latents = model.sample_latent(4, torch.Generator().manual_seed(5))
    latents[0] = torch.tensor([d.high for d in model.latent_spec])  # the ends of every range
    encoded = base64.b64encode(export_decoder(model)).decode()
    decoded = page.evaluate(DECODE_IN_PAGE, [encoded, latents.tolist()])
    with torch.no_grad():
        expected = model.decode(latents).flatten(1)
    return (torch.tensor(decoded) - expected).abs().max().item()


@pytest.fixture(scope="module")
def runtime(browser):
    """One page with the decoder runtime for every model below: a warm page decoded one in about
    0.4 s here, a fresh page for each took about 1.3 s."""
    context = browser.new_context()
    yield runtime_page(context.new_page())
    context.close()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_the_page_decodes_every_shipped_model_as_pytorch_does(runtime, path):
    assert browser_max_difference(runtime, path) <= 1e-3


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
