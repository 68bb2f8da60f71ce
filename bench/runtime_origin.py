"""A loopback web server for pages that run the browser decoder runtime outside the app.

It serves a blank page at ``/``, ``static/`` at ``/app/static/`` as the app serves it, and decoder
files handed to it by ``offered``. Chromium downloads them as it downloads the app's: a decoder
sent through Playwright instead (as an argument or a routed response) crosses the DevTools pipe
base64-encoded, about 10 s for a 26 MB decoder here against 0.25 s over a socket.
"""

from __future__ import annotations

import contextlib
import itertools
import mimetypes
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ui.decode_path import ROOT, STATIC_URL_PREFIX

STATIC = ROOT / "static"
BLANK_PAGE = b"<!doctype html><title>decoder runtime</title>"
STATIC_PREFIX = "/" + STATIC_URL_PREFIX  # where the app serves static/
DECODER_PREFIX = "/decoders/"


class RuntimeOrigin(ThreadingHTTPServer):
    """The server; ``url`` is its origin, with a trailing slash."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server_port}/"
        self.decoders: dict[str, bytes] = {}
        self._names = itertools.count()

    @contextlib.contextmanager
    def offered(self, data: bytes, suffix: str) -> Iterator[str]:
        """The URL that serves ``data`` (a decoder file, ``suffix`` ``.bin`` or ``.onnx``) until exit."""
        name = f"{next(self._names)}{suffix}"
        self.decoders[name] = data
        try:
            yield f"{self.url}{DECODER_PREFIX.lstrip('/')}{name}"
        finally:
            del self.decoders[name]


class _Handler(BaseHTTPRequestHandler):
    server: RuntimeOrigin

    def do_GET(self) -> None:
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        if path.startswith(DECODER_PREFIX):
            body = self.server.decoders.get(path.removeprefix(DECODER_PREFIX))
            self._answer(body, "application/octet-stream")
        elif path.startswith(STATIC_PREFIX):
            file = STATIC / path.removeprefix(STATIC_PREFIX)
            inside = file.is_file() and STATIC in file.resolve().parents
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            self._answer(file.read_bytes() if inside else None, kind)
        else:
            self._answer(BLANK_PAGE, "text/html")

    def _answer(self, body: bytes | None, kind: str) -> None:
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the callers check what the page received, not a log."""


_lock = threading.Lock()
_origin: RuntimeOrigin | None = None


def runtime_origin() -> RuntimeOrigin:
    """The process's one server, started on first use and serving until the process ends."""
    global _origin
    with _lock:
        if _origin is None:
            _origin = RuntimeOrigin()
            threading.Thread(target=_origin.serve_forever, name="runtime-origin", daemon=True).start()
        return _origin
