"""Decoders trained elsewhere: ONNX files exported from someone else's code, explored as models."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import onnx
import pytest
import torch
from onnx import TensorProto, helper
from torch import nn

from gen_core.files.checkpoint import CheckpointError, load_model, load_model_bytes
from gen_core.latent.inversion import invert
from gen_core.media.browser_decoder import export_decoder
from tests.decoder_export import read_export


class ExamplesVAE(nn.Module):
    """pytorch/examples' MNIST VAE (vae/main.py): 784-400-20, with its own layer names."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def encode(self, x):
        h1 = torch.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def decode(self, z):
        return torch.sigmoid(self.fc4(torch.relu(self.fc3(z))))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decode(z), mu, logvar


class DecoderOnly(nn.Module):
    """What a user writes to export the decoder half: ``z -> image [B, 1, 28, 28]``."""

    def __init__(self, vae: ExamplesVAE) -> None:
        super().__init__()
        self.vae = vae

    def forward(self, z):
        return self.vae.decode(z).view(-1, 1, 28, 28)


def export_onnx(module: nn.Module, latent_dim: int, path: Path, **props: str) -> Path:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter announces its deprecation
        torch.onnx.export(module.eval(), (torch.randn(1, latent_dim),), buffer, input_names=["z"],
                          output_names=["image"], dynamic_axes={"z": {0: "batch"}, "image": {0: "batch"}},
                          dynamo=False)
    proto = onnx.load_model_from_string(buffer.getvalue())
    if props:
        helper.set_model_props(proto, props)
    path.write_bytes(proto.SerializeToString())
    return path


@pytest.fixture(scope="module")
def trained_vae() -> ExamplesVAE:
    """The examples VAE after a few steps on generated strokes (its loss: BCE + KL, as there)."""
    torch.manual_seed(0)
    vae, images = ExamplesVAE(), torch.zeros(64, 784)
    for i in range(64):
        images[i].view(28, 28)[4 + i % 16:8 + i % 16, 6:22] = 1.0
    optimizer = torch.optim.Adam(vae.parameters(), lr=1e-3)
    for _ in range(30):
        recon, mu, logvar = vae(images)
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        loss = nn.functional.binary_cross_entropy(recon, images, reduction="sum") + kl
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return vae.eval()


