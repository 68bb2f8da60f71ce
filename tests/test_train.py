"""The training command: dry runs, seeds, resuming, and a 2-process DDP run."""

import pytest
import torch

from gen_core.files.checkpoint import load_model, read_checkpoint, update_metadata
from gen_core.train import cli
from gen_core.train.cli import PRESETS, main
from tests import background_runs
from tests.background_runs import DDP_PRESETS
from tests.tiny_presets import tiny_presets


def _train(tmp_path, *extra, name="m"):
    out = tmp_path / f"{name}.safetensors"
    main(["--dataset", "digits", "--out", str(out), "--run-dir", str(tmp_path / f"run-{name}"), *extra])
    return out


@pytest.fixture
def tiny_networks(monkeypatch):
    """Every preset's family, trainer and rate with tiny networks (``tests/tiny_presets.py``): runs
    of a few epochs take a second, and what these tests check does not depend on the size. The
    dry runs below train the presets as shipped."""
    monkeypatch.setattr(cli, "PRESETS", tiny_presets())


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_dry_run_writes_a_loadable_checkpoint_and_samples(tmp_path, preset):
    out = _train(tmp_path, "--model", preset, "--dry-run", "--latent-dim", "3")
    model = load_model(out)
    assert model.latent_dim == 3 and model.image_shape == (1, 8, 8)
    training = model.card.training.record
    assert training["epochs"] == 1 and training["steps"] == 4 and len(training["history"]) == 1
    assert model.card.dataset == "digits"
    assert (tmp_path / "run-m" / "samples" / "epoch_001.png").is_file()
    assert not any(k.startswith("train.") for k in read_checkpoint(out)[1])
    if model.has_likelihood:
        assert model.card.metrics["bce_elbo_nats"] > 0
    elif model.has_encoder:
        assert model.card.metrics["test_reconstruction_mse"] > 0


@pytest.mark.usefixtures("tiny_networks")
def test_same_seed_gives_identical_weights(tmp_path):
    args = ("--model", "vae-mlp", "--epochs", "2", "--batch-size", "256", "--seed", "7")
    first = read_checkpoint(_train(tmp_path, *args, name="a"))[1]
    second = read_checkpoint(_train(tmp_path, *args, name="b"))[1]
    other = read_checkpoint(_train(tmp_path, *args[:-1], "8", name="c"))[1]
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert not all(torch.equal(first[k], other[k]) for k in first)


# vae-gan and aae: several optimizers stepping one model, and a discriminator kept in the run file.
@pytest.mark.usefixtures("tiny_networks")
@pytest.mark.parametrize("preset", ["vae-mlp", "dcgan", "vae-gan", "aae"])
def test_resume_continues_exactly(tmp_path, preset):
    common = ("--model", preset, "--batch-size", "256", "--seed", "3")
    straight = _train(tmp_path, *common, "--epochs", "2", name="straight")
    _train(tmp_path, *common, "--epochs", "1", name="half")
    resumed = _train(tmp_path, *common, "--epochs", "2", "--resume",
                     str(tmp_path / "run-half" / "state.safetensors"), name="resumed")
    expected, found = read_checkpoint(straight)[1], read_checkpoint(resumed)[1]
    assert all(torch.equal(expected[k], found[k]) for k in expected)
    assert len(load_model(resumed).card.training.record["history"]) == 2


@pytest.mark.usefixtures("tiny_networks")
def test_a_kept_state_writes_the_model_as_it_was_at_its_epoch(tmp_path):
    common = ("--model", "dcgan", "--batch-size", "256")
    _train(tmp_path, *common, "--epochs", "3", "--keep-states", "2", name="long")
    kept = tmp_path / "run-long" / "epochs"
    assert sorted(path.name for path in kept.iterdir()) == ["ep002.safetensors"]
    then = _train(tmp_path, *common, "--epochs", "2", "--resume", str(kept / "ep002.safetensors"),
                  name="then")
    straight = _train(tmp_path, *common, "--epochs", "2", name="straight")
    expected, found = read_checkpoint(straight)[1], read_checkpoint(then)[1]
    assert expected.keys() == found.keys() and all(torch.equal(expected[k], found[k]) for k in expected)
    with pytest.raises(SystemExit, match="--keep-states must be >= 0"):
        _train(tmp_path, *common, "--epochs", "1", "--keep-states", "-1", name="refused")


