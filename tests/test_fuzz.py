"""Mutated checkpoints through every way the app opens a model file (a fixed-seed sample of
``bench.fuzz``; the benchmark runs thousands)."""

from __future__ import annotations

import pytest

from bench.fuzz import LIMIT_S, run
from gen_core.files.checkpoint import model_metadata, write_safetensors
from tests.app_support import assert_clean, checkpoint_env, open_page, shared_model_dir, shown  # noqa: F401
from tests.conftest import tiny_model


def test_every_mutation_ends_in_a_checkpoint_error_or_a_valid_model_within_the_limit():
    result = run(320, seed=12345)
    assert result["failures"] == []
    assert result["slowest"][0] < LIMIT_S
    refused = {kind for (_, kind, outcome) in result["outcomes"] if outcome.startswith("refused")}
    assert len(refused) == 12  # every kind of mutation was tried and caught at least once


def test_every_picture_bookmarks_file_and_onnx_graph_ends_in_the_one_error_or_a_result():
    result = run(0, seed=2024, pictures=12, bookmarks=40, graphs=100)
    assert result["failures"] == []
    for family in ("picture", "bookmarks", "onnx"):
        seen = {outcome for (f, _, outcome) in result["outcomes"] if f == family}
        assert "refused" in seen, family
    assert {o for (f, _, o) in result["outcomes"] if f != "bookmarks"} >= {"accepted"}


@pytest.mark.usefixtures("checkpoint_env")
def test_hostile_optional_sections_are_refused_and_the_gallery_keeps_working(tmp_path):
    model = tiny_model("vae", 0)
    meta = model_metadata(model, dataset={"name": ["not", "a", "name"]},
                          metrics={"fd_classifier_features": "low", "precision": [None],
                                   "recall": float("inf"), "categories_matched": {"x": 1}},
                          training={"epochs": "many", "seconds": -5, "history": "zzz", "options": [1]})
    path = write_safetensors(tmp_path / "odd.safetensors", dict(model.state_dict()), "gen_core", meta)
    at = open_page("home")
    upload = ("odd.safetensors", path.read_bytes(), "application/octet-stream")
    at.file_uploader(key="model_upload").set_value(upload)
    at.run()
    assert_clean(at)
    assert any("card field 'dataset.name' is not a string" in shown(e.value) and "was not added" in e.value
               for e in at.error)
    assert "odd (uploaded)" not in [shown(h.value) for h in at.subheader]
    assert "a-vae" in [shown(h.value) for h in at.subheader]  # every other model still shows
