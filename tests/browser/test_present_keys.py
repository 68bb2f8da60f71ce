"""Presenter mode in Chromium: bookmarks made in the sidebar, stepped through with the arrow keys."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.app_support import GAN, VAE

pytestmark = pytest.mark.browser

PAGE_TIMEOUT_MS = 60_000
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def bookmark(page, name: str) -> None:
    # The panel stays open from page to page once opened: open it only where it is closed.
    panel = page.locator('[data-testid="stSidebar"] [data-testid="stExpander"] details')
    panel.wait_for(timeout=PAGE_TIMEOUT_MS)
    if panel.get_attribute("open") is None:
        page.get_by_text("and presenting").click(timeout=PAGE_TIMEOUT_MS)
    page.get_by_label("Name of this view").fill(name)
    page.get_by_label("Name of this view").press("Enter")
    page.get_by_role("button", name="Bookmark this view").click()
    expect(page.get_by_text(f". {name}")).to_be_visible(timeout=PAGE_TIMEOUT_MS)


def test_bookmarks_are_presented_full_width_and_stepped_with_the_arrow_keys(page, app_url, artifacts):
    page.goto(f"{app_url}/Explore?model={VAE}&seed=2", timeout=PAGE_TIMEOUT_MS)
    page.locator("canvas.la-image[data-frames]").wait_for(timeout=PAGE_TIMEOUT_MS)
    bookmark(page, "a VAE")
    page.get_by_role("link", name="Explore").click()  # the same session, another model
    page.get_by_label("Model").click()
    page.get_by_role("option", name=GAN).click()
    page.wait_for_url(f"**model={GAN}**", timeout=PAGE_TIMEOUT_MS)
    bookmark(page, "a GAN")
    page.get_by_role("button", name="Present from the first").click()
    page.wait_for_url(f"**model={VAE}**present=1**", timeout=PAGE_TIMEOUT_MS)
    expect(page.get_by_text("1 / 2 · a VAE")).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    expect(page.locator('[data-testid="stSidebar"]')).to_be_hidden()
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press("ArrowRight")
    page.wait_for_url(f"**model={GAN}**present=1**", timeout=PAGE_TIMEOUT_MS)
    expect(page.get_by_text("2 / 2 · a GAN")).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_text("1 / 2 · a VAE")).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    expect(page.locator(ERRORS)).to_have_count(0)
    page.screenshot(path=artifacts / "presenter.png")
