"""Bookmarks and presenter mode: named views in order, exported and imported, stepped through."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from tests.app_support import CONV_VAE, GAN, VAE, assert_clean, checkpoint_env, open_page, shared_model_dir  # noqa: F401
from ui.presenter import MAX_BOOKMARK_BYTES, MAX_BOOKMARKS, BookmarkError, parse_bookmarks
from ui.session_keys import LINKED_PICK

pytestmark = pytest.mark.usefixtures("checkpoint_env")


def test_a_view_is_bookmarked_reordered_exported_and_removed():
    at = open_page("explore", query={"model": GAN, "seed": "7"})
    at.text_input(key="bookmark_name").set_value("seven").run()
    at.button(key="bookmark_add").click().run()
    # The same run counts it and empties the name for the next one.
    assert [e.label for e in at.sidebar.expander] == ["Bookmarks (1) and presenting"]
    assert at.text_input(key="bookmark_name").value == ""
    assert at.text_input(key="bookmark_name").placeholder == "explore view 2"
    at = at.switch_page("pages/3_Interpolate.py").run()
    at.button(key="bookmark_add").click().run()
    assert_clean(at)
    marks = at.session_state["bookmarks"]
    assert [m["name"] for m in marks] == ["seven", "interpolate view 2"]
    assert marks[0]["page"] == "explore" and marks[0]["params"]["seed"] == "7"
    assert marks[0]["params"]["model"] == GAN
    at.button(key="bookmark_down_0").click().run()
    assert [m["name"] for m in at.session_state["bookmarks"]] == ["interpolate view 2", "seven"]
    exported = json.dumps(at.session_state["bookmarks"]).encode()  # what the export button writes
    assert parse_bookmarks(exported) == at.session_state["bookmarks"]
    at.button(key="bookmark_remove_0").click().run()
    assert [m["name"] for m in at.session_state["bookmarks"]] == ["seven"]


def test_presenting_steps_to_the_next_bookmark_and_applies_its_link():
    marks = [{"name": "first", "page": "explore", "params": {"model": VAE, "seed": "1"}},
             {"name": "second", "page": "explore", "params": {"model": GAN, "seed": "5"}}]
    at = open_page("explore", query={"model": VAE, "seed": "1", "present": "1"},
                   state={"bookmarks": marks, "bookmark_index": 0})
    assert_clean(at)
    assert not at.sidebar.expander  # no sidebar controls while presenting
    at.button(key="present_next").click().run()
    assert_clean(at)
    assert at.query_params["model"] == GAN and at.query_params["seed"] == "5"
    assert at.query_params["present"] == "1" and at.session_state["bookmark_index"] == 1
    at.button(key="present_exit").click().run()
    assert "present" not in at.query_params
    assert at.sidebar.expander  # the sidebar is back
    at.query_params["present"] = "1"  # a run asked for before the browser took Exit's link
    at.run()
    assert at.sidebar.expander and "present_exit" not in [b.key for b in at.button]


def test_a_bookmark_keeps_every_parameter_of_its_link_and_presenting_restores_it():
    at = open_page("interpolate", query={"model": VAE, "images": "3,5"})
    at.button(key="bookmark_add").click().run()
    at = at.switch_page("pages/2_Latent_Map.py").run()
    at.selectbox(key=LINKED_PICK).set_value(CONV_VAE).run()  # the linked map
    at.button(key="bookmark_add").click().run()
    images, linked = at.session_state["bookmarks"]
    assert images["params"] == {"model": VAE, "images": "3,5"}
    assert linked["params"]["model2"] == CONV_VAE
    shown = open_page("latent_map", query={"model": VAE, "present": "1"},
                      state={"bookmarks": [linked, images], "bookmark_index": 0})
    shown.button(key="present_next").click().run()
    shown = shown.switch_page("pages/3_Interpolate.py").run()  # where the next bookmark sends the app
    assert_clean(shown)
    assert [shown.number_input(key=k).value for k in ("interp_image_a", "interp_image_b")] == [3, 5]


@pytest.mark.parametrize("data, says", [
    (b"\xff\xfe", "not a JSON file"),
    (b'{"name": "x"}', "a list"),
    (json.dumps([{}] * (MAX_BOOKMARKS + 1)).encode(), "a list"),
    (b'[{"name": "x", "page": "../../etc/passwd", "params": {}}]', "one of the pages"),
    (b'[{"name": 3, "page": "explore", "params": {}}]', "needs a name"),
    (b'[{"name": "x", "page": {"a": 1}, "params": {}}]', "one of the pages"),  # found by bench.fuzz
    (b"[" * 100_000 + b"]" * 100_000, "not a JSON file"),  # nesting deeper than the parser recurses
    (b"[" + b"9" * 5_000 + b"]", "not a JSON file"),  # an integer longer than Python converts
    (b" " * (MAX_BOOKMARK_BYTES + 1), "bookmark files are at most"),
])
def test_hostile_bookmark_files_are_refused_by_name(data, says):
    with pytest.raises(BookmarkError, match=says):
        parse_bookmarks(data)


def test_imported_bookmarks_keep_only_link_keys_and_bounded_values():
    data = json.dumps([{"name": "n" * 500, "page": "latent_map",
                        "params": {"model": "m", "evil": "x", "z": "1" * 20_000, "seed": 4}}]).encode()
    assert parse_bookmarks(data) == [{"name": "n" * 80, "page": "latent_map", "params": {"model": "m"}}]


def test_a_refused_bookmarks_file_is_parsed_once_and_its_message_kept(monkeypatch):
    import ui.presenter as presenter

    shown, parsed = [], []
    fake_streamlit = SimpleNamespace(session_state={}, error=lambda text, **_: shown.append(text),
                                     rerun=lambda: pytest.fail("a refused file reran"))
    monkeypatch.setattr(presenter, "st", fake_streamlit)
    monkeypatch.setattr(presenter, "parse_bookmarks",
                        lambda data: parsed.append(data) or parse_bookmarks(data))
    marks = [{"name": "kept", "page": "explore", "params": {}}]
    for _rerun in range(3):
        presenter.import_bookmarks("upload-1", b"[not json", marks)
    assert len(parsed) == 1 and len(shown) == 3 and "not a JSON file" in shown[-1]
    assert marks == [{"name": "kept", "page": "explore", "params": {}}]  # nothing lost
