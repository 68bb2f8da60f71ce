"""The app's in-page components (``st.components.v2``), built from the files in ``ui/components/``.

Every component shares one stylesheet; its scripts are concatenated in order, so a component can
build on ``decoder_runtime.js``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

COMPONENTS = Path(__file__).parent / "components"


def _source(*names: str) -> str:
    return "\n".join((COMPONENTS / name).read_text(encoding="utf-8") for name in names)


_CSS = _source("latent_panel.css")


def in_page_component(name: str, *scripts: str):
    """The mount function of component ``name`` running ``scripts`` (files in ``ui/components/``)."""
    return st.components.v2.component(name, css=_CSS, js=_source(*scripts))
