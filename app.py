"""Latent Atlas: the home gallery of every model in the checkpoint folder, and the page list.

``streamlit run app.py`` starts here; the other pages live in ``pages/`` (URL paths /Explore,
/Latent_Map, /Interpolate, /Compare, from their file names); ``ui.page`` draws the menu.
"""

from __future__ import annotations

import streamlit as st

from gen_core.metric_report import card_summary
from ui.cached import dataset_name, preview
from ui.catalog import CatalogEntry, catalog, get_model
from ui.page import guarded, start_page
from ui.render import show_picture
from ui.state import active_models, set_active_models, write_url

CARDS_PER_ROW = 3


def fmt_bytes(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 2**10:.0f} KiB"


def dataset_label(stem: str) -> str:
    return dataset_name(stem) or "unknown"


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
    st.markdown(f"**{model.title}** · `{model.arch}` · dataset **{dataset_label(entry.stem)}**  \n"
                f"latent size **{model.latent_dim}** · **{model.parameter_count():,}** parameters · "
                f"file {fmt_bytes(entry.path.stat().st_size)}")
    training = meta.get("training", {})
    facts = [card_summary(meta.get("metrics", {})) or "not evaluated yet"]
    if training.get("epochs"):
        minutes = f" in {training['seconds'] / 60:.0f} min" if training.get("seconds") else ""
        facts.append(f"trained {training['epochs']} epochs{minutes}")
    st.caption(" · ".join(facts))
    if st.button("Explore this model", key=f"explore_{entry.stem}", on_click=open_in_explore,
                 args=(entry.stem,)):
        st.switch_page("pages/1_Explore.py")


def filtered(entries: list[CatalogEntry]) -> list[CatalogEntry]:
    """The cards the dataset and family filters let through; broken files are always shown."""
    usable = [e.stem for e in entries if e.ok]
    datasets = sorted({dataset_label(s) for s in usable})
    families = sorted({get_model(s).family for s in usable})
    left, right = st.columns(2)
    chosen_datasets = left.pills("Dataset", datasets, selection_mode="multi", default=datasets,
                                 key="gallery_datasets")
    chosen_families = right.pills("Family", families, selection_mode="multi", default=families,
                                  key="gallery_families")
    return [e for e in entries if not e.ok or (dataset_label(e.stem) in chosen_datasets
                                               and get_model(e.stem).family in chosen_families)]


@guarded
def gallery() -> None:
    active = start_page("home", "Latent Atlas", multi=True)
    st.caption("Explore the latent spaces of trained VAEs and GANs. The models chosen in the sidebar "
               "are the ones the other pages show.")
    entries = filtered(list(catalog().values()))
    if not entries:
        st.info("No model matches these filters.")
    for start in range(0, len(entries), CARDS_PER_ROW):
        for column, entry in zip(st.columns(CARDS_PER_ROW), entries[start:start + CARDS_PER_ROW],
                                 strict=False):
            with column, st.container(border=True):  # only filled columns get a card frame
                model_card(entry)
    if active:
        set_active_models(active)
        write_url(model=active)


gallery()