@pytest.mark.usefixtures("tiny_networks")
def test_resume_keeps_the_runs_learning_rate_unless_given_a_new_one(tmp_path):
    common = ("--model", "vae-mlp", "--batch-size", "256")
    _train(tmp_path, *common, "--epochs", "1", "--lr", "3e-4", name="first")
    state = ("--resume", str(tmp_path / "run-first" / "state.safetensors"), "--epochs", "2")
    kept = load_model(_train(tmp_path, *common, *state, name="kept")).card.training.record
    lowered = load_model(_train(tmp_path, *common, *state, "--lr", "1e-5", name="lowered"))
    lowered = lowered.card.training.record
    assert kept["lr"] == 3e-4 and [h["lr"] for h in kept["history"]] == [3e-4, 3e-4]
    assert lowered["lr"] == 1e-5 and [h["lr"] for h in lowered["history"]] == [3e-4, 1e-5]
    saved = read_checkpoint(tmp_path / "run-lowered" / "state.safetensors")[0]["training"]["resume"]
    assert {g["lr"] for groups in saved["param_groups"].values() for g in groups} == {1e-5}


@pytest.mark.parametrize(("preset", "other"), [("infogan", "discriminator"), ("wgan-gp", "critic")])
def test_two_time_scale_rates_reach_each_optimizer_and_survive_a_resume(tmp_path, preset, other):
    common = ("--model", preset, "--dry-run")
    _train(tmp_path, *common, "--lr", "1e-3", "--lr-d", "2e-4", name="first")
    first = read_checkpoint(tmp_path / "run-first" / "state.safetensors")[0]["training"]
    groups = first["resume"]["param_groups"]
    assert groups["generator"][0]["lr"] == 1e-3 and groups[other][0]["lr"] == 2e-4
    assert first["lr_d"] == 2e-4 and first["history"][0]["lr_d"] == 2e-4
    resumed = _train(tmp_path, *common, "--resume", str(tmp_path / "run-first" / "state.safetensors"),
                     name="again")
    assert load_model(resumed).card.training.record["lr_d"] == 2e-4


def test_a_vae_has_no_discriminator_rate(tmp_path):
    with pytest.raises(SystemExit, match="models trained with a discriminator"):
        _train(tmp_path, "--model", "vae-mlp", "--dry-run", "--lr-d", "1e-4")


DDP_RUN_TIMEOUT_S = 300


@pytest.fixture(scope="module")
def ddp_runs(request):
    """The folder of the checkpoints of ``tests.background_runs.ddp_launch``: each preset of
    ``DDP_PRESETS`` trained in turn in one two-process group."""
    return background_runs.output(request.config, background_runs.DDP_LAUNCH, DDP_RUN_TIMEOUT_S)


@pytest.mark.parametrize("preset", DDP_PRESETS)
def test_two_process_ddp_run(ddp_runs, preset):
    model = load_model(ddp_runs / f"{preset}.safetensors")
    assert model.card.training.record["world_size"] == 2
    # 1437 digits split over 2 ranks with 64 per rank per step: ceil(718 / 64) steps.
    assert model.card.training.record["steps"] == 12
    assert torch.isfinite(model.sample(4)).all()


def test_offline_missing_data_exits_with_the_layout(tmp_path):
    with pytest.raises(SystemExit, match="MNIST/raw"):
        main(["--model", "vae-mlp", "--dataset", "mnist", "--data-root", str(tmp_path),
              "--no-download", "--out", str(tmp_path / "x.safetensors")])


