"""Presenter mode and bookmarks: named views stepped through in front of a room.

A bookmark is a page and the query of its shareable link (model, seed, latent, …), named. The
list lives in the browser tab's session, is reordered and removed in the sidebar, and travels as
a small JSON file. ``?present=1`` hides the sidebar and enlarges type and pictures; the arrow keys
(or the buttons at the bottom) step through the bookmarks, each applied as its link would be.
"""

from __future__ import annotations

import html
import json

import streamlit as st

from gen_core.files.errors import InputError
from ui.in_page import in_page_component
from ui.page_table import PAGES
from ui.session_keys import BOOKMARK_INDEX, BOOKMARK_NAME, BOOKMARKS, BOOKMARKS_IMPORTED, PRESENTING
from ui.state import LINK_KEYS, apply_url_next_run
from ui.text import plain

PRESENT = "present"
MAX_BOOKMARKS, MAX_NAME, MAX_VALUE = 100, 80, 10_000
# The largest file that can hold MAX_BOOKMARKS bookmarks of bounded names and values, with room for
# JSON's quoting; anything larger is refused before it is decoded.
MAX_BOOKMARK_BYTES = 2 * MAX_BOOKMARKS * (MAX_NAME + len(LINK_KEYS) * MAX_VALUE)
PRESENTER_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"] { display: none !important; }
[data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 1.5rem 3rem !important; }
html { font-size: 20px; }
</style>"""
_keys = in_page_component("latent_atlas_presenter_keys", "presenter_keys.js")


def presenting() -> bool:
    """Presenter mode: on from a link with ``present=1`` (read once, as links are), "Present from
    the first", or a bookmark stepped to; off after Exit. Kept for the session, not read from each
    run's URL, which can be older than Exit's."""
    return st.session_state.setdefault(PRESENTING, st.query_params.get(PRESENT) == "1")


def bookmarks() -> list[dict]:
    """This tab's bookmarks: ``{"name", "page", "params"}`` each, in presenting order."""
    return st.session_state.setdefault(BOOKMARKS, [])


def current_bookmark(page: str) -> dict:
    """The view on ``page`` as a bookmark: the page and its link's parameters."""
    params = {k: v for k, v in st.query_params.to_dict().items() if k in LINK_KEYS}
    return {"name": "", "page": page, "params": params}


class BookmarkError(InputError):
    """A bookmarks file cannot be imported; the message says what is wrong with it."""


def parse_bookmarks(data: bytes) -> list[dict]:
    """Bookmarks from an exported JSON file; ``BookmarkError`` names what is wrong with it.

    Only known pages and link keys are kept, with bounded names and values: the file comes from
    anyone, and each bookmark will be applied as a link, which validates its values again.
    """
    if len(data) > MAX_BOOKMARK_BYTES:
        raise BookmarkError(f"the file is {len(data):,} bytes; bookmark files are at most "
                            f"{MAX_BOOKMARK_BYTES:,}")
    try:
        items = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:  # JSON errors are ValueErrors
        raise BookmarkError(f"not a JSON file ({type(err).__name__})") from None
    if not isinstance(items, list) or len(items) > MAX_BOOKMARKS:
        raise BookmarkError(f"expected a list of at most {MAX_BOOKMARKS} bookmarks")
    parsed = []
    for number, item in enumerate(items, 1):
        if not (isinstance(item, dict) and isinstance(item.get("name"), str)
                and isinstance(item.get("page"), str) and item["page"] in PAGES
                and isinstance(item.get("params"), dict)):
            raise BookmarkError(f"bookmark {number} needs a name, one of the pages {sorted(PAGES)} "
                                "and params")
        params = {k: v for k, v in item["params"].items()
                  if k in LINK_KEYS and isinstance(v, str) and len(v) <= MAX_VALUE}
        parsed.append({"name": item["name"][:MAX_NAME], "page": item["page"], "params": params})
    return parsed


def go_to(index: int) -> None:
    """Open bookmark ``index`` (wrapping round) in presenter mode, as its link would open."""
    marks = bookmarks()
    if not marks:
        return
    index %= len(marks)
    st.session_state[BOOKMARK_INDEX] = index
    mark = marks[index]
    st.session_state[PRESENTING] = True
    apply_url_next_run()
    st.switch_page(PAGES[mark["page"]], query_params={**mark["params"], PRESENT: "1"})


