"""Tampered links on every page: the default view and a notice, and no file outside the model
and cache folders ever opened (watched with an audit hook while the pages run)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from gen_core.files.checkpoint import save_model
from tests.app_support import VAE, assert_clean, checkpoint_env, open_page, shared_model_dir  # noqa: F401
from tests.conftest import tiny_model
from ui.page_table import PAGES

pytestmark = pytest.mark.usefixtures("checkpoint_env")
OPENED: list[str] | None = None  # paths opened while a page runs under watch


def _watch(event: str, args: tuple) -> None:
    if OPENED is not None and event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_watch)  # audit hooks cannot be removed; it records only while OPENED is a list


@pytest.fixture(scope="module")
def outside(tmp_path_factory) -> Path:
    """A valid checkpoint outside the model folder: the file a tampered link tries to reach."""
    folder = tmp_path_factory.mktemp("outside")
    return save_model(tiny_model("vae", 0), folder / "secret.safetensors", dataset={"name": "digits"})


def tampered_links(outside: Path) -> list[dict[str, str]]:
    relative = os.path.relpath(outside.with_suffix(""), Path(os.environ["LATENT_ATLAS_CHECKPOINTS"]))
    return [{"model": relative}, {"model": str(outside)}, {"model": str(outside.with_suffix(""))},
            {"model": f"{VAE},{relative}"}, {"model": "..%2F..%2Fsecret"}, {"model": "ⓜⓞⓓⓔⓛ\u202e"},
            {"model": VAE, "seed": "1e309"}, {"model": VAE, "seed": "9" * 400},
            {"model": VAE, "z": ",".join(["inf"] * 4)}, {"model": VAE, "z": "1," * 5000 + "1"},
            {"model": VAE, "seed2": "-1"}, {"model": VAE, "images": "9" * 400 + ",1"},
            {"model": VAE, "present": "../../etc/passwd"},
            {"model": "x" * 10_000}]


@pytest.mark.parametrize("page", sorted(PAGES))
def test_no_tampered_link_opens_a_file_outside_the_model_folder(page, outside):
    global OPENED
    for query in tampered_links(outside):
        OPENED = []
        try:
            at = open_page(page, query=query)
        finally:
            opened, OPENED = OPENED, None
        assert_clean(at)
        reached = [p for p in opened if Path(p).resolve().is_relative_to(outside.parent.resolve())
                   or "secret" in p or "passwd" in p]
        assert reached == [], (query, reached)
        if "model" in query and query["model"] != VAE:
            assert at.warning, query  # the link's model was ignored, and the page said so