@pytest.mark.parametrize(("preset", "flags", "expected"), [
    ("dcgan", ["--feature-matching", "--minibatch-discrimination", "--label-smoothing", "0.9"],
     {"feature_matching": True, "minibatch_discrimination": True, "label_smoothing": 0.9}),
    ("wgan", ["--n-critic", "2", "--clip-value", "0.02"], {"n_critic": 2, "clip_value": 0.02}),
    ("wgan-gp", ["--gp-weight", "5"], {"n_critic": 5, "gp_weight": 5.0}),
    ("infogan", ["--label-smoothing", "0.9"], {"label_smoothing": 0.9, "feature_matching": False}),
    ("vae-conv", ["--binarize"], {"binarize": True}),
])
def test_training_options_are_recorded_in_the_checkpoint(tmp_path, preset, flags, expected):
    model = load_model(_train(tmp_path, "--model", preset, "--dry-run", *flags))
    options = model.card.training.record["options"]
    assert expected.items() <= options.items()
    if "--binarize" in flags:
        assert "binarized" in model.card.normalization


@pytest.mark.parametrize(("preset", "flags", "message"), [
    ("vae-mlp", ["--feature-matching"], "--feature-matching does not apply to --model vae-mlp"),
    ("wgan", ["--gp-weight", "10"], "--gp-weight does not apply"),
    ("dcgan", ["--binarize"], "--binarize does not apply"),
    ("dcgan", ["--label-smoothing", "0.3"], "label_smoothing"),
])
def test_options_a_trainer_lacks_are_refused(tmp_path, preset, flags, message):
    with pytest.raises(SystemExit, match=message):
        _train(tmp_path, "--model", preset, "--dry-run", *flags)


def test_a_resume_with_other_options_or_no_file_is_refused_naming_what_differs(tmp_path):
    _train(tmp_path, "--model", "dcgan", "--dry-run", name="first")
    with pytest.raises(SystemExit, match=r"trained with options feature_matching=False, "
                                          r"not feature_matching=True: a run state goes on"):
        _train(tmp_path, "--model", "dcgan", "--dry-run", "--feature-matching", "--resume",
               str(tmp_path / "run-first" / "state.safetensors"), name="second")
    with pytest.raises(SystemExit, match=r"--resume missing\.safetensors: no such file"):
        _train(tmp_path, "--model", "dcgan", "--dry-run", "--resume", str(tmp_path / "missing.safetensors"),
               name="third")


@pytest.mark.usefixtures("tiny_networks")
def test_a_time_budget_stops_between_epochs_and_still_writes_the_checkpoint(tmp_path):
    common = ("--model", "dcgan", "--batch-size", "512", "--epochs", "3")
    spent = load_model(_train(tmp_path, *common, "--max-minutes", "0", name="spent"))
    ample = load_model(_train(tmp_path, *common, "--max-minutes", "60", name="ample"))
    assert spent.card.training.record["epochs"] == 1  # the first epoch always runs
    assert ample.card.training.record["epochs"] == 3
    state = str(tmp_path / "run-spent" / "state.safetensors")
    resumed = load_model(_train(tmp_path, *common, "--resume", state, name="resumed"))
    assert resumed.card.training.record["epochs"] == 3


# The presets as shipped: a tiny network's epoch rounds to 0.0 s.
def test_training_time_is_kept_per_device_across_a_resume(tmp_path):
    common = ("--model", "dcgan", "--batch-size", "512", "--device", "cpu")
    _train(tmp_path, *common, "--epochs", "1", name="first")
    state = tmp_path / "run-first" / "state.safetensors"
    update_metadata(state, training={"device": "cuda:0", "seconds_by_device": {"cuda": 100.0}})
    resumed = load_model(_train(tmp_path, *common, "--epochs", "2", "--resume", str(state), name="on"))
    by_device = resumed.card.training.record["seconds_by_device"]
    assert by_device["cuda"] == 100.0 and by_device["cpu"] > 0
    assert resumed.card.training.duration_text.startswith("1.7 min GPU + ")


