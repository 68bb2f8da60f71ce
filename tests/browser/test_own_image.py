"""A person's own picture in Chromium: a drawing on the pad and an uploaded photo, and uploads
of models, good and hostile."""

from __future__ import annotations

import pickle

import pytest
from playwright.sync_api import Page, expect

from bench.ui_measure import IDLE
from gen_core.files.checkpoint import save_model
from tests.app_support import VAE
from tests.browser.test_live import ERRORS, PAGE_TIMEOUT_MS, PICTURE, canvas_pixels, open_explore
from tests.conftest import tiny_model
from tests.test_own_image_pages import photo

pytestmark = pytest.mark.browser
# Records whether the next click lands on the button labelled ``label`` (or inside it).
WATCH_NEXT_CLICK = """(label) => {
  window.__landed = null;
  document.addEventListener("click", (event) => {
    window.__landed = Boolean(event.target.closest("button")?.innerText.includes(label));
  }, {capture: true, once: true});
}"""


def open_own_image(page: Page) -> None:
    page.get_by_text("Start from your own image").click()


def click_until_it_lands(page: Page, label: str, tries: int = 3) -> None:
    """Click the button ``label`` as a person would: again if the click landed beside it.

    On a loaded machine the page's layout can move between Playwright's aim and its click: in 27
    runs with both cores busy, 3 first clicks landed beside this button (one, measured, 156 px
    above it, on an empty block). A person would see the miss and click again. A click that lands
    is not repeated, so a click the app drops still fails the test."""
    for _ in range(tries):
        page.evaluate(WATCH_NEXT_CLICK, label)
        page.get_by_role("button", name=label).click()
        if page.evaluate("() => window.__landed"):
            return
    raise AssertionError(f"{tries} clicks on {label!r} all landed beside it")


def start_from_it(page: Page) -> None:
    before = canvas_pixels(page)
    expect(page.get_by_text("what the model sees")).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    # Clicked once the upload's run has finished, as a person clicks a button they have seen
    # settle: on a loaded machine a click in the middle of that run was sometimes not acted on.
    page.locator(IDLE).wait_for(timeout=PAGE_TIMEOUT_MS)
    click_until_it_lands(page, "Start from this image")
    # The view is replaced, so the panel draws a new canvas: poll whichever canvas is current.
    for _ in range(PAGE_TIMEOUT_MS // 250):
        if page.locator(ERRORS).count() or (page.locator(PICTURE).count() and canvas_pixels(page) != before):
            break
        page.wait_for_timeout(250)
    expect(page.locator(ERRORS)).to_have_count(0)
    caption = page.locator("canvas.la-image + .la-caption").first.inner_text()
    assert canvas_pixels(page) != before, f"the picture did not change; its caption reads {caption!r}"
    assert caption.endswith("from your image")


def test_a_drawing_on_the_pad_starts_explore(page, app_url, artifacts):
    open_explore(page, f"{app_url}/Explore?model={VAE}&seed=0")
    open_own_image(page)
    page.get_by_text("Draw", exact=True).click()
    pad = page.locator("canvas.la-pad-canvas")
    pad.wait_for(timeout=PAGE_TIMEOUT_MS)
    box = pad.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.15)
    page.mouse.down()
    for step in range(1, 11):  # a vertical stroke, as a finger would draw a "1"
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * (0.15 + 0.07 * step))
    page.mouse.up()
    start_from_it(page)
    page.screenshot(path=artifacts / "explore-drawing.png", full_page=True)


def test_an_uploaded_photo_starts_explore(page, app_url):
    open_explore(page, f"{app_url}/Explore?model={VAE}&seed=0")
    open_own_image(page)
    name, data, mime = photo()
    page.locator('[data-testid="stMain"] [data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}])
    start_from_it(page)


def upload_model(page: Page, app_url: str, name: str, data: bytes) -> None:
    page.goto(app_url)
    page.get_by_text("Add your own model").click()
    page.locator('[data-testid="stMain"] [data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}])


def test_an_uploaded_checkpoint_becomes_a_card_and_opens_in_explore(page, app_url, tmp_path, artifacts):
    data = save_model(tiny_model("vae", 1, seed=3), tmp_path / "mine.safetensors",
                      dataset={"name": "digits"}).read_bytes()
    upload_model(page, app_url, "mine.safetensors", data)
    expect(page.get_by_role("heading", name="mine (uploaded)")).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    page.screenshot(path=artifacts / "home-upload.png", full_page=True)
    page.get_by_role("button", name="Explore this model").last.click()
    page.locator(PICTURE).wait_for(timeout=PAGE_TIMEOUT_MS)
    expect(page.locator(ERRORS)).to_have_count(0)


def test_a_malicious_upload_is_refused_and_runs_nothing(page, app_url, tmp_path):
    ran = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(ran), "w"))

    upload_model(page, app_url, "innocent.safetensors", pickle.dumps(Payload()))
    expect(page.get_by_text("This file was not added")).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    expect(page.get_by_text("looks like a pickled")).to_be_visible()
    assert not ran.exists()