def test_pytorch_examples_vae_decoder_is_a_model(trained_vae, tmp_path):
    path = export_onnx(DecoderOnly(trained_vae), 20, tmp_path / "examples-vae.onnx")
    model = load_model(path)
    assert model.family == "onnx" and model.image_shape == (1, 28, 28) and model.latent_dim == 20
    assert [d.kind for d in model.latent_spec] == ["gaussian"] * 20  # the default prior
    z = torch.randn(5, 20, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = DecoderOnly(trained_vae)(z)
        assert (model.decode(z) - expected).abs().max() < 1e-5
    assert model.sample(3).shape == (3, 1, 28, 28)


def test_an_onnx_decoder_runs_in_the_browser_format_and_inverts(trained_vae, tmp_path):
    model = load_model(export_onnx(DecoderOnly(trained_vae), 20, tmp_path / "vae.onnx"))
    header, _ = read_export(export_decoder(model))
    assert [op["op"] for op in header["layers"]] == ["linear", "relu", "linear", "sigmoid", "reshape"]
    target = model.decode(torch.randn(2, 20, generator=torch.Generator().manual_seed(3))).detach()
    found = invert(model, target, steps=60, restarts=2, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        start = (model.decode(torch.zeros(2, 20)) - target).pow(2).mean()
        assert (model.decode(found) - target).pow(2).mean() < 0.5 * start  # gradients reach z


class ConvDecoder(nn.Module):
    """A DCGAN-style generator: linear, reshape, batch norm, transposed convolutions, tanh."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 16 * 7 * 7)
        self.net = nn.Sequential(nn.BatchNorm2d(16), nn.LeakyReLU(0.2),
                                 nn.ConvTranspose2d(16, 8, 4, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                                 nn.ConvTranspose2d(8, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.net(self.fc(z).view(-1, 16, 7, 7) * 2.0)


def test_a_conv_generator_with_tanh_is_mapped_into_unit_range(tmp_path):
    torch.manual_seed(0)
    generator = ConvDecoder()
    for bn in (generator.net[0], generator.net[3]):  # non-trivial running statistics
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
    model = load_model(export_onnx(generator, 8, tmp_path / "gan.onnx", **{
        "latent_atlas.dataset": "mnist",
        "latent_atlas.latent_spec": '[{"name": "stroke", "kind": "uniform", "low": -1, "high": 1}'
                                    + ', {"name": "z1"}' * 7 + "]"}))
    assert model.card.dataset == "mnist"
    assert model.latent_spec[0].name == "stroke" and model.latent_spec[0].kind == "uniform"
    z = torch.randn(4, 8, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        assert (model.decode(z) - (generator.eval()(z) + 1) / 2).abs().max() < 1e-5
    assert "conv_transpose2d" in [op["op"] for op in read_export(export_decoder(model))[0]["layers"]]


def onnx_file(path: Path, nodes, initializers=(), inputs=None, output_shape=(None, 4), domain="",
              **model_kwargs) -> Path:
    """A small hand-made ONNX graph, for files no exporter would write."""
    inputs = inputs or [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 4])]
    graph = helper.make_graph(nodes, "g", inputs,
                              [helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT,
                                                             list(output_shape))],
                              initializer=list(initializers))
    opsets = [helper.make_opsetid(domain, 17)]
    path.write_bytes(helper.make_model(graph, opset_imports=opsets, **model_kwargs).SerializeToString())
    return path


def weight(name: str, rows: int, cols: int) -> TensorProto:
    return helper.make_tensor(name, TensorProto.FLOAT, [rows, cols], [0.01] * (rows * cols))


@pytest.mark.parametrize("case, expected", [
    ("external data", "external data"),
    ("foreign domain", "domain"),
    ("unsupported operator", "Softmax"),
    ("two inputs", "no single latent input"),
    ("undefined input", "no earlier node makes"),
    ("huge reshape", "reshape"),
    ("not an image", "not an image"),
    ("bad latent spec", "latent_spec"),
])
def test_hostile_or_unsupported_onnx_files_are_refused_by_name(tmp_path, case, expected):
    path = tmp_path / "bad.onnx"
    gemm = helper.make_node("Gemm", ["z", "w"], ["h"], transB=1)
    w = weight("w", 784, 4)
    if case == "external data":
        w.data_location = TensorProto.EXTERNAL
        w.ClearField("float_data")
        w.external_data.add(key="location", value="/etc/passwd")
        onnx_file(path, [gemm], [w])
    elif case == "foreign domain":
        onnx_file(path, [helper.make_node("Gemm", ["z", "w"], ["h"], transB=1, domain="com.evil")], [w],
                  domain="com.evil")
    elif case == "unsupported operator":
        onnx_file(path, [gemm, helper.make_node("Softmax", ["h"], ["y"])], [w])
    elif case == "two inputs":
        inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch", 4]) for n in ("z", "y")]
        onnx_file(path, [gemm], [w], inputs=inputs)
    elif case == "undefined input":
        onnx_file(path, [gemm, helper.make_node("Relu", ["q"], ["y"])], [w])
    elif case == "huge reshape":
        shape = helper.make_tensor("s", TensorProto.INT64, [4], [-1, 1, 50000, 50000])
        onnx_file(path, [gemm, helper.make_node("Reshape", ["h", "s"], ["y"])], [w, shape])
    elif case == "not an image":
        onnx_file(path, [helper.make_node("Gemm", ["z", "w"], ["h"], transB=1)], [weight("w", 10, 4)])
    elif case == "bad latent spec":
        onnx_file(path, [gemm], [w])
        proto = onnx.load(str(path))
        helper.set_model_props(proto, {"latent_atlas.latent_spec": '[{"name": "a"}]'})
        path.write_bytes(proto.SerializeToString())
    with pytest.raises(CheckpointError, match=expected):
        load_model(path)


def test_garbage_and_uploaded_onnx_bytes(tmp_path):
    with pytest.raises(CheckpointError, match="not a readable ONNX file"):
        load_model_bytes(b"\xff\x00not protobuf at all" * 10, "upload.onnx")
    path = onnx_file(tmp_path / "ok.onnx", [helper.make_node("Gemm", ["z", "w"], ["h"], transB=1),
                                             helper.make_node("Sigmoid", ["h"], ["y"])],
                     [weight("w", 784, 4)])
    model = load_model_bytes(path.read_bytes(), "upload.onnx")
    assert model.image_shape == (1, 28, 28)
    assert torch.allclose(model.decode(torch.zeros(1, 4)), torch.full((1, 1, 28, 28), 0.5))
