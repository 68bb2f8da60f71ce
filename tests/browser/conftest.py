"""A live ``streamlit run app.py`` on a free localhost port, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from bench.browser import launch_chromium, streamlit_server
from tests.app_support import ROOT, write_model_dir
from ui.catalog import CHECKPOINTS_ENV

ARTIFACTS = ROOT / "test-artifacts" / "browser"
UI_SPEED_SMOKE_TEST = "tests/browser/test_ui_speed_smoke.py::test_the_smoke_run_measures_every_figure"
UI_SPEED_SMOKE_TIMEOUT_S = 540
UI_SPEED_SMOKE = pytest.StashKey[tuple[subprocess.Popen, tempfile.TemporaryDirectory]]()


def pytest_collection_finish(session):
    """Start ``bench.ui_speed --smoke`` as soon as its test is collected. The run is a subprocess
    that mostly waits on its own server and browser (about a minute), so it runs beside the tests
    before its own, which collects its result (``ui_speed_smoke``)."""
    if not session.config.option.collectonly and any(item.nodeid == UI_SPEED_SMOKE_TEST
                                                     for item in session.items):
        start_ui_speed_smoke(session.config)


def start_ui_speed_smoke(config) -> None:
    """Spawn the smoke run, its JSON and error output in a folder of its own, kept in the stash."""
    folder = tempfile.TemporaryDirectory(prefix="ui-speed-smoke-")
    with open(Path(folder.name) / "stderr.txt", "w") as errors:
        run = subprocess.Popen([sys.executable, "-m", "bench.ui_speed", "--smoke", "--json",
                                str(Path(folder.name) / "ui_speed.json")],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors)
    config.stash[UI_SPEED_SMOKE] = run, folder


def pytest_sessionfinish(session):
    """The smoke run is stopped if its test did not wait for it (a failure stopped the session)."""
    run, folder = session.config.stash.get(UI_SPEED_SMOKE, (None, None))
    if run is not None:
        run.kill()
        run.wait()
        folder.cleanup()


@pytest.fixture
def ui_speed_smoke(request) -> Path:
    """The JSON file of the smoke run started at collection (or now, if the test was not known
    by its usual id then), once the run has ended well."""
    if UI_SPEED_SMOKE not in request.config.stash:
        start_ui_speed_smoke(request.config)
    run, folder = request.config.stash[UI_SPEED_SMOKE]
    run.wait(timeout=UI_SPEED_SMOKE_TIMEOUT_S)
    assert run.returncode == 0, (Path(folder.name) / "stderr.txt").read_text()[-3000:]
    return Path(folder.name) / "ui_speed.json"


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
