"""Tiny decoders written the way well-known public code writes them, exported by torch's ONNX
exporter, rebuilt by ``gen_core.files.onnx_graph`` and compared with the torch original."""

from __future__ import annotations

import io
import warnings

import onnx
import pytest
import torch
from onnx import helper
from torch import nn

from gen_core.files.checkpoint import load_model_bytes
from gen_core.media.browser_decoder import ExportError, export_decoder


class View(nn.Module):
    """``x.view(x.size(0), *shape)``: the reshape that exports as a Shape/Gather/Concat subgraph."""

    def __init__(self, *shape: int) -> None:
        super().__init__()
        self.shape = shape

    def forward(self, x):
        return x.view(x.size(0), *self.shape)


class Generator(nn.Module):
    """``z`` through ``body``; ``latent4d`` takes ``[B, D, 1, 1]`` as DCGAN generators do."""

    def __init__(self, body: nn.Module, latent4d: bool = False) -> None:
        super().__init__()
        self.body, self.latent4d = body, latent4d

    def forward(self, z):
        return self.body(z)


class ResidualBlock(nn.Module):
    """diffusers' ResnetBlock2D in miniature: GroupNorm, SiLU, Conv, twice, plus the skip."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(2, channels), nn.Conv2d(channels, channels, 3, padding=1)
        self.norm2, self.conv2 = nn.GroupNorm(2, channels), nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        h = self.conv1(nn.functional.silu(self.norm1(x)))
        return x + self.conv2(nn.functional.silu(self.norm2(h)))


class Nhwc(nn.Module):
    def forward(self, x):
        return x.permute(0, 2, 3, 1)


class GeluErf(nn.Module):
    """GELU written out with erf, as BERT-era code does: exports as Div, Erf, Add, Mul, Mul."""

    def forward(self, x):
        return x * 0.5 * (1.0 + torch.erf(x / 1.4142135623730951))


class Conditional(nn.Module):
    """PyTorch-GAN's cgan (implementations/cgan/cgan.py): ``label_emb`` concatenated with the noise."""

    def __init__(self, classes: int = 3, dim: int = 4, one_hot: bool = False) -> None:
        super().__init__()
        self.one_hot = one_hot
        self.label_emb = nn.Embedding(classes, classes)
        self.model = nn.Sequential(
            nn.Linear(dim + classes, 32), nn.LeakyReLU(0.2), nn.Linear(32, 64), nn.Tanh()
        )

    def forward(self, noise, labels):
        code = labels @ self.label_emb.weight if self.one_hot else self.label_emb(labels)
        return self.model(torch.cat((code, noise), -1)).view(noise.size(0), 1, 8, 8)


def conv_t(i, o, k=4, s=2, p=1, **kw):
    return nn.ConvTranspose2d(i, o, k, s, p, bias=False, **kw)


