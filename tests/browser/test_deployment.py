"""The running server's public surface: static files by exact name only, no folder listed, no
source file served."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from tests.app_support import ROOT

pytestmark = pytest.mark.browser


def status_and_body(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, b""


@pytest.mark.parametrize("folder", ["app/static/", "app/static/decoders/", "app/static/decoders",
                                    "app/static/decoders/uploads/", "app/static/sprites/"])
def test_no_static_folder_is_listed(app_url, folder):
    assert status_and_body(f"{app_url}/{folder}")[0] == 404


def test_a_static_file_is_served_by_its_exact_name_and_no_source_file_is(app_url, tmp_path):
    served = ROOT / "static" / "decoders" / "test-deployment-probe.bin"
    served.parent.mkdir(parents=True, exist_ok=True)
    served.write_bytes(b"probe")
    try:
        assert status_and_body(f"{app_url}/app/static/decoders/{served.name}") == (200, b"probe")
    finally:
        served.unlink()
    for path in ("app/static/%2e%2e/app.py", "app/static/..%2Fapp.py", "app/static/decoders/..%2F..%2Fapp.py",
                 "app/static/../app.py"):
        assert b"import streamlit" not in status_and_body(f"{app_url}/{path}")[1], path  # app.py's source