def presenter_bar() -> None:
    """In presenter mode: the full-width look, and previous / next / exit under the title, which
    the arrow keys press. Outside it, nothing."""
    if not presenting():
        return
    st.markdown(PRESENTER_CSS, unsafe_allow_html=True)
    marks, index = bookmarks(), st.session_state.get(BOOKMARK_INDEX, 0)
    left, middle, right, leave = st.columns([1, 3, 1, 1])
    title = (f"{index + 1} / {len(marks)} · {marks[index]['name']}" if 0 <= index < len(marks)
             else "No bookmarks: add some in the sidebar outside presenter mode")
    middle.markdown(f"<div style='text-align: center'>{html.escape(title)}</div>", unsafe_allow_html=True)
    if left.button("◀ Previous", key="present_previous", disabled=not marks):
        go_to(index - 1)
    if right.button("Next ▶", key="present_next", disabled=not marks):
        go_to(index + 1)
    if leave.button("Exit", key="present_exit"):
        st.session_state[PRESENTING] = False
        st.query_params.pop(PRESENT, None)
        st.rerun()
    pressed = _keys(key="presenter_keys", data={}, on_step_change=lambda: None)
    if marks and pressed.step in (-1, 1):
        go_to(index + pressed.step)


def bookmark_sidebar(page: str) -> None:
    """Bookmark the current view, reorder and remove bookmarks, present them, export or import."""
    marks = bookmarks()
    # Keyed, so that it stays open when its label's count changes.
    with st.sidebar.expander(f"Bookmarks ({len(marks)}) and presenting", icon=":material/bookmarks:",
                             key="bookmark_panel"):
        st.text_input("Name of this view", key=BOOKMARK_NAME, max_chars=MAX_NAME,
                      placeholder=numbered_name(page, marks))
        st.button("Bookmark this view", key="bookmark_add", disabled=len(marks) >= MAX_BOOKMARKS,
                  on_click=add_bookmark, args=(page,))
        # Button callbacks change the bookmarks before the panel is drawn again: no second rerun.
        for i, mark in enumerate(marks):
            # No gap and borderless buttons: the sidebar leaves each arrow about 30 px.
            label, up, down, remove = st.columns([4, 1, 1, 1], gap=None, vertical_alignment="center")
            label.text(f"{i + 1}. {mark['name']}")
            up.button("↑", key=f"bookmark_up_{i}", disabled=i == 0, help="Earlier", type="tertiary",
                      on_click=swap_bookmarks, args=(i - 1,))
            down.button("↓", key=f"bookmark_down_{i}", disabled=i == len(marks) - 1, help="Later",
                        type="tertiary", on_click=swap_bookmarks, args=(i,))
            remove.button("✕", key=f"bookmark_remove_{i}", help="Remove", type="tertiary",
                          on_click=remove_bookmark, args=(i,))
        if st.button("Present from the first", key="bookmark_present", type="primary", disabled=not marks):
            go_to(0)
        st.download_button("Export bookmarks (JSON)", json.dumps(marks, indent=1), file_name="bookmarks.json",
                           mime="application/json", key="bookmark_export", disabled=not marks)
        upload = st.file_uploader("Import bookmarks", type=["json"], key="bookmark_import")
        if upload is not None:
            import_bookmarks(upload.file_id, upload.getvalue(), marks)


def numbered_name(page: str, marks: list[dict]) -> str:
    """The name a bookmark of ``page`` gets when none is typed: the page and its place."""
    return f"{page} view {len(marks) + 1}"


def add_bookmark(page: str) -> None:
    """Bookmark the view on ``page`` under the name typed (or a numbered one), and empty the name
    field (a button callback)."""
    marks = bookmarks()
    name = st.session_state.get(BOOKMARK_NAME) or numbered_name(page, marks)
    marks.append({**current_bookmark(page), "name": name})
    st.session_state[BOOKMARK_NAME] = ""


def remove_bookmark(i: int) -> None:
    """Remove bookmark ``i`` (a button callback)."""
    bookmarks().pop(i)


def swap_bookmarks(i: int) -> None:
    """Swap bookmarks ``i`` and ``i + 1`` (a button callback)."""
    marks = bookmarks()
    marks[i], marks[i + 1] = marks[i + 1], marks[i]


def import_bookmarks(file_id: str, data: bytes, marks: list[dict]) -> None:
    """Replace ``marks`` with an uploaded file's bookmarks, parsing each upload once: a refused
    file's message is kept and shown again on later reruns without reading the file again."""
    done, refusal = st.session_state.get(BOOKMARKS_IMPORTED, (None, None))
    if done != file_id:
        try:
            marks[:] = parse_bookmarks(data)
            refusal = None
        except BookmarkError as err:
            refusal = str(err)
        st.session_state[BOOKMARKS_IMPORTED] = (file_id, refusal)
        if refusal is None:
            st.rerun()
    if refusal is not None:
        st.error(f"These bookmarks were not imported: {plain(refusal)}.", icon=":material/block:")