# name -> (module, latent shape, source); each is the cited code's shape at a tiny size.
BATTERY = {
    # pytorch/examples vae/main.py decode(): fc3, relu, fc4, sigmoid; the caller's view(-1, 1, 28, 28)
    "examples-vae": (nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 784), nn.Sigmoid()), (4,)),
    # pytorch/examples dcgan/main.py Generator: ConvTranspose from [B, nz, 1, 1], BN, ReLU, Tanh
    "examples-dcgan": (
        nn.Sequential(conv_t(4, 8, 4, 1, 0), nn.BatchNorm2d(8), nn.ReLU(True), conv_t(8, 3), nn.Tanh()),
        (4, 1, 1),
    ),
    # PyTorch DCGAN tutorial generator (beginner/dcgan_faces_tutorial): the same, one more stage
    "tutorial-dcgan": (
        nn.Sequential(
            conv_t(4, 8, 4, 1, 0),
            nn.BatchNorm2d(8),
            nn.ReLU(True),
            conv_t(8, 4),
            nn.BatchNorm2d(4),
            nn.ReLU(True),
            conv_t(4, 1),
            nn.Tanh(),
        ),
        (4, 1, 1),
    ),
    # WGAN-GP reference (igul222/improved_wgan_training, gan_mnist): Linear, ReLU, view, ConvTranspose
    "wgan-gp": (
        nn.Sequential(
            nn.Linear(4, 4 * 4 * 8),
            nn.ReLU(True),
            View(8, 4, 4),
            nn.ConvTranspose2d(8, 4, 5),
            nn.ReLU(True),
            nn.ConvTranspose2d(4, 1, 8, stride=2),
            nn.Sigmoid(),
        ),
        (4,),
    ),
    # PyTorch-GAN implementations/dcgan/dcgan.py: l1, view, BN, Upsample, Conv, BN(0.8), LeakyReLU, Tanh
    "pytorch-gan-dcgan": (
        nn.Sequential(
            nn.Linear(4, 8 * 4 * 4),
            View(8, 4, 4),
            nn.BatchNorm2d(8),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(8, 8, 3, 1, 1),
            nn.BatchNorm2d(8, 0.8),
            nn.LeakyReLU(0.2),
            nn.Conv2d(8, 1, 3, 1, 1),
            nn.Tanh(),
        ),
        (4,),
    ),
    # PyTorch-GAN acgan generator: the same with bilinear upsampling (align_corners both ways)
    "acgan-bilinear": (
        nn.Sequential(
            nn.Linear(4, 4 * 4 * 4),
            View(4, 4, 4),
            nn.Upsample(scale_factor=2, mode="bilinear"),
            nn.Conv2d(4, 4, 3, 1, 1),
            nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True),
            nn.Conv2d(4, 3, 3, 1, 1),
            nn.Tanh(),
        ),
        (4,),
    ),
    # diffusers-style decoder: conv_in, ResnetBlock2D, Upsample2D (nearest + conv), GroupNorm, SiLU, conv_out
    "diffusers-block": (
        nn.Sequential(
            nn.Linear(4, 4 * 4 * 4),
            View(4, 4, 4),
            nn.Conv2d(4, 4, 3, padding=1),
            ResidualBlock(4),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(4, 4, 3, padding=1),
            nn.GroupNorm(2, 4),
            nn.SiLU(),
            nn.Conv2d(4, 3, 3, padding=1),
        ),
        (4,),
    ),
    # CycleGAN/pix2pix style: InstanceNorm, ReflectionPad, asymmetric and strided convolutions
    "instance-norm": (
        nn.Sequential(
            nn.Linear(4, 4 * 8 * 8),
            View(4, 8, 8),
            nn.ReflectionPad2d(1),
            nn.Conv2d(4, 4, 3),
            nn.InstanceNorm2d(4, affine=True),
            nn.ReLU(),
            nn.ConvTranspose2d(4, 1, 3, 2, 1, output_padding=1),
            nn.Tanh(),
        ),
        (4,),
    ),
    # LayerNorm over features (MLP-Mixer / transformer decoders), GELU (tanh form), Sigmoid
    "layer-norm": (
        nn.Sequential(
            nn.Linear(4, 32),
            nn.LayerNorm(32),
            nn.GELU(approximate="tanh"),
            nn.Linear(32, 64),
            nn.Sigmoid(),
            View(1, 8, 8),
        ),
        (4,),
    ),
    "prelu": (
        nn.Sequential(
            nn.Linear(4, 64),
            nn.PReLU(),
            View(4, 4, 4),
            nn.ConvTranspose2d(4, 1, 4, 2, 1),
            nn.PReLU(1),
            nn.Tanh(),
        ),
        (4,),
    ),
    "elu-selu": (
        nn.Sequential(
            nn.Linear(4, 32),
            nn.ELU(0.5),
            nn.Linear(32, 64),
            nn.SELU(),
            nn.Linear(64, 64),
            nn.Sigmoid(),
            View(1, 8, 8),
        ),
        (4,),
    ),
    "gelu": (nn.Sequential(nn.Linear(4, 32), nn.GELU(), nn.Linear(32, 64), View(1, 8, 8)), (4,)),
    "gelu-erf": (
        nn.Sequential(nn.Linear(4, 32), GeluErf(), nn.Linear(32, 64), nn.Sigmoid(), View(1, 8, 8)),
        (4,),
    ),
    "softplus-clip": (
        nn.Sequential(
            nn.Linear(4, 64), nn.Softplus(), nn.Linear(64, 64), nn.Hardtanh(0.0, 1.0), View(1, 8, 8)
        ),
        (4,),
    ),
    "grouped-dilated": (
        nn.Sequential(
            nn.Linear(4, 4 * 8 * 6),
            View(4, 8, 6),
            nn.Conv2d(4, 4, (3, 1), padding=(2, 0), dilation=(2, 1), groups=2),
            nn.ReLU(),
            nn.ConvTranspose2d(4, 3, (3, 2), (2, 1), (1, 0), groups=1),
            nn.Tanh(),
        ),
        (4,),
    ),
    "nhwc-output": (nn.Sequential(nn.Linear(4, 3 * 8 * 8), View(3, 8, 8), nn.Tanh(), Nhwc()), (4,)),
    "flat-784": (nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 784), nn.Sigmoid()), (4,)),
    "no-activation": (nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 192), View(3, 8, 8)), (4,)),
    "view-size0": (nn.Sequential(nn.Linear(4, 64), nn.Flatten(), View(1, 8, 8), nn.Sigmoid()), (4,)),
    "pad-slice-concat": (
        nn.Sequential(
            nn.Linear(4, 2 * 6 * 6), View(2, 6, 6), nn.ZeroPad2d((1, 0, 1, 0)), nn.Conv2d(2, 1, 2), nn.Tanh()
        ),
        (4,),
    ),
}


