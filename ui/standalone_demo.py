"""One self-contained HTML file that demos a model with no server: take the demo with you.

The file holds the page's decoder runtime (``ui/components/decoder_runtime.js``), the decoder the
app's page runs for the model (``ui.decode_path.page_decoder``: the compact ``.bin`` of
``gen_core.media.browser_decoder`` or the ``.onnx`` graph of ``gen_core.media.onnx_decoder``,
base64), for an ``.onnx`` the vendored ONNX Runtime Web itself (``static/ort/``: its module and its
WebAssembly, base64), the latent spec, saved views and a small map, and the demo's own script
(``ui/components/standalone_demo.js``). Opened from disk in any browser, with no network, its
sliders, traversal, interpolation, saved views and map stay live, decoding in the page with the
engine, and at the speed, of the app's Live mode.

Its size is about 4/3 of the decoder's (base64) plus the map, and for an ``.onnx`` about 20 MB more
for ONNX Runtime (``embedded_size``); ``bench.standalone`` states it for every shipped model.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import json
from pathlib import Path

import numpy as np

from gen_core.models import LatentDim

COMPONENTS = Path(__file__).with_name("components")
ONNX_RUNTIME = Path(__file__).resolve().parents[1] / "static" / "ort"
ONNX_RUNTIME_MODULE, ONNX_RUNTIME_WASM = "ort.wasm.bundle.min.mjs", "ort-wasm-simd-threaded.wasm"
DECODER_SUFFIXES = (".bin", ".onnx")
MAX_MAP_POINTS = 400
STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; }
.row { display: flex; gap: 24px; align-items: flex-start; flex-wrap: wrap; }
.controls { display: grid; gap: 6px; max-height: 420px; overflow-y: auto; min-width: 260px; }
.controls label { display: flex; justify-content: space-between; gap: 8px; font-size: 13px; }
canvas { image-rendering: pixelated; border: 1px solid #ddd; }
.strip { display: flex; gap: 4px; flex-wrap: wrap; margin-top: 8px; }
.block { margin-top: 16px; }
.views button { margin: 2px; }
.note { color: #666; font-size: 13px; }
"""


@dataclasses.dataclass(frozen=True)
class DemoMap:
    """Map points: ``coords`` ``[N, 2]``, ``labels`` ``[N]``, ``latents`` ``[N, D]``, and names."""

    title: str
    coords: np.ndarray
    labels: np.ndarray
    latents: np.ndarray
    class_names: tuple[str, ...]

    def to_json(self) -> dict:
        """At most ``MAX_MAP_POINTS`` points, chosen evenly, as JSON lists."""
        keep = np.linspace(0, len(self.coords) - 1, min(len(self.coords), MAX_MAP_POINTS)).astype(int)
        names = self.class_names or ("sampled latents",)
        labels = np.where(self.labels[keep] >= 0, self.labels[keep], 0)
        return {"title": self.title, "x": np.round(self.coords[keep, 0], 3).tolist(),
                "y": np.round(self.coords[keep, 1], 3).tolist(), "label": labels.astype(int).tolist(),
                "latents": np.round(self.latents[keep], 4).tolist(), "class_names": list(names)}


def standalone_html(title: str, decoder: bytes, latent_spec: list[LatentDim], image_shape: tuple[int, ...],
                    views: list[tuple[str, list[float]]], demo_map: DemoMap | None = None,
                    decoder_suffix: str = ".bin") -> str:
    """The demo page for a ``decoder`` and its ``decoder_suffix`` as ``ui.decode_path.page_decoder``
    gives them (``.bin`` compact, ``.onnx`` with ONNX Runtime Web embedded), its latent spec and
    picture shape ``[C, H, W]``, the saved ``views`` (name, latent ``[D]``, the first one opened)
    and an optional map."""
    if not views:
        raise ValueError("a demo needs at least one view")
    if decoder_suffix not in DECODER_SUFFIXES:
        raise ValueError(f"no engine runs a {decoder_suffix!r} decoder; expected one of {DECODER_SUFFIXES}")
    data = {"title": title, "subtitle": "Decoded in this page; no server, no network.",
            "decoder": base64.b64encode(decoder).decode("ascii"), "decoder_suffix": decoder_suffix,
            "onnx_runtime": _onnx_runtime() if decoder_suffix == ".onnx" else None,
            "latent_spec": [d.to_json() for d in latent_spec], "image_shape": list(image_shape),
            "views": [{"name": name, "z": [float(v) for v in z]} for name, z in views],
            "map": demo_map.to_json() if demo_map is not None else None}
    scripts = [(COMPONENTS / name).read_text(encoding="utf-8")
               for name in ("decoder_runtime.js", "standalone_demo.js")]
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)} · Latent Atlas</title><style>{STYLE}</style></head>\n"
            f"<body><div id=\"demo\"></div>\n"
            f"<script type=\"application/json\" id=\"demo-data\">{_script_safe(json.dumps(data))}</script>\n"
            + "".join(f"<script>{script}</script>\n" for script in scripts)
            + "</body></html>\n")


def embedded_size(decoder_bytes: int, decoder_suffix: str) -> int:
    """About how many bytes a decoder of ``decoder_bytes`` and its engine take in the file: nearly
    all of it, as the map and the scripts add a few hundred kB at most."""
    return _base64_size(decoder_bytes) + (onnx_runtime_size() if decoder_suffix == ".onnx" else 0)


def onnx_runtime_size() -> int:
    """Bytes ONNX Runtime Web takes in a file: its module as text, its WebAssembly in base64."""
    return ((ONNX_RUNTIME / ONNX_RUNTIME_MODULE).stat().st_size
            + _base64_size((ONNX_RUNTIME / ONNX_RUNTIME_WASM).stat().st_size))


def _base64_size(n: int) -> int:
    return 4 * ((n + 2) // 3)


def _onnx_runtime() -> dict[str, str]:
    """ONNX Runtime Web for the page: its module's text and its WebAssembly, base64."""
    wasm = (ONNX_RUNTIME / ONNX_RUNTIME_WASM).read_bytes()
    return {"module": (ONNX_RUNTIME / ONNX_RUNTIME_MODULE).read_text(encoding="utf-8"),
            "wasm": base64.b64encode(wasm).decode("ascii")}


def _script_safe(text: str) -> str:
    """JSON that cannot end its ``<script>`` element: ``<``, ``>`` and ``&`` as JSON escapes."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
