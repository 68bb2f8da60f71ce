"""State dict files in the model folder or uploaded: listed as error cards that say what they hold
and the command that makes them a model, and never unpickled on the way."""

import pickle

import pytest
import torch
from safetensors.torch import save_file

from gen_core.files.checkpoint import CheckpointError, load_model, load_model_bytes
from tests import public_networks as public
from tests.app_support import assert_clean, open_page, shown
from ui.catalog import CHECKPOINTS_ENV, catalog

CONVERT = "`python -m gen_core.files.convert {} --out {}.safetensors`"


@pytest.fixture
def state_dict_folder(tmp_path, monkeypatch):
    """A model folder holding only state dicts: recognised (.pt, .safetensors), a discriminator,
    and one of no known architecture."""
    torch.save({"netG": public.ExamplesGenerator(nz=100, ngf=64, nc=3).state_dict()}, tmp_path / "netG.pt")
    gan = public.PyTorchGANGenerator(latent_dim=100).state_dict()
    save_file({f"module.{k}": v for k, v in gan.items()}, str(tmp_path / "gan.safetensors"))
    torch.save(public.ExamplesDiscriminator(ndf=4, nc=1).state_dict(), tmp_path / "netD.pth")
    torch.save({"w": torch.zeros(3)}, tmp_path / "own.ckpt")
    monkeypatch.setenv(CHECKPOINTS_ENV, str(tmp_path))
    return tmp_path


def _forbidden(*args, **kwargs):
    raise AssertionError("a file was unpickled")


@pytest.fixture
def no_torch_load(monkeypatch):
    monkeypatch.setattr(torch, "load", _forbidden)


@pytest.fixture
def nothing_unpickled(monkeypatch, no_torch_load):
    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, _forbidden)


EXPECTED = {
    "netG": ["a state dict 'netG' with 25 tensors, keys main.0.weight … main.12.weight",
             "looks like pytorch/examples DCGAN Generator (nz=100, ngf=64, nc=3, 64×64)",
             CONVERT.format("netG.pt", "netG")],
    "gan": ["'gen_core' metadata", "a state dict with 25 tensors, keys model.0.bias … model.11.weight",
            "looks like PyTorch-GAN GAN Generator (latent_dim=100, image 1×28×28)",
            CONVERT.format("gan.safetensors", "gan-converted")],
    "netD": ["looks like pytorch/examples DCGAN Discriminator", "convert the generator's file"],
    "own": ["1 tensor, keys w: not an architecture gen_core recognises",
            "`python -m gen_core.pack --module PACKAGE.MODULE:CLASS --weights own.ckpt"],
}


@pytest.mark.usefixtures("nothing_unpickled")
def test_the_catalog_lists_state_dicts_as_errors_saying_what_would_work(state_dict_folder):
    entries = catalog()
    assert sorted(entries) == sorted(EXPECTED)
    for stem, phrases in EXPECTED.items():
        assert not entries[stem].ok
        for phrase in phrases:
            assert phrase in entries[stem].error, (stem, entries[stem].error)


@pytest.mark.usefixtures("nothing_unpickled")
def test_opening_or_uploading_one_refuses_with_the_same_message(state_dict_folder):
    with pytest.raises(CheckpointError, match="looks like pytorch/examples DCGAN Generator"):
        load_model(state_dict_folder / "netG.pt")
    data = (state_dict_folder / "netG.pt").read_bytes()
    command = "convert it with `python -m gen_core.files.convert upload.pth --out upload.safetensors`"
    with pytest.raises(CheckpointError, match=rf"never loaded; .* {command}"):
        load_model_bytes(data, "upload.pth")


@pytest.mark.usefixtures("no_torch_load")  # pickle itself: Streamlit's data cache uses it
def test_the_gallery_shows_each_as_an_error_card(state_dict_folder):
    at = open_page("home")
    assert_clean(at)
    cards = [shown(e.value) for e in at.error if "cannot be loaded" in e.value]
    assert len(cards) == len(EXPECTED)
    assert any(CONVERT.format("netG.pt", "netG") in card for card in cards)


class _Payload:
    """An object whose unpickling would create ``path``: what a hostile .pt holds."""

    def __init__(self, path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_hostile_torch_file_is_described_without_running_it(tmp_path):
    ran = tmp_path / "ran"
    hostile = tmp_path / "hostile.pt"
    generator = public.ExamplesGenerator(nz=8, ngf=4, nc=1)
    torch.save({"netG": generator.state_dict(), "x": _Payload(ran)}, hostile)
    with pytest.raises(CheckpointError, match="looks like pytorch/examples DCGAN Generator"):
        load_model_bytes(hostile.read_bytes(), "hostile.pt")
    torch.save(_Payload(ran), hostile)
    with pytest.raises(CheckpointError, match="holds no state dict"):
        load_model(hostile)
    assert not ran.exists()
