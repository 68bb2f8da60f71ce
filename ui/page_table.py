"""The app's pages, listed once: the menu, bookmarks, presenting and the tests all read this table."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Page:
    """One page: the ``name`` it gives ``start_page`` (and bookmarks carry), its script, and its
    menu entry. Streamlit's own menu for a ``pages/`` folder would name the home page after its
    file ("app"), so it is switched off in ``.streamlit/config.toml`` and this table draws it."""

    name: str
    script: str
    label: str
    icon: str


PAGE_TABLE = (
    Page("home", "app.py", "Home", ":material/home:"),
    Page("explore", "pages/1_Explore.py", "Explore", ":material/tune:"),
    Page("latent_map", "pages/2_Latent_Map.py", "Latent Map", ":material/scatter_plot:"),
    Page("interpolate", "pages/3_Interpolate.py", "Interpolate", ":material/timeline:"),
    Page("compare", "pages/4_Compare.py", "Compare", ":material/compare:"),
    Page("arithmetic", "pages/5_Arithmetic.py", "Arithmetic", ":material/calculate:"),
)
PAGES = {page.name: page.script for page in PAGE_TABLE}  # name -> script
