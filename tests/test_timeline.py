"""The training timeline: snapshots taken, thinned to a budget, written, refused when hostile, read back."""

from __future__ import annotations

import io

import pytest
import torch
from PIL import Image

from gen_core.files.checkpoint import load_model, load_snapshot, model_metadata, write_safetensors
from gen_core.files.errors import CheckpointError
from gen_core.files.timeline import MAX_SNAPSHOTS, tensor_name
from gen_core.media.downloads import TIMELINE_HOLD_FRAMES, timeline_gif
from gen_core.train import cli
from gen_core.train.timeline import model_bytes, snapshot_bytes, snapshot_steps, thinned
from gen_core.train.vae_trainer import VAETrainer
from tests.conftest import tiny_model
from tests.tiny_presets import tiny_presets


@pytest.fixture
def tiny_networks(monkeypatch):
    monkeypatch.setattr(cli, "PRESETS", tiny_presets())


def _train(tmp_path, *extra, name="m"):
    out = tmp_path / f"{name}.safetensors"
    cli.main(["--model", "vae-mlp", "--dataset", "digits", "--batch-size", "256", "--out", str(out),
              "--run-dir", str(tmp_path / f"run-{name}"), *extra])
    return out


def test_snapshot_steps_are_geometric_and_end_at_the_last_step():
    assert snapshot_steps(6, 2800) == [1, 5, 24, 117, 572, 2800]
    assert snapshot_steps(5, 3) == [1, 2, 3]
    assert snapshot_steps(4, 10) == [1, 2, 5, 10]
    assert snapshot_steps(0, 10) == [] and snapshot_steps(1, 10) == [10]


def test_thinning_keeps_the_first_and_last_evenly():
    assert thinned(7, 3) == [0, 3, 6] and thinned(3, 5) == [0, 1, 2] and thinned(4, 0) == []


@pytest.mark.usefixtures("tiny_networks")
def test_snapshots_hold_the_weights_at_their_steps(tmp_path, monkeypatch):
    seen: dict[int, dict[str, torch.Tensor]] = {}
    step = VAETrainer.train_step

    def spied(self, batch):
        losses = step(self, batch)
        seen[self.steps + 1] = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        return losses

    monkeypatch.setattr(VAETrainer, "train_step", spied)
    out = _train(tmp_path, "--epochs", "3", "--snapshots", "4", "--snapshot-budget-mib", "4")
    model = load_model(out)
    timeline = model.card.timeline
    assert [s.step for s in timeline] == snapshot_steps(4, max(seen))
    assert [s.stored for s in timeline] == [True, True, True, False] and timeline[-1].epoch == 3
    assert timeline[0].holds == ("decoder", "encoder")
    for index, snapshot in enumerate(timeline):
        weights = load_snapshot(out, index).state_dict()
        for name, tensor in seen[snapshot.step].items():
            expected = tensor.half().float() if snapshot.stored else tensor
            assert torch.equal(weights[name], expected), (index, name)
    assert all(torch.equal(a, b) for a, b in zip(load_snapshot(out, 3).state_dict().values(),
                                                 model.state_dict().values(), strict=True))


@pytest.mark.usefixtures("tiny_networks")
def test_the_budget_thins_the_timeline_and_by_default_at_most_doubles_the_file(tmp_path):
    default = load_model(_train(tmp_path, "--epochs", "2", "--snapshots", "6", name="default"))
    assert sum(s.stored for s in default.card.timeline) == model_bytes(default) // snapshot_bytes(default)
    two = (2 * snapshot_bytes(default) + 16) / 2**20  # a little over two, whatever the rounding
    thin = load_model(_train(tmp_path, "--epochs", "2", "--snapshots", "6", "--snapshot-budget-mib",
                             f"{two:.9f}", name="thin")).card.timeline
    assert len(thin) == 3 and thin[0].step == 1 and not thin[-1].stored
    none = load_model(_train(tmp_path, "--epochs", "1", "--snapshots", "6", "--snapshot-budget-mib", "0",
                             name="none")).card
    assert none.timeline == ()


