"""The battery: decoders written the way well-known public code writes them, at tiny sizes, each
exported by torch's ONNX exporter and rebuilt by ``gen_core.files.onnx_graph``.

``tests/test_onnx_battery.py`` checks every one against its torch original, and
``tests/browser/test_live.py`` each in Chromium; run as a module this prints the battery's table
(operators, load time, largest error against torch, the page's engine, torch decodes per second of
the rebuild on one thread, and with ``--browser`` the page's decodes per second, their ratio to
torch's and the page's largest difference from torch):

    python -m bench.onnx_battery --browser [--doc docs/file-formats.md]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
import warnings
from pathlib import Path

import onnx
import torch
from onnx import helper
from playwright.sync_api import Page, sync_playwright
from torch import nn

from bench.browser import launch_chromium, page_max_difference, runtime_page
from bench.ui_measure import browser_decodes_per_s, torch_decodes_per_s
from gen_core.eval.zoo_table import publish
from gen_core.files.checkpoint import load_model, load_model_bytes
from ui.decode_path import page_decoder

START, END = "<!-- onnx-battery:start -->", "<!-- onnx-battery:end -->"


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


class UpResBlock(nn.Module):
    """The WGAN-GP reference's ResNet generator block (igul222/improved_wgan_training, gan_cifar_resnet
    ResidualBlock 'up'): BN, ReLU, nearest upsampling, conv, BN, ReLU, conv, plus an upsampled 1x1 skip."""

    def __init__(self, i: int, o: int) -> None:
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(i), nn.Conv2d(i, o, 3, padding=1)
        self.bn2, self.conv2 = nn.BatchNorm2d(o), nn.Conv2d(o, o, 3, padding=1)
        self.skip, self.up = nn.Conv2d(i, o, 1), nn.Upsample(scale_factor=2)

    def forward(self, x):
        h = self.conv1(self.up(torch.relu(self.bn1(x))))
        return self.skip(self.up(x)) + self.conv2(torch.relu(self.bn2(h)))


class PixelNormalize(nn.Module):
    """ProGAN's pixelwise feature normalization (tkarras/progressive_growing_of_gans, pixel_norm):
    x / sqrt(mean(x^2 over channels) + 1e-8), exported as Pow, ReduceMean, Add, Sqrt, Div."""

    def forward(self, x):
        return x / torch.sqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-8)


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
    # BEGAN decoder (carpedm20/BEGAN-pytorch models.py, GeneratorCNN): fc, view, Conv 3x3 + ELU
    # pairs with nearest upsampling between them, a final Conv and Tanh
    "began": (
        nn.Sequential(nn.Linear(4, 8 * 2 * 2), View(8, 2, 2), nn.Conv2d(8, 8, 3, 1, 1), nn.ELU(inplace=True),
                      nn.Upsample(scale_factor=2), nn.Conv2d(8, 8, 3, 1, 1), nn.ELU(inplace=True),
                      nn.Upsample(scale_factor=2), nn.Conv2d(8, 1, 3, 1, 1), nn.Tanh()),
        (4,),
    ),
    # WGAN-GP reference's ResNet generator (gan_cifar_resnet): Linear, view, up-residual blocks, BN,
    # ReLU, Conv, Tanh
    "wgan-gp-resnet": (
        nn.Sequential(nn.Linear(4, 8 * 2 * 2), View(8, 2, 2), UpResBlock(8, 8), UpResBlock(8, 4),
                      nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 3, 3, padding=1), nn.Tanh()),
        (4,),
    ),
    # SN-GAN generator (christiancosgrove/pytorch-spectral-normalization-gan, model.py): ConvTranspose
    # from [B, z, 1, 1], BN, ReLU, stride-2 ConvTransposes, a final 3x3 ConvTranspose and Tanh
    "sngan": (
        nn.Sequential(nn.ConvTranspose2d(4, 16, 4, 1), nn.BatchNorm2d(16), nn.ReLU(),
                      nn.ConvTranspose2d(16, 8, 4, 2, 1), nn.BatchNorm2d(8), nn.ReLU(),
                      nn.ConvTranspose2d(8, 3, 3, 1, 1), nn.Tanh()),
        (4, 1, 1),
    ),
    # InfoGAN for MNIST (Natsu6767/InfoGAN-PyTorch, models/mnist_model.py): 1x1 ConvTranspose from
    # [B, 74, 1, 1], BN, ReLU, then 7x7 upsampling ConvTransposes and Sigmoid
    "infogan-mnist": (
        nn.Sequential(nn.ConvTranspose2d(6, 16, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                      nn.ConvTranspose2d(16, 8, 7, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                      nn.ConvTranspose2d(8, 4, 4, 2, 1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
                      nn.ConvTranspose2d(4, 1, 4, 2, 1, bias=False), nn.Sigmoid()),
        (6, 1, 1),
    ),
    # beta-VAE decoder (1Konny/Beta-VAE, model.py BetaVAE_B): Linear stack, view, ConvTransposes with
    # ReLU, ending in logits (no activation: the range is sampled)
    "beta-vae-logits": (
        nn.Sequential(nn.Linear(4, 32), nn.ReLU(True), nn.Linear(32, 8 * 4 * 4), nn.ReLU(True),
                      View(8, 4, 4), nn.ConvTranspose2d(8, 8, 4, 2, 1), nn.ReLU(True),
                      nn.ConvTranspose2d(8, 1, 4, 2, 1)),
        (4,),
    ),
    # PyTorch-GAN lsgan / bgan generator (implementations/lsgan/lsgan.py): the DCGAN generator with
    # BatchNorm momentum 0.8 written positionally and LeakyReLU(0.2, inplace)
    "pytorch-gan-lsgan": (
        nn.Sequential(nn.Linear(4, 8 * 2 * 2), View(8, 2, 2), nn.BatchNorm2d(8),
                      nn.Upsample(scale_factor=2), nn.Conv2d(8, 8, 3, 1, 1), nn.BatchNorm2d(8, 0.8),
                      nn.LeakyReLU(0.2, inplace=True), nn.Upsample(scale_factor=2),
                      nn.Conv2d(8, 1, 3, 1, 1), nn.Tanh()),
        (4,),
    ),
    # ProGAN-style generator block (tkarras/progressive_growing_of_gans): pixel norm after every conv,
    # LeakyReLU(0.2), nearest upsampling, a 1x1 "toRGB" conv, no output activation
    "progan-pixelnorm": (
        nn.Sequential(nn.Linear(4, 8 * 4 * 4), View(8, 4, 4), nn.LeakyReLU(0.2), PixelNormalize(),
                      nn.Upsample(scale_factor=2), nn.Conv2d(8, 8, 3, padding=1), nn.LeakyReLU(0.2),
                      PixelNormalize(), nn.Conv2d(8, 3, 1)),
        (4,),
    ),
    # Keras-tutorial-style MLP decoder written in torch (keras.io vae example's dense decoder):
    # Dense + ReLU twice, then a Sigmoid over 28x28 flat pixels
    "dense-mlp-decoder": (nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 64), nn.ReLU(),
                                        nn.Linear(64, 784), nn.Sigmoid()), (4,)),
    # Hardtanh / ReLU6 outputs (Clip in ONNX), as MobileNet-style decoders end
    "relu6-hardtanh": (
        nn.Sequential(nn.Linear(4, 16), nn.ReLU6(), nn.Linear(16, 64), nn.Hardtanh(), View(1, 8, 8)),
        (4,),
    ),
    # transposed convolution with output_padding and a non-square kernel (torch's ConvTranspose2d
    # signature as people write it for odd sizes, e.g. 7x7 -> 14x14 -> 28x28 on MNIST)
    "output-padding": (
        nn.Sequential(nn.Linear(4, 8 * 3 * 3), View(8, 3, 3),
                      nn.ConvTranspose2d(8, 4, (3, 5), stride=2, padding=(1, 2), output_padding=1), nn.ReLU(),
                      nn.ConvTranspose2d(4, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid()),
        (4,),
    ),
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


def largest_error(name: str, opset: int = 17) -> tuple[bytes, float, object]:
    """Export battery decoder ``name`` with the TorchScript exporter at ``opset``, rebuild it, and
    return the file, the largest difference between the rebuild's pictures and the original's
    (in the output's own range mapped to [0, 1]) over 5 latents, and the rebuilt model."""
    torch.manual_seed(1)
    body, latent = BATTERY[name]
    module = randomized(body)
    data = export_bytes(module, (torch.randn(2, *latent),), ["z"], opset)
    model = load_model_bytes(data, f"{name}.onnx")
    return data, picture_error(module, model, latent), model


def dynamo_error(name: str, folder: Path) -> tuple[float, object]:
    """The same for torch's default exporter (``dynamo=True``, ``torch.export``), which writes
    the weights to ``NAME.onnx.data`` beside the graph; the pair is read from ``folder``."""
    torch.manual_seed(1)
    body, latent = BATTERY[name]
    module = randomized(body)
    path = Path(folder) / f"{name}.onnx"
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.randn(2, *latent),), str(path), input_names=["z"],
                          output_names=["image"], dynamic_shapes=({0: torch.export.Dim("batch", min=1)},),
                          dynamo=True, verbose=False)
    model = load_model(path)
    return picture_error(module, model, latent), model


