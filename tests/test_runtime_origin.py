"""The loopback server that hands decoders to pages running the decoder runtime outside the app."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from bench.runtime_origin import STATIC, runtime_origin


def fetch(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read(), answer.headers["Content-Type"]
    except urllib.error.HTTPError as refused:
        return refused.code, b"", ""


def test_an_offered_decoder_is_served_until_it_is_withdrawn():
    origin = runtime_origin()
    with origin.offered(b"\x00decoder bytes\xff", ".onnx") as url:
        assert url.startswith(origin.url) and url.endswith(".onnx")
        assert fetch(url) == (200, b"\x00decoder bytes\xff", "application/octet-stream")
    assert fetch(url)[0] == 404
    assert runtime_origin() is origin  # one server per process


def test_static_files_are_served_and_nothing_outside_static():
    origin = runtime_origin()
    script = min(path for path in (STATIC / "ort").iterdir() if path.suffix == ".mjs")
    status, body, _ = fetch(f"{origin.url}app/static/{script.relative_to(STATIC).as_posix()}")
    assert (status, body) == (200, script.read_bytes())
    for outside in ("app/static/../pyproject.toml", "app/static/%2e%2e/pyproject.toml",
                    "app/static/../../../etc/passwd", "app/static/"):
        assert fetch(origin.url + outside)[0] == 404, outside


@pytest.mark.parametrize("path", ["", "anything/else"])
def test_every_other_path_is_the_blank_page(path):
    status, body, kind = fetch(runtime_origin().url + path)
    assert status == 200 and kind == "text/html" and b"<title>decoder runtime</title>" in body
