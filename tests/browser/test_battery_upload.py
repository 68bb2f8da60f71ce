"""Every battery decoder (public code's generators, torch's exporter) chosen at once in the
gallery's real uploader (Chromium): each becomes a model with its card and live preview."""

from __future__ import annotations

import pytest
import torch
from playwright.sync_api import expect

from bench.onnx_battery import BATTERY, export_bytes, randomized
from tests.browser.test_live import ERRORS

pytestmark = pytest.mark.browser
UPLOAD_TIMEOUT_MS = 120_000  # thirty decoders checked and previewed in one rerun
BATTERY_NAMES = list(BATTERY)


def battery_files() -> list[dict]:
    torch.manual_seed(1)
    files = []
    for name, (body, latent) in BATTERY.items():
        data = export_bytes(randomized(body), (torch.randn(2, *latent),), ["z"])
        files.append({"name": f"{name}.onnx", "mimeType": "application/octet-stream", "buffer": data})
    return files


def test_every_battery_decoder_uploaded_at_once_becomes_a_model(page, app_url, artifacts):
    files = battery_files()
    page.goto(app_url)
    page.get_by_text("Add your own model").click()
    page.locator('[data-testid="stMain"] [data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
        files=files)
    added = page.locator('[data-testid="stAlertContentSuccess"]').filter(has_text="Added")
    expect(added).to_have_count(len(files), timeout=UPLOAD_TIMEOUT_MS)
    for file in files:
        name = file["name"].removesuffix(".onnx")
        expect(page.get_by_role("heading", name=f"{name} (uploaded)")).to_be_visible()
        expect(page.locator(ERRORS).filter(has_text=name)).to_have_count(0)
    page.get_by_role("heading", name=f"{BATTERY_NAMES[-1]} (uploaded)").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "battery-upload.png")