@pytest.mark.usefixtures("tiny_networks")
def test_a_vae_goes_on_from_a_model_file_with_fresh_optimizers(tmp_path):
    common = ("--model", "vae-mlp", "--batch-size", "256")
    first = _train(tmp_path, *common, "--epochs", "2", name="first")
    longer = load_model(_train(tmp_path, *common, "--epochs", "3", "--lr", "1e-4", "--resume", str(first),
                               name="longer"))
    training = longer.card.training.record
    assert training["epochs"] == 3 and [h["lr"] for h in training["history"]] == [1e-3, 1e-3, 1e-4]
    assert training["optimizer_restarts"] == (2,)
    assert training["steps"] == 3 * load_model(first).card.training.record["steps"] // 2
    before, after = read_checkpoint(first)[1], read_checkpoint(tmp_path / "longer.safetensors")[1]
    assert not all(torch.equal(before[k], after[k]) for k in before)  # it trained on from there
    state = tmp_path / "run-longer" / "state.safetensors"
    again = load_model(_train(tmp_path, *common, "--epochs", "4", "--resume", str(state), name="again"))
    assert again.card.training.record["optimizer_restarts"] == (2,)  # kept through a run-state resume


@pytest.mark.parametrize("preset", ["dcgan", "vae-gan"])
def test_a_model_file_cannot_resume_what_it_does_not_hold(tmp_path, preset):
    first = _train(tmp_path, "--model", preset, "--dry-run", name="first")
    with pytest.raises(SystemExit, match="is a model file, not a run state"):
        _train(tmp_path, "--model", preset, "--dry-run", "--resume", str(first), name="second")


def _parameters(path):
    """A file's learned weights (batch-norm statistics, which a forward pass moves, left out)."""
    return {k: v for k, v in read_checkpoint(path)[1].items() if "running_" not in k and "batches" not in k}


@pytest.mark.usefixtures("tiny_networks")
@pytest.mark.parametrize("preset", ["dcgan", "vae-gan"])
def test_a_model_file_goes_on_with_new_discriminators_trained_alone_first(tmp_path, preset):
    common = ("--model", preset, "--batch-size", "256")
    first = _train(tmp_path, *common, "--epochs", "2", name="first")
    fresh = ("--resume", str(first), "--fresh-discriminator-epochs", "1", "--lr", "1e-4")
    held = _train(tmp_path, *common, "--epochs", "3", *fresh, name="held")
    on = _train(tmp_path, *common, "--epochs", "4", *fresh, name="on")
    before, still = _parameters(first), _parameters(held)
    assert still.keys() == before.keys() and all(torch.equal(still[k], v) for k, v in before.items())
    trained_on = _parameters(on)
    assert not all(torch.equal(trained_on[k], v) for k, v in _parameters(first).items())
    training = load_model(on).card.training.record
    assert [h["lr"] for h in training["history"]][2:] == [0.0, 1e-4]
    assert [tuple(span) for span in training["fresh_discriminators"]] == [(2, 3)]
    state = tmp_path / "run-on" / "state.safetensors"
    again = load_model(_train(tmp_path, *common, "--epochs", "5", "--resume", str(state), name="again"))
    assert [tuple(span) for span in again.card.training.record["fresh_discriminators"]] == [(2, 3)]
    assert again.card.training.record["history"][-1]["lr"] == 1e-4


@pytest.mark.usefixtures("tiny_networks")
def test_new_discriminators_are_refused_to_a_model_without_one(tmp_path):
    first = _train(tmp_path, "--model", "vae-mlp", "--batch-size", "256", "--epochs", "1", name="first")
    with pytest.raises(SystemExit, match="trains no discriminator"):
        _train(tmp_path, "--model", "vae-mlp", "--epochs", "2", "--resume", str(first),
               "--fresh-discriminator-epochs", "1", name="second")
