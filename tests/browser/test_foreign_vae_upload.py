"""A foreign VAE's two ONNX files chosen at once in the gallery's real uploader (Chromium)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_live import ERRORS, PAGE_TIMEOUT_MS
from tests.foreign_vae import decoder_bytes, encoder_bytes, tiny_vae

pytestmark = pytest.mark.browser


def test_a_decoder_and_its_encoder_chosen_together_become_one_vae(page, app_url):
    vae = tiny_vae(9)
    page.goto(app_url)
    page.get_by_text("Add your own model").click()
    page.locator('[data-testid="stMain"] [data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
        files=[{"name": "two.onnx", "mimeType": "application/octet-stream", "buffer": decoder_bytes(vae)},
               {"name": "two.encoder.onnx", "mimeType": "application/octet-stream",
                "buffer": encoder_bytes(vae)}])
    expect(page.get_by_role("heading", name="two (uploaded)")).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    expect(page.get_by_text("Encoder: two.encoder.onnx")).to_be_visible()
    expect(page.get_by_role("heading", name="two.encoder (uploaded)")).to_have_count(0)
    expect(page.locator(ERRORS).filter(has_text="two")).to_have_count(0)  # the folder's broken file has one
