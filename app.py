"""Latent Atlas: ``streamlit run app.py`` starts the server here.

This file is both the server's entry point and the home page's script. Imported by the server,
it defines ``app``, which ``streamlit run`` finds and serves: ``ui.server_start.lifespan``
imports the pages' modules as the server starts, off the first viewer's request. Each run of the
home page executes this file as ``__main__`` and only draws the gallery (``ui.gallery``). The
other pages live in ``pages/`` (URL paths /Explore, /Latent_Map, /Interpolate, /Compare,
/Arithmetic, from their file names); ``ui.page`` draws the menu.
"""

from __future__ import annotations

import streamlit as st

from ui.server_start import lifespan

if __name__ == "__main__":
    from ui.gallery import gallery

    gallery()
else:
    app = st.App("app.py", lifespan=lifespan)
