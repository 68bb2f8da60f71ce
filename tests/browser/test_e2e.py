"""The app in a real Chromium: every page, keyboard on a slider, map selection, shared links."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.app_support import CONV_VAE, GAN, VAE

pytestmark = pytest.mark.browser

EXCEPTION = '[data-testid="stException"]'
RUNNING = '[data-testid="stStatusWidget"]'
IMAGE = '[data-testid="stImage"] img'
PAGE_TIMEOUT_MS = 60_000


def open_and_settle(page: Page, url: str, ready: str) -> None:
    """Load ``url`` and wait until ``ready`` shows and the script has finished running."""
    page.goto(url)
    settle(page, ready)


def settle(page: Page, ready: str) -> None:
    page.locator(ready).first.wait_for(timeout=PAGE_TIMEOUT_MS)
    page.wait_for_timeout(300)  # let a rerun triggered just now register as running
    page.locator(RUNNING).wait_for(state="hidden", timeout=PAGE_TIMEOUT_MS)
    expect(page.locator(EXCEPTION)).to_have_count(0)


def image_pixels(page: Page, index: int = 0) -> bytes:
    return page.locator(IMAGE).nth(index).screenshot()


def test_gallery_shows_a_card_per_model(page, app_url, artifacts):
    open_and_settle(page, app_url, IMAGE)
    expect(page.get_by_role("heading", name=VAE)).to_be_visible()
    expect(page.get_by_text("cannot be loaded")).to_be_visible()
    expect(page.locator(IMAGE)).to_have_count(4)  # a preview per loadable model
    page.screenshot(path=artifacts / "home.png", full_page=True)


def test_latent_map_point_click_shows_the_reconstruction(page, app_url, artifacts):
    open_and_settle(page, f"{app_url}/Latent_Map?model={VAE}", ".js-plotly-plot")
    expect(page.locator(IMAGE)).to_have_count(0)
    x, y = page.evaluate("""() => {
        const gd = document.querySelector('.js-plotly-plot');
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
        const trace = gd._fullData[0];  // decoded arrays (the wire format is base64 binary)
        return [box.left + xa._offset + xa.c2p(trace.x[0]), box.top + ya._offset + ya.c2p(trace.y[0])];
    }""")
    page.mouse.move(x - 4, y)
    page.mouse.move(x, y)  # plotly picks the clicked point from its hover state
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    settle(page, IMAGE)
    expect(page.get_by_text("original (left) and reconstruction (right)")).to_be_visible()
    expect(page.get_by_text("its 8 nearest latents, nearest first")).to_be_visible()
    expect(page.get_by_text(re.compile(r"map draws \d of these 8"))).to_be_visible()
    page.screenshot(path=artifacts / "latent_map.png", full_page=True)


def test_interpolate_shows_paths_and_blend(page, app_url, artifacts):
    grids = "canvas.la-grid[data-complete]"
    open_and_settle(page, f"{app_url}/Interpolate?model={VAE}&seed=1&seed2=2", grids)
    expect(page.locator(grids)).to_have_count(2)
    expect(page.get_by_text("Download GIF")).to_be_visible()
    paths = page.locator("canvas.la-grid").first
    before = paths.evaluate("(canvas) => canvas.toDataURL()")
    steps = page.get_by_role("slider", name="Steps")
    steps.focus()
    for _ in range(4):  # the paths redraw in the page at each step count, before any rerun
        page.keyboard.press("ArrowRight")
    expect(page.locator("output.la-value").first).to_have_text("12")
    page.wait_for_function("([c, b]) => c.toDataURL() !== b", arg=[paths.element_handle(), before],
                           timeout=PAGE_TIMEOUT_MS)
    page.screenshot(path=artifacts / "interpolate.png", full_page=True)


def test_compare_shows_one_image_per_chosen_model(page, app_url, artifacts):
    chosen = [VAE, CONV_VAE, GAN]
    open_and_settle(page, f"{app_url}/Compare?model={','.join(chosen)}&seed=4", IMAGE)
    captions = page.locator('[data-testid="stImage"] [data-testid="stImageCaption"]')
    expect(captions.filter(has_text=GAN)).to_have_count(1)
    for stem in chosen:
        expect(captions.get_by_text(stem, exact=True)).to_have_count(1)
    page.screenshot(path=artifacts / "compare.png", full_page=True)


def test_a_bad_link_shows_a_notice_not_an_exception(page, app_url):
    open_and_settle(page, f"{app_url}/Explore?model=nope&seed=x&z=1,2", "canvas.la-image[data-frames]")
    expect(page.get_by_text("Unknown or unusable model")).to_be_visible()
