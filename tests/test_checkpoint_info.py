"""A checkpoint's header read once into typed, frozen fields, and one place for a model's facts."""

from __future__ import annotations

import dataclasses

import pytest

from gen_core.checkpoint import CheckpointError, inspect_checkpoint, load_model, save_model
from gen_core.checkpoint_info import CheckpointInfo, model_facts
from tests.conftest import tiny_model


def test_a_loaded_model_carries_its_header_as_fields(tmp_path):
    model = tiny_model("vae", 0)
    path = save_model(model, tmp_path / "m.safetensors",
                      dataset={"name": "digits", "class_names": ["a", "b"]},
                      training={"epochs": 3, "seconds": 150.0, "trainer": "vae",
                                "options": {"binarize": True},
                                "history": [{"epoch": 1, "loss": 2.0}, "not a row"]},
                      metrics={"fd_classifier_features": 1.5})
    info = load_model(path).info
    assert (info.family, info.arch, info.dataset) == ("vae", model.arch, "digits")
    assert info.class_names == ("a", "b")
    assert info.latent_spec == tuple(model.latent_spec) and info.image_shape == tuple(model.image_shape)
    assert info.training.epochs == 3 and info.training.options["binarize"] is True
    assert [dict(row) for row in info.training.history] == [{"epoch": 1, "loss": 2.0}]
    assert info.metrics["fd_classifier_features"] == 1.5
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.dataset = "other"
    with pytest.raises(TypeError):
        info.metrics["fd_classifier_features"] = 0.0  # read-only, shared by every page


def test_optional_sections_of_the_wrong_type_read_as_empty():
    info = CheckpointInfo.from_metadata({"family": "vae", "arch": "mlp", "dataset": "mnist", "metrics": [1],
                                         "training": {"epochs": "many", "seconds": True, "history": {}}})
    assert info.dataset == "" and info.dataset_label == "unknown" and dict(info.metrics) == {}
    assert info.training.epochs is None and info.training.seconds is None and info.training.history == ()
    assert info.training.duration_text == "–"


def test_facts_are_the_same_wherever_they_are_shown():
    info = CheckpointInfo.from_metadata({"family": "dcgan", "arch": "dcgan", "dataset": {"name": "mnist"},
                                         "latent_spec": [{"name": f"z{i}"} for i in range(4)],
                                         "training": {"epochs": 26, "seconds": 5520.0}})
    assert model_facts(info, "DCGAN", 533889, 2 * 2**20) == {
        "kind": "DCGAN", "arch": "dcgan", "dataset": "mnist", "latent size": "4", "parameters": "533,889",
        "file": "2.0 MiB", "epochs": "26", "training time": "1.5 h"}
    assert "file" not in model_facts(info, "DCGAN", 1)


@pytest.mark.parametrize(("training", "shown"), [
    ({"seconds": 5520.0, "device": "cpu"}, "1.5 h CPU"),
    ({"seconds": 420.0, "device": "cuda:0"}, "7.0 min GPU"),  # written before the per-device split
    ({"seconds": 6000.0, "device": "cuda:0", "seconds_by_device": {"cpu": 5580.0, "cuda": 420.0}},
     "1.6 h CPU + 7.0 min GPU"),
    ({"seconds": 60.0, "seconds_by_device": {"cpu": "a lot"}}, "1.0 min"),
])
def test_training_time_names_the_devices_it_was_spent_on(training, shown):
    assert CheckpointInfo.from_metadata({"training": training}).training.duration_text == shown


def test_inspecting_reads_the_header_alone_and_checks_it_like_a_load(tmp_path):
    model = tiny_model("vae", 0)
    path = save_model(model, tmp_path / "m.safetensors", dataset={"name": "digits"})
    assert inspect_checkpoint(path) == load_model(path).info
    data = bytearray(path.read_bytes())
    truncated = tmp_path / "cut.safetensors"
    truncated.write_bytes(bytes(data[:-10]))  # the header promises more than the file holds
    with pytest.raises(CheckpointError, match="truncated"):
        inspect_checkpoint(truncated)
