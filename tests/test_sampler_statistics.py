"""Batch-norm statistics measured on prior samples, for the generators that also decode codes."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gen_core.data import load_dataset
from gen_core.files import checkpoint
from gen_core.files.checkpoint import (
    METADATA_KEY,
    load_model,
    load_snapshot,
    read_checkpoint,
    write_safetensors,
)
from gen_core.files.errors import CheckpointError
from gen_core.files.timeline import tensor_name
from gen_core.train import cli
from gen_core.train.distributed import DistContext
from gen_core.train.loop import RunConfig
from gen_core.train.mode_regularized_trainer import ModeRegularizedGANTrainer
from gen_core.train.sampler_statistics import (
    main,
    recompute_sampler_statistics,
    rewrite_file,
    sampler_layers,
    statistics_record,
)
from tests.conftest import tiny_model
from tests.tiny_presets import tiny_presets

STATISTICS = ("running_mean", "running_var")


@torch.no_grad()
def _statistics_of_codes(model):
    """``model`` with the running statistics a run leaves when codes far off the prior pass
    through its generator as often as samples do."""
    model.train()
    for scale in (1.0, 4.0) * 20:
        model.decode(scale * torch.randn(64, model.latent_dim))
    return model.eval()


def _buffers(model) -> dict[str, torch.Tensor]:
    return {name: buffer.clone() for name, buffer in model.named_buffers()}


@torch.no_grad()
def _gap_to_training(model, z) -> float:
    """Mean pixel gap between ``decode(z)`` as shipped (running statistics) and as trained (the
    batch's own statistics; ``z`` is a large batch of prior samples)."""
    trained = model.train().decode(z)
    return (model.eval().decode(z) - trained).abs().mean().item()


@pytest.mark.parametrize("family", ["mode-regularized", "vae-gan"])
def test_samples_are_decoded_as_training_normalized_them(family):
    model = _statistics_of_codes(tiny_model(family))
    z = torch.randn(4096, model.latent_dim, generator=torch.Generator().manual_seed(1))
    before = _gap_to_training(model, z)
    measured = recompute_sampler_statistics(model)
    after = _gap_to_training(model, z)
    assert measured == list(sampler_layers(model)) and all(name.startswith("generator.") for name in measured)
    assert after < before / 5, (before, after)


def test_nothing_else_changes():
    model = _statistics_of_codes(tiny_model("mode-regularized"))
    model.to_code = nn.Sequential(model.to_code, nn.BatchNorm1d(model.latent_dim))  # an encoder's layer
    model.to_code[1].running_var.fill_(3.0)
    weights, rng = {k: v.clone() for k, v in model.named_parameters()}, torch.get_rng_state()
    for training in (True, False):
        model.train(training)
        recompute_sampler_statistics(model)
        assert model.training is training
    assert "to_code.1" not in recompute_sampler_statistics(model)
    assert torch.equal(model.to_code[1].running_var, torch.full((model.latent_dim,), 3.0))
    assert all(torch.equal(v, weights[k]) for k, v in model.named_parameters())
    assert torch.equal(torch.get_rng_state(), rng)  # the run's random stream is its own
    assert all(layer.momentum == 0.1 for layer in sampler_layers(model).values())


def test_the_shipped_weights_carry_them_and_the_live_ones_keep_their_own(tmp_path):
    model = _statistics_of_codes(tiny_model("mode-regularized"))
    data = load_dataset("digits", train=True).subset(64)
    trainer = ModeRegularizedGANTrainer(model, data, None, RunConfig(), DistContext(), tmp_path)
    live = _buffers(model)
    measured = _statistics_of_codes(tiny_model("mode-regularized"))
    recompute_sampler_statistics(measured)
    with trainer.shipped_weights():
        shipped = _buffers(model)
    assert all(torch.equal(shipped[k], v) for k, v in _buffers(measured).items() if k.endswith(STATISTICS))
    assert any(not torch.equal(shipped[k], live[k]) for k in live if k.endswith(STATISTICS))
    assert all(torch.equal(v, live[k]) for k, v in _buffers(model).items())
    assert trainer.training_summary()["sampler_statistics"] == statistics_record()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny mode-regularized GAN and DCGAN written by the training command (generator average,
    timeline), as ``{family: path}``."""
    folder = tmp_path_factory.mktemp("runs")
    files = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli, "PRESETS", tiny_presets())
        for preset in ("mrgan", "dcgan"):
            files[preset] = folder / f"{preset}.safetensors"
            cli.main(["--model", preset, "--dataset", "digits", "--epochs", "2", "--batch-size", "128",
                      "--ema-decay", "0.9", "--snapshots", "3", "--snapshot-budget-mib", "4",
                      "--out", str(files[preset]), "--run-dir", str(folder / f"run-{preset}")])
    return files


def _statistics_in(path) -> dict[str, torch.Tensor]:
    return {k: v for k, v in read_checkpoint(path)[1].items() if k.endswith(STATISTICS)}


def test_a_run_writes_them_into_its_file(trained):
    model = load_model(trained["mrgan"])
    assert model.card.training.record["sampler_statistics"] == statistics_record()
    written = _buffers(model)
    recompute_sampler_statistics(model)
    assert all(torch.allclose(v, written[k], atol=1e-6) for k, v in _buffers(model).items())
    assert "sampler_statistics" not in load_model(trained["dcgan"]).card.training.record


def test_an_older_file_is_given_them_with_its_timeline(trained, tmp_path):
    path = tmp_path / "older.safetensors"
    meta, tensors = read_checkpoint(trained["mrgan"])
    older = {k: v * 3 + 1 if k.endswith(STATISTICS) else v for k, v in tensors.items()}
    meta["training"].pop("sampler_statistics")
    write_safetensors(path, older, METADATA_KEY, meta)
    stored = [i for i, s in enumerate(load_model(path).card.timeline) if s.stored]
    assert stored

    measured = rewrite_file(path)

    _, rewritten = read_checkpoint(path)
    changed = {k for k in older if not torch.equal(older[k], rewritten[k])}
    expected = {f"{layer}.running_{s}" for layer in measured for s in ("mean", "var")}
    assert changed == expected | {tensor_name(i, k) for i in stored for k in expected}
    model = load_model(path)
    assert model.card.training.record["sampler_statistics"] == statistics_record() and not model.card.metrics
    for index in stored:
        snapshot = load_snapshot(path, index)
        written = _buffers(snapshot)
        recompute_sampler_statistics(snapshot)
        assert all(torch.allclose(v, written[k], atol=1e-2) for k, v in _buffers(snapshot).items()
                   if k.endswith(STATISTICS))  # float16 in the file


def test_a_file_that_draws_with_its_own_statistics_is_refused(trained):
    before = trained["dcgan"].read_bytes()
    with pytest.raises(CheckpointError, match="draws its samples with the statistics it trained with"):
        rewrite_file(trained["dcgan"])
    with pytest.raises(SystemExit, match=r"error: .*dcgan\.safetensors"):
        main([str(trained["dcgan"])])
    assert trained["dcgan"].read_bytes() == before


def test_a_file_of_half_weights_carries_the_statistics_of_its_rounded_weights(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "PRESETS", tiny_presets())
    monkeypatch.setattr(checkpoint, "HALF_MIN_ELEMENTS", 64)  # the tiny generator's layers count
    out = tmp_path / "half.safetensors"
    cli.main(["--model", "mrgan", "--dataset", "digits", "--epochs", "1", "--half-weights",
              "--out", str(out), "--run-dir", str(tmp_path / "run")])
    assert any(dtype == torch.float16 for dtype in (t.dtype for t in read_checkpoint(out)[1].values()))
    model = load_model(out)
    written = _buffers(model)
    recompute_sampler_statistics(model)
    assert all(torch.allclose(v, written[k], rtol=0, atol=1e-6) for k, v in _buffers(model).items())
