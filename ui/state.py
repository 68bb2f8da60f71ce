"""What the user is looking at, kept in ``st.session_state`` and mirrored in the URL.

The state shared across pages is the list of active models and, per model, the Explore view (a
seed and a latent ``z``). A shared URL carries ``model=`` (checkpoint stems, comma-separated),
``seed=`` and ``z=`` (comma-separated floats); Interpolate adds ``seed2=`` (or ``images=``, its two
dataset images), the Latent Map ``model2=`` (its second, linked map), and Explore ``snap=`` (the
training snapshot shown, for a model whose file keeps a timeline). Opening a URL applies
it once; anything unknown, malformed or out of range is ignored or clamped, with a notice.
"""

from __future__ import annotations

import dataclasses
import math
import re

import streamlit as st
import torch

from gen_core.latent.operations import clamp_to_spec, seed_latent
from ui.catalog import UPLOADED_SUFFIX, default_model, file_stems, get_model, model_card, usable_stems
from ui.session_keys import ACTIVE_MODELS as _ACTIVE
from ui.session_keys import LINKED_IMAGES, LINKED_MODEL, LINKED_PICK, SECOND_SEED, timeline_snapshot
from ui.session_keys import URL_APPLIED as _APPLIED
from ui.session_keys import URL_NOTICES as _NOTICES
from ui.session_keys import VIEWS as _VIEWS

MAX_SEED = 2**31 - 1
LINK_KEYS = ("model", "model2", "seed", "seed2", "z", "images", "snap")  # what apply_params reads
LATENT_DECIMALS = 2  # slider resolution; a link carries exactly what the sliders show


def active_models() -> list[str]:
    """Stems of the chosen models that still load (the first one is 'the' model of a page)."""
    usable = usable_stems()
    chosen = [s for s in st.session_state.get(_ACTIVE, []) if s in usable]
    if chosen:
        return chosen
    first = default_model()
    return [first] if first else []


def set_active_models(stems: list[str]) -> None:
    st.session_state[_ACTIVE] = list(stems)


@dataclasses.dataclass(frozen=True)
class View:
    """What Explore shows of one model: the ``seed`` its controls hold, the latent ``z`` ``[D]``
    (as the controls round it), a ``version`` that changes whenever the view is replaced (new
    seed, link, reset), so widgets keyed by it start again from the new values, and its
    ``origin``, what it was started from in words ("seed 3", "your image"); moving a control only
    updates ``z``."""

    seed: int
    z: list[float]
    version: int
    origin: str

    @property
    def from_seed(self) -> bool:
        """Whether the view was started from its ``seed`` (not an image, the map, a link, ...)."""
        return self.origin == f"seed {self.seed}"

    @property
    def file_label(self) -> str:
        """``origin`` as a file name part: "seed 3" -> "seed-3"."""
        return re.sub(r"[^a-z0-9]+", "-", self.origin.lower()).strip("-")


def get_view(stem: str) -> View:
    """The Explore view of ``stem``; seed 0's latent at first."""
    views = st.session_state.setdefault(_VIEWS, {})
    if stem not in views:
        return set_view(stem, seed_latent(get_model(stem), 0).tolist(), 0)
    return views[stem]


def set_view(stem: str, z: list[float], seed: int | None = None, *, moved: bool = False,
             origin: str | None = None) -> View:
    """The one writer of ``stem``'s view; returns the new view. ``z`` is clamped into the latent
    spec and rounded as the sliders show it; ``seed`` stays when ``None``. A control that
    ``moved`` keeps the version and the origin; anything else (a seed, a link, a reset, an encoded
    image) replaces the view, and a new version restarts the widgets keyed by it. The new view's
    ``origin`` is the one given, else "seed N" for a given seed, else the old one."""
    views = st.session_state.setdefault(_VIEWS, {})
    old = views.get(stem)
    version = (old.version if moved else old.version + 1) if old is not None else 1
    new_seed = seed if seed is not None else (old.seed if old is not None else 0)
    if moved and old is not None:
        origin = old.origin
    elif origin is None:
        origin = old.origin if seed is None and old is not None else f"seed {new_seed}"
    clamped = clamp_to_spec(torch.tensor(z, dtype=torch.float32), get_model(stem).latent_spec)
    views[stem] = View(int(new_seed), [round(v, LATENT_DECIMALS) for v in clamped.tolist()], version, origin)
    return views[stem]


def seed_view(stem: str, seed: int) -> View:
    """Replace ``stem``'s view by the prior latent that ``seed`` draws."""
    return set_view(stem, seed_latent(get_model(stem), seed).tolist(), seed)


def write_url(**params: str | int | list | None) -> None:
    """Merge ``params`` into the URL's query (lists joined by commas; ``None`` removes a key).
    Keys this call does not name stay, so one page's parameters (a presenter flag, a direction)
    survive another part of the app writing its own."""
    current = st.query_params.to_dict()
    merged = dict(current)
    for key, value in params.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, (list, tuple)):
            merged[key] = ",".join(_fmt(x) for x in value)
        else:
            merged[key] = _fmt(value)
    if merged != current:
        st.query_params.from_dict(merged)


