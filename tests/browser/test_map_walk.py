"""The walkable Latent Map in Chromium: the picture follows the pointer; a click opens Explore."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.app_support import VAE

pytestmark = pytest.mark.browser

PAGE_TIMEOUT_MS = 60_000
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def test_walking_the_map_decodes_under_the_pointer_and_a_pin_opens_in_explore(page, app_url, artifacts):
    page.goto(f"{app_url}/Latent_Map?model={VAE}", timeout=PAGE_TIMEOUT_MS)
    page.get_by_text("Walk: decode anywhere").click(timeout=PAGE_TIMEOUT_MS)
    walk = page.locator("canvas.la-walk-map[data-drawn]")
    walk.wait_for(timeout=PAGE_TIMEOUT_MS)
    picture = page.locator("canvas.la-walk-picture")
    box = walk.bounding_box()
    page.wait_for_function("() => window.__latentAtlas && window.__latentAtlas.decoders.size > 0",
                           timeout=PAGE_TIMEOUT_MS)
    for step in range(12):  # across the map: on points and between them
        page.mouse.move(box["x"] + box["width"] * (0.1 + 0.07 * step), box["y"] + box["height"] * 0.5)
        page.wait_for_timeout(40)
    page.wait_for_function("(c) => Number(c.dataset.frames || 0) >= 5", arg=picture.element_handle())
    before = walk.evaluate("(c) => c.toDataURL()")
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.mouse.wheel(0, -300)  # zoom in at the pointer: the map is drawn again, larger
    page.wait_for_function("([c, b]) => c.toDataURL() !== b", arg=[walk.element_handle(), before])
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    expect(page.locator(".la-walk-side .la-caption")).to_contain_text("pinned")
    page.get_by_text("Open the pinned place in Explore").click(timeout=PAGE_TIMEOUT_MS)
    page.wait_for_url("**/Explore?*z=*", timeout=PAGE_TIMEOUT_MS)
    page.locator("canvas.la-image[data-frames]").wait_for(timeout=PAGE_TIMEOUT_MS)
    expect(page.locator(ERRORS)).to_have_count(0)
    page.screenshot(path=artifacts / "map-walk-explore.png")
