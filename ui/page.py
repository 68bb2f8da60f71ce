"""Page scaffolding: config, the shared sidebar, URL notices, and no raw exception ever shown."""

from __future__ import annotations

import functools
import gc
import logging
from collections.abc import Callable

import streamlit as st

from ui.catalog import checkpoint_dir, usable_stems
from ui.page_table import PAGE_TABLE
from ui.presenter import bookmark_sidebar, presenter_bar, presenting
from ui.state import active_models, apply_url_once, set_active_models
from ui.text import plain

log = logging.getLogger("latent_atlas")
MAX_COMPARED = 4
_FROZEN_PAGES: set[str] = set()


def freeze_import_heap(page: str) -> None:
    """Move what a page's imports allocated out of the garbage collector's sight, once per page.

    Streamlit collects garbage after every script run (``runner.postScriptGC``), holding the GIL
    while the picture's message and image wait to be sent. Over torch's and plotly's import-time
    objects (about 240,000) a full collection took 160 ms; over what a rerun allocates, well under
    1 ms. Module objects live as long as the process, so freezing them loses nothing.
    """
    if page not in _FROZEN_PAGES:
        _FROZEN_PAGES.add(page)
        gc.freeze()


def guarded(body: Callable) -> Callable:
    """Run ``body`` so that any error becomes a readable message instead of a traceback.

    Streamlit's own control flow (rerun, stop) derives from ``BaseException`` and passes through.
    """

    @functools.wraps(body)
    def run(*args, **kwargs):
        try:
            return body(*args, **kwargs)
        except Exception as err:
            log.exception("page failed")
            st.error(f"Something went wrong here: {type(err).__name__}: {plain(err)}")
            return None

    return run


def start_page(name: str, title: str, *, multi: bool = False) -> list[str] | None:
    """Set up a page; returns the active model stems, or ``None`` when no model can be shown."""
    freeze_import_heap(name)
    st.set_page_config(page_title=f"{title} · Latent Atlas", layout="wide")
    with st.sidebar:
        for page in PAGE_TABLE:
            st.page_link(page.script, label=page.label, icon=page.icon)
        st.divider()
    for notice in apply_url_once(name):
        st.warning(plain(notice), icon=":material/warning:")
    st.title(title)
    presenter_bar()
    if not presenting():
        bookmark_sidebar(name)
    if not usable_stems():
        st.info(f"No usable models in `{checkpoint_dir()}`. Train one with "
                "`python -m gen_core.train --model vae-mlp --out checkpoints/NAME.safetensors`.")
        return None
    return model_picker(multi)


def model_picker(multi: bool) -> list[str]:
    """The sidebar's model choice; it is the session's active model list, shared by all pages."""
    usable = usable_stems()
    active = active_models()
    with st.sidebar:
        if multi:
            # Side by side needs two: top up a single choice with the next listed model.
            default = (active + [s for s in usable if s not in active])[:max(2, len(active))]
            chosen = st.multiselect("Active models", usable, default=default[:MAX_COMPARED],
                                    max_selections=MAX_COMPARED, key=f"picker_multi_{'_'.join(active)}")
        else:
            index = usable.index(active[0])
            chosen = [st.selectbox("Model", usable, index=index, key=f"picker_{active[0]}")]
            chosen += [s for s in active if s != chosen[0]]
    if chosen and chosen != active:
        set_active_models(chosen)
    return chosen
