"""The home page: a gallery card per model in the checkpoint folder, filters, and uploads."""

from __future__ import annotations

import streamlit as st

from gen_core.eval.ranking import BASIS as RANK_BASIS
from gen_core.eval.report import card_summary
from gen_core.files.card import model_facts
from gen_core.files.checkpoint import MAX_FILE_BYTES, CheckpointError
from ui.cached import preview
from ui.catalog import (
    add_upload,
    catalog,
    model_card,
    model_ref,
    ranking,
    remove_upload,
    upload_groups,
    uploads,
)
from ui.curves import curves_svg
from ui.page import guarded, start_page
from ui.render import show_picture
from ui.session_keys import TAKEN_UPLOADS
from ui.state import active_models, set_active_models, write_url
from ui.text import plain

CARDS_PER_ROW = 3
MAX_UPLOAD_MB = MAX_FILE_BYTES // 2**20  # also server.maxUploadSize in .streamlit/config.toml


def dataset_label(stem: str) -> str:
    return model_card(stem).dataset_label


def open_in_explore(stem: str) -> None:
    set_active_models([stem, *[s for s in active_models() if s != stem]])


@guarded
def gallery_card(stem: str, error: str | None, ranks: dict[str, str]) -> None:
    """One model's card, from its header alone: the weights are read only where the preview must
    be drawn (a cached preview was drawn from these very bytes, so they load)."""
    st.subheader(plain(stem))
    if error is None:
        try:
            card, ref = model_card(stem), model_ref(stem)
            picture = preview(stem)
        except CheckpointError as err:  # its header was sound, its weights are not
            error = str(err)
    if error is not None:
        st.error(f"This checkpoint cannot be loaded.\n\n{plain(error)}", icon=":material/block:")
        return
    if stem in ranks:
        st.caption(f"Quality {ranks[stem]}", help=f"Cards are ordered by {RANK_BASIS}.")
    show_picture(picture, target_px=360)
    facts = {key: plain(value) for key, value in model_facts(card, ref.size).items()}
    st.markdown(f"**{facts['kind']}** · {facts['arch']} · dataset **{facts['dataset']}**  \n"
                f"latent size **{facts['latent size']}** · **{facts['parameters']}** parameters · "
                f"file {facts['file']}")
    notes = [card_summary(card.metrics) or "not evaluated yet"]
    if card.training.epochs:
        notes.append(f"trained {facts['epochs']} epochs"
                     + (f" in {facts['training time']}" if card.training.seconds else ""))
    if ref.uploaded:
        notes.append("uploaded: only in this browser tab")
    st.caption(" · ".join(notes))
    encoder = card.provenance.get("encoder")
    if encoder:
        st.caption(f"Encoder: {plain(encoder)} ({plain(card.provenance.get('encoder_posterior', ''))})")
    curves = curves_svg(card.training.history)
    if curves is not None:
        st.markdown(curves, unsafe_allow_html=True)
    buttons = st.columns(2 if ref.uploaded else 1)
    if buttons[0].button("Explore this model", key=f"explore_{stem}", on_click=open_in_explore, args=(stem,)):
        st.switch_page("pages/1_Explore.py")
    if ref.uploaded:
        buttons[1].button("Remove", key=f"remove_{stem}", on_click=remove_upload, args=(stem,))


def filtered(cards: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """The cards ``(name, load error)`` the dataset and family filters let through; broken files
    are always shown."""
    usable = [name for name, error in cards if error is None]
    datasets = sorted({dataset_label(s) for s in usable})
    families = sorted({model_card(s).family for s in usable})
    left, right = st.columns([1, 3])  # far more families than datasets
    # Keyed by the options: a newly uploaded model's dataset or family starts out chosen. Wrapped:
    # in a column, pills would otherwise stay on one row and hide the ones past its edge.
    chosen_datasets = left.pills("Dataset", datasets, selection_mode="multi", default=datasets,
                                 key=f"gallery_datasets_{'|'.join(datasets)}", wrap=True)
    chosen_families = right.pills("Family", families, selection_mode="multi", default=families,
                                  key=f"gallery_families_{'|'.join(families)}", wrap=True)
    return [(name, error) for name, error in cards
            if error is not None or (dataset_label(name) in chosen_datasets
                                     and model_card(name).family in chosen_families)]


def upload_section() -> None:
    """Add models of one's own: checked by the same loader as the folder's files."""
    with st.expander("Add your own model (.safetensors or .onnx)", icon=":material/upload:"):
        st.caption("The model is checked like any checkpoint, shown only in this browser tab, and "
                   "forgotten when the tab closes. A decoder trained elsewhere comes as ONNX "
                   "(`torch.onnx.export` of a module mapping z [B, D] to images); upload with it, at "
                   "once, its `.onnx.data` file if it has one and its encoder (`NAME.encoder.onnx`) "
                   "to map and reconstruct images. PyTorch pickles (.pt, .pth, .ckpt) are never "
                   "opened: convert them first with `python -m gen_core.files.convert`.")
        files = st.file_uploader("Model files", key="model_upload", max_upload_size=MAX_UPLOAD_MB,
                                 accept_multiple_files=True)
        for added, message in take_uploads(files or []):
            if added:
                st.success(message, icon=":material/check_circle:")
            else:
                st.error(message, icon=":material/block:")


def take_uploads(files: list) -> list[tuple[bool, str]]:
    """``(added, message)`` for each model among the uploaded ``files``. Each model is taken once,
    keyed by the upload ids of its files (a removed model must not come back on the next rerun,
    and a decoder uploaded again with its encoder is taken anew); what came of it stays on show
    while its files sit in the uploader."""
    ids = tuple(sorted(f.file_id for f in files))
    known_ids, taken = st.session_state.get(TAKEN_UPLOADS, ((), {}))
    if ids == known_ids:  # nothing new: no file is read again on a rerun
        return list(taken.values())
    by_name, now = {f.name: f for f in files}, {}
    for name, companions in upload_groups({f.name: f.getvalue() for f in files}):
        key = tuple(sorted(by_name[n].file_id for n in (name, *companions)))
        now[key] = taken.get(key) or take_upload(name, by_name[name].getvalue(), companions)
    st.session_state[TAKEN_UPLOADS] = (ids, now)
    return list(now.values())


def take_upload(file_name: str, data: bytes, companions: dict[str, bytes] | None = None) -> tuple[bool, str]:
    """``(added, message)`` for an uploaded model file and the files uploaded with it."""
    try:
        name = add_upload(file_name, data, companions)
    except CheckpointError as err:
        return False, f"This file was not added. {plain(err)}"
    return True, f"Added **{plain(name)}**: its card is below and it is in every page's model list."


@guarded
def gallery() -> None:
    active = start_page("home", "Latent Atlas", multi=True)
    st.caption("Explore the latent spaces of trained VAEs and GANs. The models chosen in the sidebar "
               "are the ones the other pages show.")
    upload_section()
    ranked = ranking()
    broken = [(e.stem, e.error) for e in catalog().values() if not e.ok]
    cards = filtered([(r.name, None) for r in ranked] + [(n, None) for n in uploads()] + broken)
    ranks = {r.name: r.basis for r in ranked}
    if not cards:
        st.info("No model matches these filters.")
    for start in range(0, len(cards), CARDS_PER_ROW):
        for column, card in zip(st.columns(CARDS_PER_ROW), cards[start:start + CARDS_PER_ROW], strict=False):
            with column, st.container(border=True):  # only filled columns get a card frame
                gallery_card(*card, ranks)
    if active:
        set_active_models(active)
        write_url(model=active)

