"""The walkable Latent Map: a canvas of every mapped point where the picture under the pointer is
decoded in the browser, on a point and between points (``ui/components/map_walk.js``)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch

from gen_core.files.atomic import write_atomically
from gen_core.maps.projection import PLACEMENT_NEIGHBOURS
from gen_core.models import GenerativeModel
from ui.in_page import in_page_component
from ui.live_latent import latent_from_browser
from ui.render import MEDIUM_PX

# Plotly's default colours, so the walkable and the selectable map colour classes alike.
COLOURS = ("#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3", "#FF6692", "#B6E880",
           "#FF97FF", "#FECB52")
MAP_WIDTH_PX, MAP_HEIGHT_PX = 540, 480
STATIC_SPRITES = Path(__file__).resolve().parents[1] / "static" / "sprites"
SPRITE_URL_PREFIX = "app/static/sprites/"  # relative, like the decoders', for a proxy's base path
LATENT_DECIMALS = 4  # what the page needs of each latent: a quarter of the bytes of full floats
_walk = in_page_component("latent_atlas_map_walk", "decoder_runtime.js", "map_walk.js")


def sprite_url(images: torch.Tensor) -> str | None:
    """Where the browser fetches ``images`` ``[N, C, H, W]`` (in [0, 1]) as one uint8 block, the
    Embedding Projector's "sprite": written once by content into ``static/sprites/`` and cached by
    the browser, so hovering a point shows its original without a round trip. ``None`` when the
    file cannot be written (the walk then shows decodings only)."""
    pixels = (images.clamp(0, 1) * 255).round().to(torch.uint8).numpy().tobytes()
    target = STATIC_SPRITES / f"{hashlib.sha256(pixels).hexdigest()[:16]}.bin"
    if not target.is_file():
        try:
            write_atomically(target, pixels)
        except OSError:
            return None
    return SPRITE_URL_PREFIX + target.name


def walk_map(key: str, model: GenerativeModel, url: str, coords: np.ndarray, labels: np.ndarray,
             latents: torch.Tensor, class_names: tuple[str, ...], point_text: str,
             images: torch.Tensor | None = None) -> torch.Tensor | None:
    """Draw the walkable map of ``coords`` ``[N, 2]`` with ``labels`` ``[N]`` and ``latents``
    ``[N, D]`` (and the points' ``images`` ``[N, C, H, W]``, shown on hover, when they have them);
    returns the latent ``[D]`` of the place last clicked, or ``None``.

    The latent comes from the browser, so it is checked (length, finite) and clamped to the spec.
    """
    rounded = np.round(latents.numpy().astype(np.float64), LATENT_DECIMALS)
    identity = hashlib.sha256(np.ascontiguousarray(coords).tobytes() + rounded.tobytes()).hexdigest()[:16]
    data = {"identity": f"{url}/{identity}", "decoder_url": url, "image_shape": list(model.image_shape),
            "coords": np.round(coords, 5).ravel().tolist(), "labels": labels.astype(int).tolist(),
            "latents": rounded.ravel().tolist(), "class_names": list(class_names), "colours": list(COLOURS),
            "k": PLACEMENT_NEIGHBOURS, "width": MAP_WIDTH_PX, "height": MAP_HEIGHT_PX,
            "picture_px": MEDIUM_PX, "point_text": point_text,
            "sprite_url": sprite_url(images) if images is not None else None,
            "between_text": f"the inverse-distance mean of the {PLACEMENT_NEIGHBOURS} nearest latents",
            "hint": "Move the pointer over the map: the picture shows what the model decodes there. "
                    "Scroll to zoom, drag to pan, click to pin a place."}
    result = _walk(key=key, data=data, default={"picked": None}, on_picked_change=lambda: None)
    picked = result.picked if isinstance(result.picked, dict) else {}
    if picked.get("identity") != data["identity"]:
        return None
    return latent_from_browser(model, picked.get("z"))
