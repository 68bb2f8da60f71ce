"""Latent Atlas: the home gallery of every model in the checkpoint folder, and the page list.

``streamlit run app.py`` starts here; the other pages live in ``pages/`` (URL paths /Explore,
/Latent_Map, /Interpolate, /Compare, from their file names); ``ui.page`` draws the menu.
"""

from __future__ import annotations

import streamlit as st

from ui.cached import preview
from ui.catalog import CatalogEntry, catalog, get_model
from ui.page import guarded, start_page
from ui.render import show_picture
from ui.state import active_models, set_active_models, write_url

CARDS_PER_ROW = 3
SHOWN_METRICS = 4


def fmt_bytes(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 2**10:.0f} KiB"


def fmt_metric(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def open_in_explore(stem: str) -> None:
    set_active_models([stem, *[s for s in active_models() if s != stem]])


@guarded
def model_card(entry: CatalogEntry) -> None:
    if not entry.ok:
        st.subheader(entry.stem)
        st.error(f"This checkpoint cannot be loaded.\n\n{entry.error}", icon=":material/block:")
        return
    model = get_model(entry.stem)
    meta = model.metadata
    st.subheader(entry.stem)
    show_picture(preview(entry.stem), target_px=360)
    dataset = meta.get("dataset", {}).get("name", "unknown")
    st.markdown(f"**{model.family.upper()}** · `{model.arch}` · dataset **{dataset}**  \n"
                f"latent size **{model.latent_dim}** · **{model.parameter_count():,}** parameters · "
                f"file {fmt_bytes(entry.path.stat().st_size)}")
    metrics = list(meta.get("metrics", {}).items())[:SHOWN_METRICS]
    epochs = meta.get("training", {}).get("epochs")
    facts = [f"{k.replace('_', ' ')}: **{fmt_metric(v)}**" for k, v in metrics]
    if epochs:
        facts.append(f"trained {epochs} epochs")
    st.caption(" · ".join(facts) or "no metrics recorded")
    if st.button("Explore this model", key=f"explore_{entry.stem}", on_click=open_in_explore,
                 args=(entry.stem,)):
        st.switch_page("pages/1_Explore.py")


@guarded
def gallery() -> None:
    active = start_page("home", "Latent Atlas", multi=True)
    st.caption("Explore the latent spaces of trained VAEs and GANs. The models chosen in the sidebar "
               "are the ones the other pages show.")
    entries = list(catalog().values())
    for start in range(0, len(entries), CARDS_PER_ROW):
        for column, entry in zip(st.columns(CARDS_PER_ROW), entries[start:start + CARDS_PER_ROW],
                                 strict=False):
            with column, st.container(border=True):  # only filled columns get a card frame
                model_card(entry)
    if active:
        set_active_models(active)
        write_url(model=active)


gallery()
