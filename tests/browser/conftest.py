"""A live ``streamlit run app.py`` on a free localhost port, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from bench.browser import launch_chromium, streamlit_server
from tests import background_runs
from tests.app_support import ROOT, write_model_dir
from ui.catalog import CHECKPOINTS_ENV

ARTIFACTS = ROOT / "test-artifacts" / "browser"
UI_SPEED_SMOKE_TIMEOUT_S = 540


@pytest.fixture
def ui_speed_smoke(request) -> Path:
    """The JSON file of the UI benchmark's smoke run (``tests.background_runs``)."""
    return background_runs.output(request.config, background_runs.UI_SPEED_SMOKE,
                                  UI_SPEED_SMOKE_TIMEOUT_S) / "ui_speed.json"


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """Base URL of the app serving a folder of tiny models (and one corrupt file)."""
    models = write_model_dir(tmp_path_factory.mktemp("browser-checkpoints"))
    env = {**os.environ, CHECKPOINTS_ENV: str(models), "PYTHONPATH": str(ROOT)}
    with (open(tmp_path_factory.mktemp("logs") / "streamlit.log", "w") as log,
          streamlit_server(ROOT, env, log) as server):
        yield server.url


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        try:
            chromium = launch_chromium(playwright)
        except FileNotFoundError as missing:
            pytest.fail(str(missing))
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
