"""Checkpoints: exact round trips, and one clear CheckpointError per way a file can be bad."""

import json
import os
import pickle
import struct

import pytest
import torch
from safetensors.torch import save_file

from gen_core.files import checkpoint, decode_cost
from gen_core.files.checkpoint import (
    CheckpointError,
    inspect_checkpoint,
    load_model,
    load_model_bytes,
    model_metadata,
    save_model,
    update_metadata,
)
from gen_core.files.convert import convert
from tests.conftest import tiny_model, tiny_models


@pytest.mark.parametrize(("family", "config"), tiny_models(), ids=lambda v: getattr(v, "arch", str(v)))
def test_save_load_round_trip_is_bit_identical(tmp_path, family, config):
    model = tiny_model(family, [c for f, c in tiny_models() if f == family].index(config))
    path = save_model(model, tmp_path / "m.safetensors", dataset={"name": "digits"},
                      training={"epochs": 3}, metrics={"fd_classifier_features": 1.5})
    loaded = load_model(path)
    z = model.sample_latent(7, torch.Generator().manual_seed(3))
    assert torch.equal(model.decode(z), loaded.decode(z))
    card = loaded.card
    assert card.family == family and card.arch == model.arch
    assert card.image_shape == (1, 8, 8) and card.latent_spec == tuple(model.latent_spec)
    assert card.training.record == {"epochs": 3} and card.metrics == {"fd_classifier_features": 1.5}


def test_metadata_is_plain_json_under_gen_core_key(vae_file):
    from safetensors import safe_open

    with safe_open(str(vae_file), "pt") as handle:
        meta = json.loads(handle.metadata()["gen_core"])
    for key in ("schema_version", "family", "arch", "config", "latent_spec", "image_shape",
                "dataset", "training", "metrics"):
        assert key in meta


def test_update_metadata_merges_and_keeps_weights(vae_file, tiny_vae):
    update_metadata(vae_file, metrics={"fd_classifier_features": 2.0})
    loaded = load_model(vae_file)
    assert loaded.card.metrics == {"fd_classifier_features": 2.0}
    z = torch.zeros(1, 4)
    assert torch.equal(loaded.decode(z), tiny_vae.decode(z))


def _write(tmp_path, tensors, meta, name="bad.safetensors"):
    path = tmp_path / name
    save_file(tensors, str(path), metadata=None if meta is None else {"gen_core": meta})
    return path


def _valid_parts(model):
    return dict(model.state_dict()), model_metadata(model)


def _load_error(path) -> str:
    with pytest.raises(CheckpointError) as info:
        load_model(path)
    assert info.value.path.name == path.name
    assert str(info.value).startswith(path.name)
    return str(info.value)


def test_random_bytes_are_not_safetensors(tmp_path):
    path = tmp_path / "noise.safetensors"
    path.write_bytes(bytes(range(256)) * 4)
    assert "not a safetensors file" in _load_error(path)


def test_tiny_file_is_not_safetensors(tmp_path):
    path = tmp_path / "empty.safetensors"
    path.write_bytes(b"abc")
    assert "not a safetensors file" in _load_error(path)


def test_truncated_file(vae_file):
    data = vae_file.read_bytes()
    vae_file.write_bytes(data[: len(data) - 100])
    assert "truncated" in _load_error(vae_file)


def test_truncated_inside_header(vae_file):
    vae_file.write_bytes(vae_file.read_bytes()[:40])
    assert "truncated" in _load_error(vae_file)


def test_missing_metadata(tmp_path, tiny_vae):
    path = _write(tmp_path, dict(tiny_vae.state_dict()), None)
    assert "no 'gen_core' metadata" in _load_error(path)


def test_metadata_not_json(tmp_path, tiny_vae):
    path = _write(tmp_path, dict(tiny_vae.state_dict()), "{not json")
    assert "not valid JSON" in _load_error(path)


def test_metadata_missing_field(tmp_path, tiny_vae):
    tensors, meta = _valid_parts(tiny_vae)
    del meta["latent_spec"]
    assert "latent_spec" in _load_error(_write(tmp_path, tensors, json.dumps(meta)))


def test_unknown_family(tmp_path, tiny_vae):
    tensors, meta = _valid_parts(tiny_vae)
    meta["family"] = "flow"
    assert "unknown model family 'flow'" in _load_error(_write(tmp_path, tensors, json.dumps(meta)))


def test_unknown_schema_version(tmp_path, tiny_vae):
    tensors, meta = _valid_parts(tiny_vae)
    meta["schema_version"] = 99
    assert "schema version 99" in _load_error(_write(tmp_path, tensors, json.dumps(meta)))


def test_config_with_unknown_field(tmp_path, tiny_vae):
    tensors, meta = _valid_parts(tiny_vae)
    meta["config"]["depth"] = 3
    assert "depth" in _load_error(_write(tmp_path, tensors, json.dumps(meta)))