def export_bytes(module: nn.Module, example: tuple, names: list[str], opset: int = 17, **props: str) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter announces its deprecation
        torch.onnx.export(
            module.eval(),
            example,
            buffer,
            input_names=names,
            output_names=["image"],
            dynamic_axes={**{n: {0: "batch"} for n in names}, "image": {0: "batch"}},
            opset_version=opset,
            dynamo=False,
        )
    proto = onnx.load_model_from_string(buffer.getvalue())
    if props:
        helper.set_model_props(proto, props)
    return proto.SerializeToString()


def randomized(module: nn.Module) -> nn.Module:
    """Non-trivial normalization statistics and affine terms, as a trained network has."""
    torch.manual_seed(0)
    for layer in module.modules():
        if isinstance(layer, nn.modules.batchnorm._BatchNorm):
            layer.running_mean.uniform_(-0.5, 0.5)
            layer.running_var.uniform_(0.5, 2.0)
        if getattr(layer, "weight", None) is not None and isinstance(
            layer, (nn.GroupNorm, nn.LayerNorm, nn.InstanceNorm2d)
        ):
            layer.weight.data.uniform_(0.5, 1.5)
            layer.bias.data.uniform_(-0.5, 0.5)
    return module.eval()


def as_image(output: torch.Tensor, shape: tuple[int, int, int]) -> torch.Tensor:
    if output.dim() == 4 and output.shape[-1] in (1, 3) and output.shape[1] not in (1, 3):
        output = output.permute(0, 3, 1, 2)
    return output.reshape(output.shape[0], *shape)


