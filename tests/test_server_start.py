"""Server start-up: ``streamlit run app.py`` serves the st.App with the warm-up hook, which imports
what the pages import and fills the catalog before the server answers."""

from __future__ import annotations

import asyncio
import functools
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from streamlit.web.server.app_discovery import discover_asgi_app

from tests.app_support import ROOT
from ui import server_start, upload_space


def test_streamlit_run_app_py_serves_the_app_with_the_warm_up_hook():
    found = discover_asgi_app(ROOT / "app.py")
    assert found.is_asgi_app and found.import_string == "app:app"
    # What the server imports at start: the app and its hook, not the gallery, torch or gen_core.
    probe = ("import sys, app, ui.server_start as s; print(app.app._user_lifespan is s.lifespan, "
             "*(m in sys.modules for m in ('ui.gallery', 'torch', 'gen_core')))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False", "False", "False"]


def test_imported_modules_lists_absolute_imports_in_order_without_importing(tmp_path):
    script = tmp_path / "page.py"
    script.write_text(textwrap.dedent("""
        from __future__ import annotations
        import json, not_a_real_module_xyz
        from os import path
        from . import sibling
        if True:
            from collections import abc
        import json
    """))
    assert server_start.imported_modules(script) == ["json", "not_a_real_module_xyz", "os", "collections"]
    assert "not_a_real_module_xyz" not in sys.modules


def test_every_page_script_is_warmed_up():
    names = {p.relative_to(ROOT).as_posix() for p in server_start.page_scripts()}
    assert names == {"app.py"} | {p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py")}
    modules = {m for p in server_start.page_scripts() for m in server_start.imported_modules(p)}
    assert {"torch", "ui.gallery", "ui.page"} <= modules


def test_a_module_that_fails_to_import_is_reported_not_raised(tmp_path, caplog):
    script = tmp_path / "page.py"
    script.write_text("import json\nimport not_a_real_module_xyz\n")
    assert server_start.import_page_modules([script]) == ["not_a_real_module_xyz"]
    assert "not_a_real_module_xyz" in caplog.text


def test_the_server_answers_only_after_the_warm_up(monkeypatch):
    events = []
    monkeypatch.setattr(server_start, "warm_up", lambda: (time.sleep(0.05), events.append("warmed")))

    async def serve():
        async with server_start.lifespan(None):
            events.append("serving")

    # In a thread of its own: browser tests may have left an event loop running in this one.
    runner = threading.Thread(target=asyncio.run, args=(serve(),))
    runner.start()
    runner.join()
    assert events == ["warmed", "serving"]


def test_a_failing_warm_up_is_logged_and_the_server_still_answers(monkeypatch, caplog):
    def broken():
        raise NameError("a half-edited module")

    monkeypatch.setattr(server_start, "warm_up", broken)
    served = []

    async def serve():
        async with server_start.lifespan(None):
            served.append(True)

    runner = threading.Thread(target=asyncio.run, args=(serve(),))
    runner.start()
    runner.join()
    assert served == [True] and "a half-edited module" in caplog.text


def test_the_warm_up_fills_the_catalog_of_the_checkpoint_folder(monkeypatch, tmp_path, tiny_vae):
    from gen_core.files.checkpoint import save_model
    from ui.catalog import CHECKPOINTS_ENV, _scan, catalog

    save_model(tiny_vae, tmp_path / "tiny.safetensors")
    monkeypatch.setenv(CHECKPOINTS_ENV, str(tmp_path))
    monkeypatch.setattr(server_start, "import_page_modules", lambda scripts: [])
    _scan.clear()
    server_start.warm_up()
    # The page's own call is answered from the cache the warm-up filled: no header is read again.
    monkeypatch.setattr("ui.catalog.inspect_checkpoint", lambda path: pytest.fail("read again"))
    assert list(catalog()) == ["tiny"] and catalog()["tiny"].ok



@pytest.fixture(autouse=True)
def upload_space_here(monkeypatch, tmp_path) -> tuple[Path, Path]:
    """The upload folders in ``tmp_path``: every lifespan here ends by emptying them."""
    artifacts, decoders = tmp_path / "artifacts", tmp_path / "decoders"
    decoders.mkdir()
    monkeypatch.setattr(upload_space, "UPLOADED_DECODERS", decoders)
    monkeypatch.setattr(upload_space, "artifact_folder",
                        functools.cache(lambda: artifacts.mkdir() or artifacts))
    return artifacts, decoders


def test_what_uploads_left_is_removed_when_the_server_stops(monkeypatch, upload_space_here):
    # uvicorn re-raises the stopping signal after the lifespan's exit, so atexit never runs there.
    artifacts, decoders = upload_space_here
    monkeypatch.setattr(server_start, "warm_up", lambda: None)
    left = []

    async def serve():
        async with server_start.lifespan(None):
            (upload_space.artifact_folder() / "preview.png").write_bytes(b"png")
            (decoders / "upload.onnx").write_bytes(b"onnx")
            left.extend(p.name for p in (*artifacts.iterdir(), *decoders.iterdir()))

    runner = threading.Thread(target=asyncio.run, args=(serve(),))
    runner.start()
    runner.join()
    assert left == ["preview.png", "upload.onnx"]
    assert not artifacts.exists() and not list(decoders.iterdir())
