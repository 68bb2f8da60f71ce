"""One registry of metric keys: what is written, read, ranked and printed goes through it."""

from __future__ import annotations

from pathlib import Path

import pytest

from gen_core.eval.metric_keys import METRIC, SCORES, MetricKey, _register, check_metric_keys
from gen_core.files.checkpoint import CheckpointError, model_files, read_header, save_model, update_metadata
from tests.conftest import tiny_model

SHIPPED = Path(__file__).resolve().parent.parent / "checkpoints"


@pytest.mark.parametrize("path", model_files(SHIPPED), ids=lambda p: p.stem)
def test_every_metric_in_a_shipped_checkpoint_is_registered(path):
    metrics = read_header(path)[0].metrics
    assert metrics and set(metrics) <= set(METRIC)


def test_writing_an_unregistered_key_is_refused_before_the_file_is_touched(tmp_path):
    with pytest.raises(CheckpointError, match="unknown metric key 'fid'"):
        save_model(tiny_model("dcgan"), tmp_path / "m.safetensors", metrics={"fid": 3.0})
    assert not (tmp_path / "m.safetensors").exists()
    path = save_model(tiny_model("dcgan"), tmp_path / "m.safetensors", metrics={"recall": 0.5})
    before = path.read_bytes()
    with pytest.raises(CheckpointError, match="unknown metric keys 'a', 'b'"):
        update_metadata(path, metrics={"a": 1, "b": 2, "recall": 0.7})
    assert path.read_bytes() == before


def test_a_key_is_registered_once():
    with pytest.raises(ValueError, match="registered twice"):
        _register(MetricKey("recall", "Recall again", "higher"))
    check_metric_keys(METRIC)  # every registered key passes


def test_every_score_says_which_way_is_better_and_references_are_registered():
    assert {m.better for m in SCORES} == {"lower", "higher"}
    assert all(m.reference in METRIC for m in METRIC.values() if m.reference)
    assert METRIC["fd_classifier_features"].reference == "fd_real_halves"
