"""Whatever sits in the checkpoint folder or is uploaded, the app writes only into its own folders
(the checkpoint folder's cache, the upload space, ``static/decoders/``) and reads no folder a
file names. Every write and every directory listing is watched with an audit hook while each page
runs with hostile files in the folder and a hostile upload in the tab."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from gen_core.files.checkpoint import model_metadata, save_model, write_safetensors
from tests.app_support import ROOT, assert_clean, open_page
from tests.conftest import tiny_model
from ui.catalog import CHECKPOINTS_ENV
from ui.page_table import PAGES
from ui.upload_space import artifact_folder

WATCHED: list[tuple[str, str]] | None = None  # (event, path) while a page runs under watch
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _watch(event: str, args: tuple) -> None:
    if WATCHED is None:
        return
    if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        mode, flags = (*args[1:3], None, 0)[:2] if len(args) < 3 else args[1:3]
        writing = any(c in mode for c in "wax+") if isinstance(mode, str) else bool(flags & WRITE_FLAGS)
        WATCHED.append(("write" if writing else "read", os.fsdecode(args[0])))
    elif event in ("os.mkdir", "os.remove", "os.rename", "os.replace", "os.rmdir", "os.symlink"):
        WATCHED.append(("write", os.fsdecode(args[0])))
        if event in ("os.rename", "os.replace", "os.symlink"):
            WATCHED.append(("write", os.fsdecode(args[1])))
    elif event in ("os.listdir", "os.scandir") and isinstance(args[0], (str, bytes, os.PathLike)):
        WATCHED.append(("list", os.fsdecode(args[0])))


sys.addaudithook(_watch)  # audit hooks cannot be removed; it records only while WATCHED is a list


@pytest.fixture
def hostile_folder(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """A model folder holding good models and hostile ones, and a folder outside it (with pictures
    in it) that the hostile files name."""
    outside = tmp_path / "outside"
    (outside / "class").mkdir(parents=True)
    (outside / "class" / "0.png").write_bytes(b"\x89PNG not really")
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    save_model(tiny_model("vae", 0), folder / "good-vae.safetensors", dataset={"name": "digits"})
    save_model(tiny_model("dcgan", 0), folder / "good-gan.safetensors", dataset={"name": "digits"})
    for stem, name in (("folder-dataset", f"folder:{outside}"), ("path-dataset", str(outside)),
                       ("climbing-dataset", "../../outside"), ("probe-dataset", "../probes/mnist")):
        model = tiny_model("vae", 0)
        write_safetensors(folder / f"{stem}.safetensors", dict(model.state_dict()), "gen_core",
                          model_metadata(model, dataset={"name": name}))
    monkeypatch.setenv(CHECKPOINTS_ENV, str(folder))
    return folder, outside


def _hostile_upload(outside: Path) -> tuple[str, bytes, str]:
    model = tiny_model("dcgan", 0, seed=1)
    meta = model_metadata(model, dataset={"name": f"folder:{outside}"})
    path = write_safetensors(outside / "up.safetensors", dict(model.state_dict()), "gen_core", meta)
    return "up.safetensors", path.read_bytes(), "application/octet-stream"


def _allowed(path: str, folder: Path) -> bool:
    resolved = Path(path).resolve()
    roots = [folder / "cache", artifact_folder(), ROOT / "static" / "decoders"]
    return any(resolved.is_relative_to(root.resolve()) for root in roots)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_hostile_files_and_uploads_write_only_into_the_apps_folders(page, hostile_folder):
    global WATCHED
    folder, outside = hostile_folder
    upload = _hostile_upload(outside)
    WATCHED = []
    try:
        at = open_page("home")
        at.file_uploader(key="model_upload").set_value(upload)
        at.run()
        if page != "home":
            at.switch_page(PAGES[page]).run()
    finally:
        watched, WATCHED = WATCHED, None
    assert_clean(at)
    stray = [(kind, p) for kind, p in watched if kind == "write" and not _allowed(p, folder)]
    assert stray == [], stray
    reached = [(kind, p) for kind, p in watched if kind != "write" and outside.name in p]
    assert reached == [], reached
    if page == "home":
        errors = " ".join(e.value for e in at.error)
        assert errors.count("is not a dataset name") >= 5  # four files and the upload, each refused
        assert json.dumps(sorted(h.value for h in at.subheader)).count("good") == 2  # the rest work