def test_missing_tensor(tmp_path, tiny_vae):
    tensors, meta = _valid_parts(tiny_vae)
    name = sorted(tensors)[0]
    del tensors[name]
    assert f"missing tensor(s) ['{name}']" in _load_error(_write(tmp_path, tensors, json.dumps(meta)))


def test_extra_tensor(tmp_path, tiny_vae):
    tensors, meta = _valid_parts(tiny_vae)
    tensors["surprise.weight"] = torch.zeros(2)
    assert "unexpected tensor(s) ['surprise.weight']" in _load_error(
        _write(tmp_path, tensors, json.dumps(meta)))


def test_wrong_shaped_tensor(tmp_path, tiny_vae):
    tensors, meta = _valid_parts(tiny_vae)
    name = next(k for k, v in tensors.items() if v.ndim == 2)
    tensors[name] = torch.zeros(3, 3)
    assert f"tensor '{name}' has shape (3, 3)" in _load_error(_write(tmp_path, tensors, json.dumps(meta)))


@pytest.mark.parametrize("bad_value", [float("nan"), float("inf")])
def test_non_finite_weights(tmp_path, tiny_vae, bad_value):
    tensors, meta = _valid_parts(tiny_vae)
    name = next(k for k, v in tensors.items() if v.ndim == 2)
    tensors[name] = tensors[name].clone()
    tensors[name][0, 0] = bad_value
    assert "non-finite" in _load_error(_write(tmp_path, tensors, json.dumps(meta)))


def test_latent_spec_disagreeing_with_config(tmp_path, tiny_vae):
    tensors, meta = _valid_parts(tiny_vae)
    meta["latent_spec"] = meta["latent_spec"][:2]
    assert "latent_spec" in _load_error(_write(tmp_path, tensors, json.dumps(meta)))


def test_too_large_file_is_refused_before_reading(vae_file, monkeypatch):
    monkeypatch.setattr(checkpoint, "MAX_FILE_BYTES", 1000)
    assert "too large" in _load_error(vae_file)


def test_pickle_files_are_never_unpickled(tmp_path, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a checkpoint was unpickled")

    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "load", forbidden)
    pt_path = tmp_path / "model.pt"
    torch.save({"w": torch.zeros(2)}, pt_path)
    assert "1 tensor, keys w: not an architecture" in _load_error(pt_path)
    assert "python -m gen_core.pack --module" in _load_error(pt_path)
    disguised = tmp_path / "disguised.safetensors"
    disguised.write_bytes(pt_path.read_bytes())
    assert "pickled" in _load_error(disguised)
    raw_pickle = tmp_path / "raw.safetensors"
    raw_pickle.write_bytes(pickle.dumps({"a": 1}))
    assert "pickled" in _load_error(raw_pickle)


def test_header_size_that_starts_like_a_pickle_still_loads(vae_file, tmp_path):
    # A header of 0x680 bytes is written 80 06 ...: one valid file in 256 starts with a pickle's byte.
    data = vae_file.read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    padded = 0x680 if size <= 0x680 else (size | 0xFF) + 0x81  # next size whose low byte is 0x80
    path = tmp_path / "padded.safetensors"  # JSON allows trailing spaces; tensor offsets are unchanged
    path.write_bytes(struct.pack("<Q", padded) + data[8:8 + size] + b" " * (padded - size) + data[8 + size:])
    assert path.read_bytes()[0] == 0x80
    load_model(path)


def test_absurd_header_size(tmp_path):
    path = tmp_path / "huge-header.safetensors"
    path.write_bytes(struct.pack("<Q", 2**40) + b"{}")
    assert "not a safetensors file" in _load_error(path)


def test_missing_file(tmp_path):
    assert "no such file" in _load_error(tmp_path / "absent.safetensors")


def test_convert_state_dict_then_load(tmp_path, tiny_vae):
    source = tmp_path / "weights.pth"
    torch.save(tiny_vae.state_dict(), source)
    config = model_metadata(tiny_vae)["config"]
    out = convert(source, "vae", config, tmp_path / "converted.safetensors")
    z = torch.randn(2, 4)
    assert torch.equal(load_model(out).decode(z), tiny_vae.decode(z))


def test_convert_refuses_arbitrary_pickles(tmp_path):
    source = tmp_path / "evil.pt"
    torch.save({"obj": object()}, source)
    with pytest.raises(CheckpointError, match="weights-only"):
        convert(source, "vae", {}, tmp_path / "out.safetensors")


