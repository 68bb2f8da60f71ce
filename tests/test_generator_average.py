"""The generator's weight average (EMA) and the hinge loss: exact values and what a run ships."""

import pytest
import torch
from torch import nn

from gen_core.files.checkpoint import load_model, read_checkpoint
from gen_core.train.cli import main
from gen_core.train.ema import WeightAverage
from gen_core.train.gan_trainer import discriminator_loss, generator_loss


def test_average_moves_by_one_minus_decay_and_copies_buffers():
    live = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    average = WeightAverage(live, decay=0.9)
    before = live[0].weight.detach().clone()
    with torch.no_grad():
        live[0].weight.add_(1.0)
        live[1].running_mean.fill_(5.0)
    average.update(step=10**6)  # long past the warm-up: the decay itself
    torch.testing.assert_close(average.average[0].weight, before + 0.1)
    assert torch.equal(average.average[1].running_mean, torch.full((2,), 5.0))


def test_warm_up_weighs_the_live_weights_early_and_reaches_the_decay():
    live = nn.Linear(1, 1, bias=False)
    average = WeightAverage(live, decay=0.999)
    assert [average.decay_at(n) for n in (0, 90, 10**6)] == [0.1, 0.91, 0.999]
    with torch.no_grad():
        live.weight.fill_(0.0)
        average.average.weight.fill_(1.0)
    average.update(step=0)  # 0.1 * 1 + 0.9 * 0
    torch.testing.assert_close(average.average.weight, torch.full((1, 1), 0.1))


def test_swapped_in_lends_the_average_and_gives_the_live_weights_back():
    live = nn.Linear(3, 1)
    average = WeightAverage(live, decay=0.5)
    with torch.no_grad():
        live.weight.fill_(2.0)
    kept = live.weight.detach().clone()
    with average.swapped_in():
        assert torch.equal(live.weight, average.average.weight)
    assert torch.equal(live.weight, kept)


@pytest.mark.parametrize("decay", [0.0, 1.0, -0.1])
def test_decay_outside_the_open_interval_is_refused(decay):
    with pytest.raises(ValueError, match="decay"):
        WeightAverage(nn.Linear(1, 1), decay)


def test_hinge_losses_at_known_points():
    logits = torch.tensor([2.0, 0.5, -1.0])
    # max(0, 1 - d): 0, 0.5, 2 -> mean 2.5/3; max(0, 1 + d): 3, 1.5, 0 -> mean 1.5
    assert discriminator_loss(logits, True, "hinge").item() == pytest.approx(2.5 / 3)
    assert discriminator_loss(logits, False, "hinge").item() == pytest.approx(1.5)
    assert generator_loss(logits, "hinge").item() == pytest.approx(-0.5)


def test_non_saturating_losses_at_zero_logits_are_log_two():
    zeros = torch.zeros(4)
    log2 = torch.log(torch.tensor(2.0)).item()
    assert discriminator_loss(zeros, True, "non-saturating").item() == pytest.approx(log2)
    assert discriminator_loss(zeros, False, "non-saturating").item() == pytest.approx(log2)
    assert generator_loss(zeros, "non-saturating").item() == pytest.approx(log2)


def _train(tmp_path, name, *extra):
    out = tmp_path / f"{name}.safetensors"
    main(["--model", "dcgan", "--dataset", "digits", "--latent-dim", "3", "--epochs", "1",
          "--batch-size", "256", "--out", str(out), "--run-dir", str(tmp_path / name), *extra])
    return out


def test_a_gan_run_ships_the_average_and_keeps_the_live_weights_for_resuming(tmp_path):
    shipped = read_checkpoint(_train(tmp_path, "ema", "--ema-decay", "0.9"))[1]
    state = read_checkpoint(tmp_path / "ema" / "state.safetensors")[1]
    key = "generator.net.0.weight"
    assert torch.equal(shipped[key], state["train.module.weight_average.net.0.weight"])
    assert not torch.equal(shipped[key], state[key])
    assert load_model(tmp_path / "ema.safetensors").card.training.record["ema_decay"] == 0.9


def test_ema_is_on_by_default_for_gans_and_off_with_zero(tmp_path):
    assert load_model(_train(tmp_path, "default")).card.training.record["ema_decay"] == 0.999
    plain = _train(tmp_path, "plain", "--ema-decay", "0", "--gan-loss", "hinge")
    training = load_model(plain).card.training.record
    assert training["ema_decay"] is None and training["options"]["gan_loss"] == "hinge"


def test_the_average_never_changes_what_the_generator_learns(tmp_path):
    """A run with the average and one without train the same live weights, so a recipe with
    ``ema_decay = 0`` makes the live weights of a run that kept an average."""
    _train(tmp_path, "ema", "--ema-decay", "0.9")
    live = read_checkpoint(tmp_path / "ema" / "state.safetensors")[1]
    plain = read_checkpoint(_train(tmp_path, "plain", "--ema-decay", "0"))[1]
    names = [k for k in plain if k.startswith("generator.")]
    assert names and all(torch.equal(live[k], plain[k]) for k in names)