def picture_error(module: nn.Module, model, latent: tuple[int, ...]) -> float:
    """The largest difference between ``model``'s pictures and ``module``'s, mapped the same way."""
    z = torch.randn(5, latent[0], generator=torch.Generator().manual_seed(2))
    low, high = model.output_range
    with torch.no_grad():
        original = as_image(module(z.reshape(5, *latent)), model.image_shape)
        expected = ((original - low) / (high - low)).clamp(0, 1)
        return float((model.decode(z) - expected).abs().max())


def table(page: Page | None = None) -> str:
    """The battery's table; with ``page`` (made by ``bench.browser.runtime_page``) also each
    decoder's speed in the page, in the engine the app serves it with, against torch's, and the
    page's largest difference from torch."""
    header = ["decoder", "operators", "load (ms)", "largest error", "torch.export: files, error",
              "page engine", "torch decodes/s"]
    if page is not None:
        header += ["page decodes/s", "page / torch", "page vs torch"]
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    with tempfile.TemporaryDirectory() as folder:  # torch.export's files, two per decoder
        rows += ["| " + " | ".join(row(name, Path(folder), page)) + " |" for name in BATTERY]
    return "\n".join(rows)


def row(name: str, folder: Path, page: Page | None) -> list[str]:
    """Battery decoder ``name``'s cells of ``table``; torch.export writes its files to ``folder``."""
    data, error, _ = largest_error(name)
    dynamo, _ = dynamo_error(name, folder)
    files = " + ".join(sorted(p.name.removeprefix(name) for p in folder.glob(f"{name}.onnx*")))
    started = time.perf_counter()
    model = load_model_bytes(data, f"{name}.onnx")
    load_ms = 1000 * (time.perf_counter() - started)
    ops = sorted({n.op_type for n in onnx.load_model_from_string(data).graph.node})
    decoder = page_decoder(model)
    engine = "compact runtime" if decoder[1] == ".bin" else "ONNX Runtime Web"
    torch_rate = torch_decodes_per_s(model)
    cells = [name, f"{len(ops)} ({', '.join(ops[:6])}{', …' if len(ops) > 6 else ''})", f"{load_ms:.0f}",
             f"{error:.1e}", f"{files}, {dynamo:.1e}", engine, f"{torch_rate:.0f}"]
    if page is not None:
        page_rate = browser_decodes_per_s(page, model)
        cells += [f"{page_rate:.0f}", f"{page_rate / torch_rate:.2f}×",
                  f"{page_max_difference(page, model, decoder):.1e}"]
    return cells


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench.onnx_battery",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--doc", type=Path, help="write the table between the onnx-battery markers here")
    parser.add_argument("--browser", action="store_true",
                        help="also decode each in Chromium: page decodes/s, its ratio to torch, its error")
    args = parser.parse_args(argv)
    if args.browser:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            text = table(runtime_page(browser.new_page()))
            browser.close()
    else:
        text = table()
    publish(text, args.doc, START, END)
    return text


if __name__ == "__main__":
    main()