def test_written_files_get_the_usual_permissions_not_owner_only(tmp_path):
    path = save_model(tiny_model("vae"), tmp_path / "m.safetensors")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    update_metadata(path, metrics={"recall": 0.5})
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize(("field", "value", "says"), [
    ("ngf", 40000, "ngf must be a whole number"),
    ("image_shape", None, "image_shape must be a list"),
    ("latent_dim", "64", "latent_dim must be a whole number"),
    ("latent_dim", True, "latent_dim must be a whole number"),
    ("image_shape", [1, 28], "image_shape must be [channels"),
    ("image_shape", [99, 28, 28], "image_shape must be [channels"),
])
def test_hostile_config_values_are_refused_before_anything_is_built(tmp_path, monkeypatch, field, value,
                                                                   says):
    model = tiny_model("dcgan")
    tensors, meta = _valid_parts(model)
    meta["config"][field] = value
    path = _write(tmp_path, tensors, json.dumps(meta))
    monkeypatch.setattr(type(model), "__init__", lambda *a: pytest.fail("a model was built"))
    monkeypatch.setattr(checkpoint, "load_safetensors_bytes", lambda *a: pytest.fail("weights were read"))
    assert says in _load_error(path)


def test_an_empty_list_of_widths_is_refused(tmp_path, tiny_vae):
    tensors, meta = _valid_parts(tiny_vae)
    meta["config"]["hidden"] = []
    assert "hidden must be a list of 1" in _load_error(_write(tmp_path, tensors, json.dumps(meta)))


def test_a_large_but_valid_config_is_checked_on_the_meta_device_without_allocating(tmp_path, monkeypatch):
    model = tiny_model("dcgan")
    tensors, meta = _valid_parts(model)
    meta["config"]["ngf"] = 4096  # a 3.3-billion-weight generator, were it built for real
    path = _write(tmp_path, tensors, json.dumps(meta))
    built, build = [], checkpoint.build_model

    def on_the_meta_device_only(*args):
        assert torch.get_default_device().type == "meta", "a model was built on a real device"
        built.append(build(*args))
        return built[-1]

    monkeypatch.setattr(checkpoint, "build_model", on_the_meta_device_only)
    monkeypatch.setattr(checkpoint, "load_safetensors_bytes", lambda *a: pytest.fail("weights were read"))
    assert "parameters; the cap is" in _load_error(path)  # refused by its cost, before any weight
    [model] = built
    assert all(p.is_meta for p in model.parameters())  # shapes only: no memory for its weights
    assert sum(p.numel() for p in model.parameters()) > 10**9


def test_bytes_load_like_the_file_and_errors_name_the_upload(vae_file, tiny_vae):
    data = vae_file.read_bytes()
    loaded = checkpoint.load_model_bytes(data, "mine.safetensors")
    z = torch.zeros(2, 4)
    assert torch.equal(loaded.decode(z), tiny_vae.decode(z))
    with pytest.raises(CheckpointError, match=r"^mine\.safetensors: truncated"):
        checkpoint.load_model_bytes(data[:-10], "mine.safetensors")
    with pytest.raises(CheckpointError, match=r"never loaded; .*not a torch.save zip.* convert it with "
                                              "`python -m gen_core.files.convert model.pth"):
        checkpoint.load_model_bytes(data, "model.pth")
    with pytest.raises(CheckpointError, match="looks like a pickled"):
        checkpoint.load_model_bytes(pickle.dumps({"w": [1.0] * 10}), "renamed.safetensors")


@pytest.mark.parametrize(("change", "says"), [
    ({"image_shape": [1, 4096, 4096]}, "4096 × 4096 pixels (the cap is 512 a side)"),
    ({"image_shape": [64, 16, 16]}, "64 channels"),
])
def test_a_dcgan_asking_for_huge_pictures_is_refused_before_it_is_built(tmp_path, monkeypatch, change, says):
    model = tiny_model("dcgan")
    tensors, meta = _valid_parts(model)
    meta["config"].update(change)
    meta.update(change)
    monkeypatch.setattr(checkpoint, "build_model", lambda *a: pytest.fail("built"))
    assert says in _load_error(_write(tmp_path, tensors, json.dumps(meta)))


def test_a_layer_too_costly_per_picture_is_refused_naming_the_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(decode_cost, "MAX_MULTIPLY_ADDS", 1_000)
    path = save_model(tiny_model("dcgan"), tmp_path / "g.safetensors")
    assert "multiply-adds; the cap is 1,000" in _load_error(path)


@pytest.mark.parametrize("header", [
    b'{"__metadata__": {"gen_core": "' + b"[" * 50_000 + b'"}}',  # nesting deeper than JSON recurses
    b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    b'{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, ' + b"9" * 5000 + b"]}}",
])
def test_malformed_headers_are_one_clear_refusal(tmp_path, header):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header)
    for read in (load_model, inspect_checkpoint, lambda p: load_model_bytes(p.read_bytes(), p.name)):
        with pytest.raises(CheckpointError, match=r"bad\.safetensors: "):
            read(path)


def test_an_unforeseen_fault_in_a_reader_is_a_refusal_of_that_file(tmp_path, monkeypatch):
    path = save_model(tiny_model("dcgan"), tmp_path / "g.safetensors")

    def broken(*args):
        raise IndexError("an index no check foresaw")

    monkeypatch.setattr(checkpoint, "_check_declared", broken)
    with pytest.raises(CheckpointError, match=r"malformed file \(IndexError: an index no check foresaw"):
        load_model(path)
