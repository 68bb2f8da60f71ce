"""The dataset classifier: accuracy on the digits, a pickle-free round trip, precise load errors."""

import pytest
import torch

from gen_core.data import load_dataset
from gen_core.eval.classifier import (
    Classifier,
    ClassifierConfig,
    accuracy,
    default_classifier_path,
    load_classifier,
    main,
    stage_channels,
)
from gen_core.files.checkpoint import CheckpointError


def test_the_trained_classifier_is_accurate(digits_classifier_file):
    model = load_classifier(digits_classifier_file)
    test = load_dataset("digits", train=False)
    assert accuracy(model, test) >= 0.95
    assert model.metadata["test_accuracy"] == pytest.approx(accuracy(model, test), abs=1e-4)


def test_round_trip_gives_the_same_logits_and_features(digits_classifier_file):
    model = load_classifier(digits_classifier_file)
    again = load_classifier(digits_classifier_file)
    images = load_dataset("digits", train=False).images[:16]
    torch.testing.assert_close(model(images), again(images))
    features, predicted = model.embed(images, batch_size=5)
    assert features.shape == (16, model.config.channels[-1]) and predicted.shape == (16,)
    torch.testing.assert_close(predicted, model(images).argmax(1))


def test_a_model_checkpoint_is_not_a_classifier(vae_file):
    with pytest.raises(CheckpointError, match="not a gen_core classifier"):
        load_classifier(vae_file)


def test_pickles_and_truncated_files_are_refused(tmp_path, digits_classifier_file):
    pickled = tmp_path / "classifier.pt"
    torch.save(Classifier(ClassifierConfig(image_shape=(1, 8, 8))).state_dict(), pickled)
    with pytest.raises(CheckpointError, match="never loaded"):
        load_classifier(pickled)
    truncated = tmp_path / "cut.safetensors"
    truncated.write_bytes(digits_classifier_file.read_bytes()[:-100])
    with pytest.raises(CheckpointError, match="truncated"):
        load_classifier(truncated)


def test_cli_dry_run_writes_a_loadable_classifier(tmp_path):
    out = main(["--dataset", "digits", "--dry-run", "--out", str(tmp_path / "c.safetensors"),
                "--device", "cpu"])
    model = load_classifier(out)
    assert model.config.image_shape == (1, 8, 8) and model.metadata["dataset"] == "digits"
    assert model.metadata["training"]["epochs"] == 1 and 0 <= model.metadata["test_accuracy"] <= 1


def test_larger_pictures_get_more_stages_and_the_shipped_classifiers_keep_theirs():
    for dataset in ("mnist", "fashion-mnist"):
        config = load_classifier(default_classifier_path(dataset)).config
        assert config.channels == stage_channels(config.image_shape) == ClassifierConfig.channels
    colour = ClassifierConfig(stage_channels((3, 64, 64)), 9, (3, 64, 64))
    assert colour.channels == (*ClassifierConfig.channels, 128)
    features = Classifier(colour).eval().features(torch.rand(2, 3, 64, 64))
    assert features.shape == (2, 128)
