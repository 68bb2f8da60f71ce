"""``gen_core.pack``: a decoder of one's own, traced to ONNX with its card, opens as a model."""

import json
import subprocess
import sys

import onnx
import pytest
import torch
from torch import nn

import gen_core
from gen_core.files.checkpoint import CheckpointError, load_model
from gen_core.files.onnx_graph.loader import PROPERTY_PREFIX

TOLERANCE = 1e-5


class OwnGenerator(nn.Module):
    """A decoder written the way people write theirs: Linear, a reshape, transposed convs, BN."""

    def __init__(self, latent_dim: int = 6, width: int = 8) -> None:
        super().__init__()
        self.width = width
        self.project = nn.Sequential(nn.Linear(latent_dim, width * 4 * 4), nn.ReLU())
        self.up = nn.Sequential(nn.ConvTranspose2d(width, width // 2, 4, 2, 1), nn.BatchNorm2d(width // 2),
                                nn.ReLU(), nn.ConvTranspose2d(width // 2, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.up(self.project(z).view(-1, self.width, 4, 4))


class FlatDecoder(nn.Module):
    """A decoder whose output is a flat row of pixels."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(3, 32), nn.ReLU(), nn.Linear(32, 64), nn.Sigmoid())

    def forward(self, z):
        return self.net(z)


def _own_generator() -> OwnGenerator:
    torch.manual_seed(0)
    module = OwnGenerator().eval()
    module.up[1].running_mean.uniform_(-0.2, 0.2)
    module.up[1].running_var.uniform_(0.5, 1.5)
    return module


def test_pack_writes_a_decoder_that_opens_and_reproduces_the_module(tmp_path):
    module = _own_generator()
    path = gen_core.pack(module, latent_spec=6, image_shape=(1, 16, 16), output_range=(-1, 1),
                         dataset="mnist", name=tmp_path / "mine")
    assert path.name == "mine.onnx"
    model = load_model(path)
    z = torch.randn(5, 6)
    with torch.no_grad():
        assert (model.decode(z) - (module(z) + 1) / 2).abs().max() <= TOLERANCE
    assert model.card.dataset == "mnist" and model.card.output_range == (-1.0, 1.0)
    properties = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert json.loads(properties[PROPERTY_PREFIX + "latent_spec"])[0]["name"] == "z0"


def test_a_flat_output_becomes_the_image_shape(tmp_path):
    torch.manual_seed(0)
    module = FlatDecoder().eval()
    path = gen_core.pack(module, latent_spec=3, image_shape=(1, 8, 8), name=tmp_path / "flat.onnx")
    model = load_model(path)
    z = torch.randn(2, 3)
    assert model.image_shape == (1, 8, 8)
    assert (model.decode(z) - module(z).view(2, 1, 8, 8)).abs().max() <= TOLERANCE


class RunningSum(nn.Module):
    """A layer whose operator (CumSum) the app's ONNX reader does not rebuild."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(torch.cumsum(x, 1))


def test_what_the_app_cannot_rebuild_is_refused_and_not_written(tmp_path):
    module = nn.Sequential(nn.Linear(2, 16), RunningSum())
    with pytest.raises(CheckpointError, match="CumSum"):
        gen_core.pack(module, latent_spec=2, image_shape=(1, 4, 4), name=tmp_path / "soft")
    assert not (tmp_path / "soft.onnx").exists()
    with pytest.raises(ValueError, match="encoder"):
        gen_core.pack(module, latent_spec=2, image_shape=(1, 4, 4), encoder=nn.Linear(16, 4),
                      name=tmp_path / "e")


def test_the_command_line_packs_a_class_and_its_saved_weights(tmp_path):
    module = _own_generator()
    weights = tmp_path / "g.pt"
    torch.save({"netG": module.state_dict(), "epoch": 3}, weights)
    out = tmp_path / "cli.onnx"
    done = subprocess.run([sys.executable, "-m", "gen_core.pack", "--module", "tests.test_pack:OwnGenerator",
                           "--kwargs", '{"latent_dim": 6}', "--weights", str(weights), "--latent-dim", "6",
                           "--image-shape", "1,16,16", "--output-range", "tanh", "--out", str(out)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    z = torch.randn(3, 6)
    with torch.no_grad():
        assert (load_model(out).decode(z) - (module(z) + 1) / 2).abs().max() <= TOLERANCE
