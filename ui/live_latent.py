"""The live latent panel and traversal grid: Streamlit components that decode in the browser.

Each is given the URL of the model's browser decoder (``ui.decode_path``); a model the browser
cannot run is decoded on the server by the page instead.
"""

from __future__ import annotations

import hashlib
import json
import math

import torch

from gen_core.latent.operations import clamp_to_spec, traversal_values
from gen_core.models import GenerativeModel
from ui.in_page import in_page_component
from ui.latent_controls import SLIDER_STEP, category_labels, dimension_note, inactive_texts
from ui.render import LARGE_PX
from ui.state import View

TRAVERSAL_CELL_PX, TRAVERSAL_GAP_PX = 84, 2
_panel = in_page_component("latent_atlas_live_panel", "decoder_runtime.js", "latent_panel.js")
_traversal = in_page_component("latent_atlas_live_traversal", "decoder_runtime.js", "traversal.js")
_grid = in_page_component("latent_atlas_live_grid", "decoder_runtime.js", "latent_grid.js")


def _spec_json(model: GenerativeModel, kl: torch.Tensor | None) -> list[dict]:
    spec, labels = [], category_labels(model)
    for i, dim in enumerate(model.latent_spec):
        spec.append({"label": f"{dim.name}{dimension_note(model, kl, i)}", "kind": dim.kind,
                     "low": dim.low, "high": dim.high, "classes": list(labels.get(i, dim.classes))})
    return spec


def live_panel(stem: str, model: GenerativeModel, view: View, url: str, kl: torch.Tensor | None,
               active: list[int], inactive: list[int], caption: str) -> list[float] | None:
    """Draw the live panel; returns the latent ``[D]`` the user left it at, or ``None`` if unchanged.

    The value comes from the browser, so it is checked (length, finite) and clamped to the spec.
    """
    inactive_title, inactive_note = inactive_texts(model, len(inactive))
    data = {"model": stem, "identity": f"{stem}/{view.version}", "version": view.version,
            "decoder_url": url, "z": view.z, "spec": _spec_json(model, kl), "active": active,
            "inactive": inactive, "step": SLIDER_STEP, "image_shape": list(model.image_shape),
            "picture_px": LARGE_PX, "caption": caption,
            "inactive_title": inactive_title, "inactive_note": inactive_note}
    result = _panel(key=f"live_panel_{stem}", data=data, default={"z": None}, on_z_change=lambda: None)
    sent = result.z if isinstance(result.z, dict) else {}
    if sent.get("version") != view.version:
        return None
    z = latent_from_browser(model, sent.get("z"))
    return z.tolist() if z is not None else None


def latent_from_browser(model: GenerativeModel, values) -> torch.Tensor | None:
    """A latent ``[D]`` a page sent back, checked (a list of ``D`` finite numbers) and clamped to
    the spec; ``None`` when it is not one."""
    if not isinstance(values, list) or len(values) != model.latent_dim:
        return None
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
        return None
    return clamp_to_spec(torch.tensor(values, dtype=torch.float32), model.latent_spec)


def live_traversal(stem: str, model: GenerativeModel, view: View, url: str, dims: list[int],
                   steps: int, caption: str) -> None:
    """The traversal grid of ``dims`` around the panel's latent, following it live."""
    values = traversal_values(dims, model.latent_spec, steps)
    _, height, width = model.image_shape
    scale = max(1, round(TRAVERSAL_CELL_PX / max(height, width)))
    data = {"model": stem, "identity": f"{stem}/{view.version}/{dims}", "decoder_url": url,
            "z": view.z, "dims": dims, "values": values.tolist(), "image_shape": list(model.image_shape),
            "scale": scale, "gap": TRAVERSAL_GAP_PX, "caption": caption}
    _traversal(key=f"live_traversal_{stem}", data=data)



def live_grid(key: str, model: GenerativeModel, url: str, control: tuple[str, int, int, int],
              grids: dict[int, tuple[torch.Tensor, int]], target_px: int, caption: str) -> int:
    """Grids of latents decoded in the browser, one per value of a range control.

    ``control`` is ``(label, low, high, value)``; ``grids[v]`` is ``(latents [N, D], columns)``
    for each value ``v``. Returns the control's value (as the user left it, once released).
    """
    label, low, high, value = control
    _, height, width = model.image_shape
    payload = {str(v): {"latents": latents.tolist(), "columns": columns,
                        "scale": max(1, round(target_px / (columns * max(height, width))))}
               for v, (latents, columns) in grids.items()}
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
    data = {"identity": f"{url}/{digest}", "decoder_url": url, "image_shape": list(model.image_shape),
            "gap": TRAVERSAL_GAP_PX, "caption": caption, "grids": payload,
            "control": {"label": label, "min": low, "max": high, "value": value}}
    result = _grid(key=key, data=data, default={"value": None}, on_value_change=lambda: None)
    chosen = result.value
    return int(chosen) if isinstance(chosen, (int, float)) and low <= chosen <= high else value
