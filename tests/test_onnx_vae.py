"""Foreign VAEs: an ONNX decoder with its encoder graph beside it, as a folder's files or an upload."""

from __future__ import annotations

import pytest
import torch

from gen_core.cache import ArtifactCache, file_identity, model_identity, stale_cache_files
from gen_core.files.checkpoint import CheckpointError, load_model, load_model_bytes
from gen_core.files.onnx_graph import OnnxDecoder, OnnxVAE
from tests.foreign_vae import (
    LATENT,
    SHAPE,
    CodeEncoder,
    StatsEncoder,
    decoder_bytes,
    encoder_bytes,
    onnx_bytes,
    tiny_vae,
    write_foreign_vae,
)
from ui.catalog import upload_groups

IMAGES = torch.rand(5, *SHAPE, generator=torch.Generator().manual_seed(1))
Z = torch.randn(5, LATENT, generator=torch.Generator().manual_seed(2))


def assert_same_vae(model, vae, images=IMAGES, scaled=IMAGES) -> None:
    """``model`` encodes ``images`` as ``vae`` encodes ``scaled`` and decodes as it, within 1e-4."""
    with torch.no_grad():
        mu, logvar = vae.encode(scaled)
        posterior = model.encode(images)
        torch.testing.assert_close(posterior.mean, mu, atol=1e-4, rtol=0)
        torch.testing.assert_close(posterior.logvar, logvar, atol=1e-4, rtol=0)
        torch.testing.assert_close(model.decode(Z), vae.decode(Z), atol=1e-4, rtol=0)


def test_the_encoder_beside_the_decoder_by_convention_makes_a_vae(tmp_path):
    vae = write_foreign_vae(tmp_path)
    model = load_model(tmp_path / "foreign.onnx")
    assert isinstance(model, OnnxVAE) and model.has_encoder and model.latent_dim == LATENT
    assert not model.codes_are_points
    assert_same_vae(model, vae)
    assert model.card.family == "onnx-vae" and model.card.title == "ONNX VAE"
    assert model.card.provenance["encoder"] == "foreign.encoder.onnx"
    assert "two outputs" in model.card.provenance["encoder_posterior"]


def test_a_decoder_alone_stays_a_decoder(tmp_path):
    (tmp_path / "alone.onnx").write_bytes(decoder_bytes(tiny_vae()))
    assert type(load_model(tmp_path / "alone.onnx")) is OnnxDecoder


def test_the_property_names_an_encoder_of_one_output_split_in_halves_with_its_input_range(tmp_path):
    vae = tiny_vae(3)
    (tmp_path / "dec.onnx").write_bytes(decoder_bytes(vae, encoder="weights-enc.onnx"))
    (tmp_path / "weights-enc.onnx").write_bytes(
        encoder_bytes(vae, StatsEncoder, encoder_input_range="[-1, 1]"))
    model = load_model(tmp_path / "dec.onnx")
    assert_same_vae(model, vae, IMAGES, IMAGES * 2 - 1)  # the encoder sees [-1, 1] pixels
    assert model.card.provenance["encoder_input_range"] == [-1.0, 1.0]


def test_a_deterministic_encoder_of_flat_pixels_gives_its_code_and_says_so(tmp_path):
    vae = tiny_vae(4)
    model = load_model_bytes(decoder_bytes(vae), "d.onnx", external={"d.encoder.onnx": encoder_bytes(
        vae, CodeEncoder, flat=True)})
    with torch.no_grad():
        posterior = model.encode(IMAGES)
        torch.testing.assert_close(posterior.mean, vae.encode(IMAGES)[0], atol=1e-4, rtol=0)
    assert torch.equal(posterior.logvar, torch.zeros_like(posterior.logvar)) and model.codes_are_points
    assert model.card.provenance["encoder_posterior"].startswith("deterministic")


