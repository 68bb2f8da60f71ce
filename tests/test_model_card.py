"""The model card: a file's header parsed once into typed, frozen fields; one place for a model's facts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from gen_core.files.card import ModelCard, model_facts
from gen_core.files.checkpoint import CheckpointError, inspect_checkpoint, load_model, save_model
from gen_core.models.base import LatentDim
from tests.conftest import tiny_model


def test_a_loaded_model_carries_its_header_as_fields(tmp_path):
    model = tiny_model("vae", 0)
    path = save_model(model, tmp_path / "m.safetensors",
                      dataset={"name": "digits", "class_names": ["a", "b"]},
                      training={"epochs": 3, "seconds": 150.0, "trainer": "vae",
                                "options": {"binarize": True},
                                "history": [{"epoch": 1, "loss": 2.0}]},
                      metrics={"fd_classifier_features": 1.5})
    info = load_model(path).card
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


def _card_json(**changes) -> dict:
    base = {"schema_version": 1, "family": "dcgan", "arch": "dcgan", "config": {},
            "latent_spec": [{"name": "z0"}], "image_shape": [1, 8, 8]}
    return {**base, **changes}


@pytest.mark.parametrize(("changes", "says"), [
    ({"dataset": "mnist"}, "'dataset' is not a JSON object"),
    ({"metrics": [1]}, "'metrics' is not a JSON object"),
    ({"metrics": {"fd_ratio_to_floor": 1.0}}, "unknown metric key 'fd_ratio_to_floor'"),
    ({"metrics": {"precision": float("nan")}}, "'metrics.precision' is not a finite number"),
    ({"training": {"epochs": "many"}}, "'training.epochs' is not a finite number"),
    ({"training": {"seconds": True}}, "'training.seconds' is not a finite number"),
    ({"training": {"history": {}}}, "'training.history' is not a list"),
    ({"training": {"seconds": 60.0, "seconds_by_device": {"cpu": "a lot"}}}, "seconds_by_device"),
    ({"training": {"colour": "red"}}, "'training' has unknown key(s) ['colour']"),
    ({"dataset": {"name": 3}}, "'dataset.name' is not a string"),
    ({"dataset": {"name": "folder:/srv/private"}}, "'dataset.name' is not a dataset name"),
    ({"dataset": {"name": "../../etc"}}, "'dataset.name' is not a dataset name"),
    ({"dataset": {"name": "/tmp/probe.npz"}}, "'dataset.name' is not a dataset name"),
    ({"dataset": {"class_names": ["a", 2]}}, "'dataset.class_names' is not a list of strings"),
    ({"favourite": 1}, "'card' has unknown key(s) ['favourite']"),
    ({"image_shape": [1, 8]}, "'image_shape' [1, 8] is not [C, H, W]"),
    ({"latent_spec": "z"}, "'latent_spec' is not a list"),
    ({"output_range": [1, 0]}, "'output_range' [1, 0] is not [low, high]"),
    ({"schema_version": 7}, "unknown schema version"),
])
def test_an_unknown_or_malformed_field_is_refused_when_the_card_is_parsed(changes, says):
    with pytest.raises(CheckpointError) as caught:
        ModelCard.parse(Path("m.safetensors"), _card_json(**changes))
    assert says in str(caught.value) and str(caught.value).startswith("m.safetensors: ")


def test_a_sound_card_parses_with_empty_optional_sections():
    card = ModelCard.parse(Path("m.safetensors"), _card_json())
    assert card.dataset == "" and card.dataset_label == "unknown" and dict(card.metrics) == {}
    assert card.training.epochs is None and card.training.seconds is None and card.training.history == ()
    assert card.training.duration_text == "–" and card.output_range == (0.0, 1.0)
    assert card.latent_spec == (LatentDim("z0"),) and card.image_shape == (1, 8, 8)


def test_facts_are_the_same_wherever_they_are_shown():
    info = ModelCard.parse(Path("m.safetensors"), _card_json(
        dataset={"name": "mnist"}, latent_spec=[{"name": f"z{i}"} for i in range(4)],
        training={"epochs": 26, "seconds": 5520.0}))
    info = dataclasses.replace(info, title="DCGAN", parameters=533889)
    assert model_facts(info, 2 * 2**20) == {
        "kind": "DCGAN", "arch": "dcgan", "dataset": "mnist", "latent size": "4", "parameters": "533,889",
        "file": "2.0 MiB", "epochs": "26", "training time": "1.5 h"}
    assert "file" not in model_facts(info)


def test_the_reader_fills_the_architectures_title_and_parameter_count(tmp_path):
    model = tiny_model("vae", 0)
    path = save_model(model, tmp_path / "m.safetensors")
    card = inspect_checkpoint(path)
    assert (card.title, card.parameters) == (model.title, model.parameter_count()) and card.parameters > 0


@pytest.mark.parametrize(("training", "shown"), [
    ({"seconds": 5520.0, "device": "cpu"}, "1.5 h CPU"),
    ({"seconds": 420.0, "device": "cuda:0"}, "7.0 min GPU"),  # written before the per-device split
    ({"seconds": 6000.0, "device": "cuda:0", "seconds_by_device": {"cpu": 5580.0, "cuda": 420.0}},
     "1.6 h CPU + 7.0 min GPU"),
])
def test_training_time_names_the_devices_it_was_spent_on(training, shown):
    assert ModelCard.parse(Path("m"), _card_json(training=training)).training.duration_text == shown


def test_inspecting_reads_the_header_alone_and_checks_it_like_a_load(tmp_path):
    model = tiny_model("vae", 0)
    path = save_model(model, tmp_path / "m.safetensors", dataset={"name": "digits"})
    assert inspect_checkpoint(path) == load_model(path).card
    data = bytearray(path.read_bytes())
    truncated = tmp_path / "cut.safetensors"
    truncated.write_bytes(bytes(data[:-10]))  # the header promises more than the file holds
    with pytest.raises(CheckpointError, match="truncated"):
        inspect_checkpoint(truncated)