@pytest.mark.usefixtures("tiny_networks")
def test_a_resumed_run_keeps_the_snapshots_of_its_first_part(tmp_path):
    args = ("--snapshots", "5", "--snapshot-budget-mib", "4", "--seed", "2")
    straight = _train(tmp_path, "--epochs", "2", *args, name="straight")
    half = load_model(_train(tmp_path, "--epochs", "1", *args, name="half")).card.timeline
    resumed = _train(tmp_path, "--epochs", "2", *args, "--resume",
                     str(tmp_path / "run-half" / "state.safetensors"), name="resumed")
    timeline = load_model(resumed).card.timeline
    # The first part planned its snapshots over its own steps; the second adds its end.
    end = load_model(straight).card.timeline[-1].step
    assert [s.step for s in timeline] == [s.step for s in half] + [end]
    first, again = load_snapshot(resumed, 0).state_dict(), load_snapshot(straight, 0).state_dict()
    assert all(torch.equal(first[k], again[k]) for k in first)


def _write(tmp_path, timeline, tensors, name="hostile"):
    model = tiny_model("vae", 0)
    meta = {**model_metadata(model, {"name": "digits"}), "timeline": timeline}
    weights = {k: v.contiguous() for k, v in model.state_dict().items()}
    return write_safetensors(tmp_path / f"{name}.safetensors", {**weights, **tensors}, "gen_core", meta)


def _entry(step, stored=True, holds=("decoder", "encoder")):
    return {"epoch": step / 10, "step": step, "holds": list(holds), "stored": stored}


def _snapshot_tensors(index, shrink=0):
    model = tiny_model("vae", 0)
    return {tensor_name(index, k): torch.zeros(v.shape[0] - shrink if shrink and v.dim() == 2 else v.shape[0],
                                               *v.shape[1:], dtype=torch.float16)
            for k, v in model.state_dict().items()}


@pytest.mark.parametrize(("timeline", "tensors", "says"), [
    ([_entry(s) for s in range(MAX_SNAPSHOTS + 1)], {}, f"at most {MAX_SNAPSHOTS}"),
    ([_entry(1), _entry(2, stored=False)], {}, "missing timeline tensor"),
    ([_entry(1), _entry(2, stored=False)], "shrunk", "the network needs"),
    ([_entry(2, stored=False)], "stray", "does not declare"),
    ([_entry(2), _entry(1, stored=False)], {}, "training order"),
    ([_entry(1, stored=False), _entry(2)], {}, "only the last"),
    ([_entry(1, holds=("decoder",)), _entry(2, stored=False)], {}, "holds ['decoder']"),
    ([{"epoch": 1, "step": 1}], {}, "exactly the keys"),
    ("all", {}, "not a list"),
])
def test_hostile_timeline_declarations_are_refused_by_name(tmp_path, timeline, tensors, says):
    if tensors == "shrunk":
        tensors = _snapshot_tensors(0, shrink=1)
    elif tensors == "stray":
        tensors = _snapshot_tensors(5)
    path = _write(tmp_path, timeline, tensors)
    with pytest.raises(CheckpointError) as caught:
        load_model(path)
    assert says in str(caught.value) and path.name in str(caught.value)


def test_a_timeline_beyond_the_byte_cap_is_refused_before_reading(tmp_path, monkeypatch):
    path = _write(tmp_path, [_entry(1), _entry(2, stored=False)], _snapshot_tensors(0))
    assert load_snapshot(path, 0).latent_dim == load_model(path).latent_dim
    monkeypatch.setattr("gen_core.files.timeline.MAX_TIMELINE_BYTES", 100)
    with pytest.raises(CheckpointError, match="more than the"):
        load_model(path)


def test_a_snapshot_index_outside_the_timeline_is_refused(tmp_path):
    path = _write(tmp_path, [_entry(1), _entry(2, stored=False)], _snapshot_tensors(0))
    with pytest.raises(CheckpointError, match="2 snapshot"):
        load_snapshot(path, 2)


def test_timeline_gif_has_one_frame_per_snapshot_and_holds_the_last():
    frames = torch.rand(4, 1, 8, 8)
    data = timeline_gif(frames, target_px=32)
    picture = Image.open(io.BytesIO(data))
    assert data[:6] == b"GIF89a" and picture.n_frames == 4
    first = picture.info["duration"]
    picture.seek(3)  # the held copies of the last frame merge into one longer frame
    assert picture.info["duration"] == first * (1 + TIMELINE_HOLD_FRAMES)


def test_timeline_gif_of_a_row_per_snapshot_shows_the_whole_row():
    data = timeline_gif(torch.rand(3, 5, 1, 8, 8), target_px=100)
    picture = Image.open(io.BytesIO(data))
    assert picture.n_frames == 3 and picture.width > 2 * picture.height  # five pictures side by side