@pytest.mark.parametrize("name", list(BATTERY))
@pytest.mark.parametrize("opset", [11, 17])
def test_a_public_decoder_exports_loads_and_decodes_as_the_original(name, opset):
    torch.manual_seed(1)
    body, latent = BATTERY[name]
    module = randomized(body)
    data = export_bytes(module, (torch.randn(2, *latent),), ["z"], opset)
    model = load_model_bytes(data, f"{name}.onnx")
    z = torch.randn(5, latent[0], generator=torch.Generator().manual_seed(2))
    low, high = model.output_range
    with torch.no_grad():
        expected = ((as_image(module(z.reshape(5, *latent)), model.image_shape) - low) / (high - low)).clamp(
            0, 1
        )
        assert (model.decode(z) - expected).abs().max() <= 1e-4
    if name in ("examples-dcgan", "tutorial-dcgan", "pytorch-gan-dcgan", "nhwc-output"):
        assert model.output_range == (-1.0, 1.0) and model.card.output_range_source == "graph: Tanh"
    if name == "no-activation":
        assert model.card.output_range_source.startswith("sampled: 64 outputs")


def test_a_tanh_decoder_is_never_shown_as_unit_range():
    module = randomized(BATTERY["examples-dcgan"][0])
    model = load_model_bytes(export_bytes(module, (torch.randn(2, 4, 1, 1),), ["z"]), "g.onnx")
    z = torch.randn(64, 4, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        raw, shown = module(z.reshape(64, 4, 1, 1)), model.decode(z)
    assert raw.min() < -0.1  # half the raw values are negative: a [0, 1] clamp would blacken them
    assert torch.allclose(shown, (raw + 1) / 2, atol=1e-5)


def test_the_file_property_overrides_the_graphs_range():
    module = randomized(BATTERY["no-activation"][0])
    data = export_bytes(module, (torch.randn(2, 4),), ["z"], **{"latent_atlas.output_range": "[-2, 2]"})
    model = load_model_bytes(data, "g.onnx")
    assert model.output_range == (-2.0, 2.0) and model.card.output_range_source == "file property"


@pytest.mark.parametrize("one_hot", [False, True])
def test_a_conditional_generator_gets_a_categorical_latent(one_hot):
    module = Conditional(one_hot=one_hot).eval()
    label = torch.eye(3)[[0, 2]] if one_hot else torch.tensor([0, 2])
    names = ["noise", "one_hot_labels" if one_hot else "labels"]
    data = export_bytes(
        module, (torch.randn(2, 4), label), names, **{"latent_atlas.class_names": '["cat", "dog", "owl"]'}
    )
    model = load_model_bytes(data, "cgan.onnx")
    category = model.latent_spec[-1]
    assert (
        model.latent_dim == 5 and category.kind == "categorical" and category.classes == ("cat", "dog", "owl")
    )
    assert model.card.class_names == ("cat", "dog", "owl")
    z = torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    labels = torch.tensor([2, 0, 1])
    with torch.no_grad():
        expected = module(z, torch.eye(3)[labels] if one_hot else labels)
        got = model.decode(torch.cat([z, labels[:, None].float()], dim=1))
    assert (got - (expected + 1) / 2).abs().max() <= 1e-4
    with pytest.raises(ExportError, match="second input"):
        export_decoder(model)


def test_gradients_reach_the_latent_through_a_residual_graph():
    module = randomized(BATTERY["diffusers-block"][0])
    model = load_model_bytes(export_bytes(module, (torch.randn(2, 4),), ["z"]), "d.onnx")
    z = torch.randn(2, 4, requires_grad=True)
    model.decode(z).sum().backward()
    assert z.grad is not None and z.grad.abs().sum() > 0


def test_only_chains_of_compact_layers_run_in_the_compact_runtime():  # the rest: ONNX Runtime Web
    chain = load_model_bytes(
        export_bytes(randomized(BATTERY["examples-dcgan"][0]), (torch.randn(2, 4, 1, 1),), ["z"]), "c.onnx"
    )
    assert export_decoder(chain)
    residual = load_model_bytes(
        export_bytes(randomized(BATTERY["diffusers-block"][0]), (torch.randn(2, 4),), ["z"]), "r.onnx"
    )
    with pytest.raises(ExportError, match="browser runtime has no layer for Conv"):
        export_decoder(residual)
