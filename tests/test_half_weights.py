"""Large weights stored in float16: written by ``save_model(half=True)``, ``--half-weights`` and
``gen_core.files.halve``, widened on load, and refused where the header and data disagree."""

import json
import struct

import pytest
import torch

from gen_core.files import checkpoint
from gen_core.files.checkpoint import (
    CheckpointError,
    half_stored_names,
    inspect_checkpoint,
    load_model,
    read_checkpoint,
    round_to_half,
    save_model,
)
from gen_core.files.halve import main as halve_main
from gen_core.train import cli
from tests.conftest import tiny_model
from tests.tiny_presets import tiny_presets


@pytest.fixture(autouse=True)
def small_threshold(monkeypatch):
    """The tiny models' weight matrices count as large, so they have some to halve and some not."""
    monkeypatch.setattr(checkpoint, "HALF_MIN_ELEMENTS", 64)


def _dtypes(path) -> dict[str, str]:
    with open(path, "rb") as file:
        length = struct.unpack("<Q", file.read(8))[0]
        header = json.loads(file.read(length))
    return {name: entry["dtype"] for name, entry in header.items() if name != "__metadata__"}


def _rewrite_header(path, change) -> None:
    """Apply ``change`` to the parsed header of ``path`` and write it back before the same data."""
    data = path.read_bytes()
    length = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + length])
    change(header)
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + data[8 + length:])


def test_a_half_stored_file_loads_as_the_rounded_model_in_float32(tmp_path):
    model = tiny_model("vae")
    full = save_model(model, tmp_path / "full.safetensors")
    half = save_model(model, tmp_path / "half.safetensors", half=True)
    names = half_stored_names(model)
    dtypes = _dtypes(half)
    assert names and {dtypes[n] for n in names} == {"F16"}
    assert {d for n, d in dtypes.items() if n not in names} == {"F32"}  # biases stay exact
    assert half.stat().st_size < full.stat().st_size

    loaded = load_model(half)
    assert {p.dtype for p in loaded.parameters()} == {torch.float32}
    z = model.sample_latent(16, torch.Generator().manual_seed(1))
    assert round_to_half(model) == names
    assert torch.equal(loaded.decode(z), model.decode(z))


def test_a_weight_beyond_float16s_range_stays_float32(tmp_path):
    model = tiny_model("vae")
    name, weight = next((n, w) for n, w in model.named_parameters() if w.numel() >= 64)
    with torch.no_grad():
        weight[0] = 1e6
    assert name not in half_stored_names(model)
    path = save_model(model, tmp_path / "m.safetensors", half=True)
    assert _dtypes(path)[name] == "F32"
    assert torch.equal(dict(load_model(path).named_parameters())[name], weight)


def test_only_float32_weights_may_be_stored_in_half(tmp_path):
    model = tiny_model("dcgan")
    tensors = dict(model.state_dict())
    counter = next(n for n, t in tensors.items() if t.dtype == torch.int64)  # batch norm's count
    tensors[counter] = tensors[counter].half()
    path = tmp_path / "counter.safetensors"
    checkpoint.write_safetensors(path, tensors, checkpoint.METADATA_KEY, checkpoint.model_metadata(model))
    with pytest.raises(CheckpointError, match=f"tensor '{counter}' has dtype F16, expected I64$"):
        inspect_checkpoint(path)

    weight = next(n for n, t in tensors.items() if t.dtype == torch.float32)
    tensors[counter], tensors[weight] = model.state_dict()[counter], tensors[weight].double()
    checkpoint.write_safetensors(path, tensors, checkpoint.METADATA_KEY, checkpoint.model_metadata(model))
    with pytest.raises(CheckpointError, match=f"tensor '{weight}' has dtype F64, expected F32 or F16"):
        load_model(path)


def test_a_declared_dtype_whose_data_is_another_size_is_refused_from_the_header(tmp_path):
    model = tiny_model("vae")
    path = save_model(model, tmp_path / "m.safetensors")
    name = half_stored_names(model)[0]
    _rewrite_header(path, lambda header: header[name].update(dtype="F16"))
    elements = model.state_dict()[name].numel()
    says = f"tensor '{name}': its data is {4 * elements} bytes, its shape and dtype need {2 * elements}"
    for opening in (inspect_checkpoint, load_model):
        with pytest.raises(CheckpointError, match=says):
            opening(path)


def test_the_halve_command_rewrites_a_file_keeping_its_card(tmp_path, capsys):
    model = tiny_model("vae")
    path = save_model(model, tmp_path / "m.safetensors", metrics={"test_reconstruction_mse": 0.01})
    before = path.stat().st_size
    halve_main([str(path)])
    printed = capsys.readouterr().out
    assert f"{len(half_stored_names(model))} weights in float16" in printed
    assert "largest change of a decoded pixel over 64 latents" in printed
    assert path.stat().st_size < before
    metrics = {"test_reconstruction_mse": 0.01}
    assert read_checkpoint(path)[0] == checkpoint.model_metadata(model, metrics=metrics)
    assert "F16" in _dtypes(path).values()

    with pytest.raises(SystemExit, match=r"error: gone\.safetensors: no such file"):
        halve_main([str(tmp_path / "gone.safetensors")])


def test_training_with_half_weights_measures_and_ships_the_rounded_weights(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "PRESETS", tiny_presets())
    measured = {}
    held_out = cli.held_out_metrics

    def recording(model, test, binarized):
        measured.update({n: w.detach().clone() for n, w in model.named_parameters()})
        return held_out(model, test, binarized)

    monkeypatch.setattr(cli, "held_out_metrics", recording)
    runs = {}
    for name, flags in (("full", ()), ("half", ("--half-weights",))):
        out = tmp_path / f"{name}.safetensors"
        cli.main(["--dataset", "digits", "--model", "vae-mlp", "--epochs", "1", "--seed", "3",
                  "--out", str(out), "--run-dir", str(tmp_path / f"run-{name}"), *flags])
        runs[name] = out
    shipped = dict(load_model(runs["half"]).named_parameters())
    assert all(torch.equal(measured[n], shipped[n]) for n in shipped)  # measured what ships
    full = dict(load_model(runs["full"]).named_parameters())
    halved = {n for n, d in _dtypes(runs["half"]).items() if d == "F16"}
    assert halved and "F16" not in _dtypes(runs["full"]).values()
    for name, weight in full.items():  # the same run, its large weights rounded
        assert torch.equal(shipped[name], weight.half().float() if name in halved else weight)