def test_an_upload_with_its_encoder_and_the_groups_of_files_uploaded_together():
    vae = tiny_vae(5)
    files = {"mine.onnx": decoder_bytes(vae), "mine.encoder.onnx": encoder_bytes(vae),
             "other.safetensors": b"x", "notes.txt": b"y"}
    groups = dict(upload_groups(files))
    assert set(groups) == {"mine.onnx", "other.safetensors"}
    assert set(groups["mine.onnx"]) == {"mine.encoder.onnx", "notes.txt"}
    assert groups["other.safetensors"] == {}
    model = load_model_bytes(files["mine.onnx"], "mine.onnx", external=groups["mine.onnx"])
    assert_same_vae(model, vae)
    named = {"dec.onnx": decoder_bytes(vae, encoder="anything.onnx"), "anything.onnx": encoder_bytes(vae)}
    assert [name for name, _ in upload_groups(named)] == ["dec.onnx"]


@pytest.mark.parametrize("name", ["../enc.onnx", "sub/enc.onnx", "/abs/enc.onnx", "c:\\enc.onnx",
                                  "a\\b.onnx", "d.onnx"])
def test_an_encoder_named_with_a_path_is_refused(tmp_path, name):
    (tmp_path / "d.onnx").write_bytes(decoder_bytes(tiny_vae(), encoder=name))
    with pytest.raises(CheckpointError, match="is not a plain file name beside the decoder"):
        load_model(tmp_path / "d.onnx")


def test_a_named_encoder_that_is_missing_is_refused(tmp_path):
    (tmp_path / "d.onnx").write_bytes(decoder_bytes(tiny_vae(), encoder="gone.onnx"))
    with pytest.raises(CheckpointError, match=r"'gone\.onnx', which is not beside the decoder"):
        load_model(tmp_path / "d.onnx")


class FiveValues(torch.nn.Module):
    def forward(self, x):
        return x.flatten(1)[:, :5] * 2


class ThreeEach(torch.nn.Module):
    def forward(self, x):
        flat = x.flatten(1)
        return flat[:, :3] * 2, flat[:, 3:6] * 2


@pytest.mark.parametrize(("encoder", "outputs", "match"), [
    (FiveValues(), ["stats"], r"its outputs hold \[5\] values per picture"),
    (ThreeEach(), ["mu", "logvar"], r"its outputs hold \[3, 3\] values per picture"),
])
def test_an_encoder_whose_outputs_do_not_fit_the_latent_is_refused(encoder, outputs, match):
    data = onnx_bytes(encoder, torch.rand(1, *SHAPE), outputs)
    said = rf"d\.onnx: its encoder 'd\.encoder\.onnx': {match}; the decoder's latent size is 4"
    with pytest.raises(CheckpointError, match=said):
        load_model_bytes(decoder_bytes(tiny_vae()), "d.onnx", external={"d.encoder.onnx": data})


def test_an_encoder_of_other_pictures_is_refused():
    data = onnx_bytes(FiveValues(), torch.rand(1, 1, 16, 16), ["stats"])
    with pytest.raises(CheckpointError, match=r"does not take the decoder's pictures \[1, 8, 8\]"):
        load_model_bytes(decoder_bytes(tiny_vae()), "d.onnx", external={"d.encoder.onnx": data})


def test_a_foreign_vaes_identity_and_caches_cover_its_encoder(tmp_path):
    write_foreign_vae(tmp_path, "v")
    decoder = tmp_path / "v.onnx"
    identity = model_identity(decoder)
    assert identity != file_identity(decoder)
    entry = ArtifactCache.beside(decoder).file("preview", "png")
    entry.parent.mkdir()
    entry.write_bytes(b"png")
    assert stale_cache_files(tmp_path) == []  # the pair's cache is current
    (tmp_path / "v.encoder.onnx").write_bytes(encoder_bytes(tiny_vae(1)))
    assert model_identity(decoder) != identity and stale_cache_files(tmp_path) == [entry]