def _fmt(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def apply_url_once(page: str) -> list[str]:
    """Apply the link this tab was opened with, or the bookmark ``apply_url_next_run`` asked for;
    return the notices for ``page``.

    Every later run carries the URL too, but as the browser showed it when it asked for the run:
    a click sent before the browser took the app's last ``write_url`` carries the query from
    before it, and applying that would undo the view the click's run had just set."""
    if _APPLIED not in st.session_state:
        params = st.query_params.to_dict()
        st.session_state[_NOTICES] = (page, apply_params(params) if params else [])
        st.session_state[_APPLIED] = True
    notice_page, notices = st.session_state.get(_NOTICES, ("", []))
    return notices if notice_page == page else []


def apply_url_next_run() -> None:
    """Have the next run apply its URL as a link opened (a bookmark the presenter steps to)."""
    st.session_state.pop(_APPLIED, None)


def apply_params(params: dict[str, str]) -> list[str]:
    """Validate ``model``/``model2``/``seed``/``z`` and store what is valid; returns notices for the rest."""
    notices: list[str] = []
    stems = _parse_models(params.get("model"), notices)
    if stems:
        set_active_models(stems)
    linked = _parse_models(params.get("model2"), notices)[:1]
    if linked:
        st.session_state[LINKED_MODEL] = linked[0]
        st.session_state.pop(LINKED_PICK, None)  # the picker starts again from the link's model
    seed_b = parse_seed(params.get("seed2"), notices)
    if seed_b is not None:
        st.session_state[SECOND_SEED] = seed_b
    images = parse_image_pair(params.get("images"), notices)
    if images is not None:
        st.session_state[LINKED_IMAGES] = images
    target = active_models()
    if target and "snap" in params:
        snapshot = parse_snapshot(params["snap"], target[0], notices)
        if snapshot is not None:
            st.session_state[timeline_snapshot(target[0])] = snapshot
    if not target or ("seed" not in params and "z" not in params):
        return notices
    stem = target[0]
    seed = parse_seed(params.get("seed"), notices)
    z = seed_latent(get_model(stem), seed).tolist() if seed is not None else get_view(stem).z
    linked = parse_latent(params["z"], stem, notices) if "z" in params else None
    # Every link this app writes carries z; the view is "seed N" only while z is still that seed's.
    origin = "a shared link" if linked is not None and not _same_latent(linked, z) else None
    set_view(stem, linked or z, seed, origin=origin)
    return notices


def _same_latent(a: list[float], b: list[float]) -> bool:
    """Whether ``a`` and ``b`` are one latent as the controls (and so a link) round it."""
    tolerance = 10 ** -(LATENT_DECIMALS + 1)
    return all(abs(x - round(y, LATENT_DECIMALS)) < tolerance for x, y in zip(a, b, strict=True))


def _parse_models(raw: str | None, notices: list[str]) -> list[str]:
    if raw is None:
        return []
    linkable = file_stems()
    names = [n.strip() for n in raw.split(",") if n.strip()]
    uploaded = [n for n in names if n.endswith(UPLOADED_SUFFIX)]
    if uploaded:
        notices.append(f"The link names the uploaded model {', '.join(map(repr, uploaded))}: a link "
                       "cannot open an upload (it lives in one browser tab only), so upload the file "
                       "again on the gallery.")
    unknown = [n for n in names if n not in linkable and n not in uploaded]
    if unknown:
        notices.append(f"Unknown or unusable model {', '.join(map(repr, unknown))} in the link was "
                       f"ignored; available: {', '.join(linkable) or 'none'}.")
    return [n for n in names if n in linkable]


def parse_seed(raw: str | None, notices: list[str]) -> int | None:
    """A seed in ``[0, MAX_SEED]`` from URL text, or ``None`` with a notice."""
    if raw is None:
        return None
    try:
        seed = int(raw)
    except ValueError:
        notices.append(f"Seed {raw!r} in the link is not a whole number and was ignored.")
        return None
    if not 0 <= seed <= MAX_SEED:
        notices.append(f"Seed {seed} in the link is outside 0…{MAX_SEED} and was ignored.")
        return None
    return seed


def parse_image_pair(raw: str | None, notices: list[str]) -> tuple[int, int] | None:
    """Two dataset image numbers ``a,b`` from URL text, or ``None`` with a notice. Whether the
    model has that many images is for the page to check: the link may name any model."""
    if raw is None:
        return None
    parts = raw.split(",", 2)
    if len(parts) != 2 or not all(part.isascii() and part.isdigit() and len(part) <= 9 for part in parts):
        notices.append("The link's images are not two dataset image numbers (like 3,17) and were ignored.")
        return None
    return int(parts[0]), int(parts[1])


def parse_snapshot(raw: str, stem: str, notices: list[str]) -> int | None:
    """The index of one of ``stem``'s training snapshots from URL text, or ``None`` with a notice."""
    count = len(model_card(stem).timeline)
    if count < 2:
        notices.append(f"{stem} keeps no training timeline, so the link's snapshot was ignored.")
        return None
    try:
        index = int(raw)
    except ValueError:
        notices.append(f"Snapshot {raw!r} in the link is not a whole number and was ignored.")
        return None
    if not 0 <= index < count:
        notices.append(f"Snapshot {index} in the link is outside 0…{count - 1} and was ignored.")
        return None
    return index


def parse_latent(raw: str, stem: str, notices: list[str]) -> list[float] | None:
    """Comma-separated floats for ``stem``'s latent, clamped into its ranges; ``None`` if unusable."""
    spec = get_model(stem).latent_spec
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError:
        notices.append("The latent values (z) in the link are not numbers and were ignored.")
        return None
    if len(values) != len(spec) or not all(math.isfinite(v) for v in values):
        notices.append(f"The link's z has {len(values)} values (or non-finite ones); {stem} needs "
                       f"{len(spec)} finite values, so it was ignored.")
        return None
    clamped = clamp_to_spec(torch.tensor(values), spec).tolist()
    if any(abs(a - b) > 1e-6 for a, b in zip(values, clamped, strict=True)):
        notices.append("Some latent values in the link were outside their range and were clamped.")
    return clamped
