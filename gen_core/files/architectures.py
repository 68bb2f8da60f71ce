"""Public architectures recognised from a state dict's key names and tensor shapes.

Each recogniser reads ``{key: shape}`` (a state dict with its ``module.`` prefix removed) and,
when the keys and shapes are exactly those its public code makes, returns a ``Recognised``: the
name, the sizes it read, the ``foreign``/``foreign-vae`` config that rebuilds the network
(``gen_core.models.foreign``) and where each of our layers' tensors comes from. What a state dict
cannot say (activations, batch-norm epsilons, strides) is taken from the public code, whose
repository and file each recogniser names.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable

import torch

from gen_core.models import build_model

Shapes = dict[str, tuple[int, ...]]


@dataclasses.dataclass(frozen=True)
class Recognised:
    """A recognised network: ``name`` and ``sizes`` (``"nz=100, ngf=64, nc=3"``) for messages;
    ``family`` and ``config`` rebuild it (``family`` is ``None`` for a discriminator, which is
    recognised only to say so); ``sources`` maps each of our module names to the original's."""

    name: str
    sizes: str
    family: str | None = None
    config: dict = dataclasses.field(default_factory=dict)
    sources: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def convertible(self) -> bool:
        return self.family is not None


def _layers(shapes: Shapes, prefix: str) -> dict[int, dict[str, tuple[int, ...]]]:
    """``{index: {parameter: shape}}`` of the keys ``PREFIX.INDEX.PARAMETER``."""
    found: dict[int, dict[str, tuple[int, ...]]] = {}
    for key, shape in shapes.items():
        match = re.fullmatch(rf"{re.escape(prefix)}\.(\d+)\.(\w+)", key)
        if match:
            found.setdefault(int(match[1]), {})[match[2]] = shape
    return found


def _image_shape(pixels: int) -> tuple[int, int, int] | None:
    """A flat image size as ``(C, S, S)``: one channel when that is square, else three."""
    for channels in (1, 3):
        side = math.isqrt(pixels // channels)
        if channels * side * side == pixels:
            return (channels, side, side)
    return None


def examples_vae(shapes: Shapes) -> Recognised | None:
    """pytorch/examples ``vae/main.py`` ``VAE``: fc1 (784→400), fc21/fc22 (400→20), fc3, fc4; ReLU
    hidden layers, a Sigmoid output, images flattened to 784."""
    names = ("fc1", "fc21", "fc22", "fc3", "fc4")
    if set(shapes) != {f"{n}.{p}" for n in names for p in ("weight", "bias")}:
        return None
    (hidden, pixels), (latent, _) = shapes["fc1.weight"], shapes["fc21.weight"]
    image = _image_shape(pixels)
    wanted = {"fc21": (latent, hidden), "fc22": (latent, hidden), "fc3": (hidden, latent),
              "fc4": (pixels, hidden)}
    if image is None or any(shapes[f"{n}.weight"] != shape for n, shape in wanted.items()):
        return None
    config = {"arch": "pytorch-examples-vae", "title": "VAE (pytorch/examples)", "latent_dim": latent,
              "image_shape": list(image),
              "encoder": ["flatten", f"linear {pixels} {hidden}", "relu"],
              "decoder": [f"linear {latent} {hidden}", "relu", f"linear {hidden} {pixels}", "sigmoid",
                          "unflatten {} {} {}".format(*image)]}
    sources = {"encoder.1": "fc1", "mean": "fc21", "logvar": "fc22", "decoder.0": "fc3", "decoder.2": "fc4"}
    return Recognised("pytorch/examples VAE", f"latent {latent}, hidden {hidden}, image {_shown(image)}",
                      "foreign-vae", config, sources)


def examples_dcgan(shapes: Shapes) -> Recognised | None:
    """pytorch/examples ``dcgan/main.py`` ``Generator`` (and the PyTorch DCGAN tutorial's, the same
    network): ``main`` = [ConvTranspose2d(k4, bias=False), BatchNorm2d, ReLU] × n, then
    ConvTranspose2d and Tanh; the first layer is stride 1 (1×1 → 4×4), the others double."""
    layers = _layers(shapes, "main")
    if not layers or len(shapes) != sum(len(p) for p in layers.values()):
        return None
    if 1 not in layers:
        return _examples_discriminator(layers)
    convs = sorted(layers)[::2]
    norms = [c + 1 for c in convs[:-1]]
    if sorted(layers) != sorted(convs + norms) or convs != list(range(0, 3 * len(convs), 3)):
        return None
    shapes_in = [layers[c].get("weight", ()) for c in convs]
    if any(set(layers[c]) != {"weight"} or len(w) != 4 or w[2:] != (4, 4)
           for c, w in zip(convs, shapes_in, strict=True)):
        return None
    nz, nc, ngf = shapes_in[0][0], shapes_in[-1][1], shapes_in[-1][0]
    side = 4 * 2 ** (len(convs) - 1)
    decoder = [f"unflatten {nz} 1 1"]
    for index, (c_in, c_out, *_k) in enumerate(shapes_in):
        stride, padding = (1, 0) if index == 0 else (2, 1)
        decoder.append(f"conv_transpose2d {c_in} {c_out} k=4 s={stride} p={padding} bias=0")
        if index < len(convs) - 1:
            decoder += [f"batch_norm2d {c_out}", "relu"]
    decoder.append("tanh")
    config = {"arch": "pytorch-examples-dcgan", "title": "DCGAN (pytorch/examples)", "latent_dim": nz,
              "image_shape": [nc, side, side], "decoder": decoder}
    sources = {f"decoder.{i + 1}": f"main.{i}" for i in layers}
    return Recognised("pytorch/examples DCGAN Generator", f"nz={nz}, ngf={ngf}, nc={nc}, {side}×{side}",
                      "foreign", config, sources)


def _examples_discriminator(layers: dict) -> Recognised | None:
    """pytorch/examples ``dcgan/main.py`` ``Discriminator``: Conv2d, LeakyReLU, then [Conv2d,
    BatchNorm2d, LeakyReLU] blocks, and a last Conv2d to one channel."""
    last = layers[max(layers)].get("weight", ())
    if 0 not in layers or len(last) != 4 or last[0] != 1:
        return None
    ndf, nc = layers[0]["weight"][:2]
    return Recognised("pytorch/examples DCGAN Discriminator", f"ndf={ndf}, nc={nc}")


def pytorch_gan_mlp(shapes: Shapes) -> Recognised | None:
    """PyTorch-GAN ``implementations/gan/gan.py`` ``Generator``: ``model`` = Linear, LeakyReLU(0.2),
    then [Linear, BatchNorm1d(eps=0.8), LeakyReLU(0.2)] × n, a last Linear to C·H·W and Tanh."""
    layers = _layers(shapes, "model")
    if not layers or len(shapes) != sum(len(p) for p in layers.values()) or 0 not in layers:
        return None
    linears = [i for i in sorted(layers)
               if len(layers[i].get("weight", ())) == 2 and "running_mean" not in layers[i]]
    widths = [layers[i]["weight"] for i in linears]
    if widths and widths[-1][0] == 1 and len(linears) == len(layers):
        return Recognised("PyTorch-GAN GAN Discriminator", f"image {widths[0][1]} pixels")
    if linears != [0, *range(2, 3 * len(linears) - 1, 3)] or len(linears) < 2:
        return None
    norms = [i + 1 for i in linears[1:-1]]
    image = _image_shape(widths[-1][0])
    if sorted(layers) != sorted(linears + norms) or image is None:
        return None
    decoder = [f"linear {widths[0][1]} {widths[0][0]}", "leaky_relu 0.2"]
    for width in widths[1:-1]:
        decoder += [f"linear {width[1]} {width[0]}", f"batch_norm1d {width[0]} eps=0.8", "leaky_relu 0.2"]
    decoder += [f"linear {widths[-1][1]} {widths[-1][0]}", "tanh", "unflatten {} {} {}".format(*image)]
    config = {"arch": "pytorch-gan-gan", "title": "GAN (PyTorch-GAN)", "latent_dim": widths[0][1],
              "image_shape": list(image), "decoder": decoder}
    return Recognised("PyTorch-GAN GAN Generator", f"latent_dim={widths[0][1]}, image {_shown(image)}",
                      "foreign", config, {f"decoder.{i}": f"model.{i}" for i in layers})


def pytorch_gan_dcgan(shapes: Shapes) -> Recognised | None:
    """PyTorch-GAN ``implementations/dcgan/dcgan.py`` ``Generator``: ``l1`` = Linear to 128·s·s,
    viewed as 128×s×s; ``conv_blocks`` = BatchNorm2d(128), Upsample(2), Conv2d(128, 128, 3, 1, 1),
    BatchNorm2d(128, eps=0.8), LeakyReLU(0.2), Upsample(2), Conv2d(128, 64, 3, 1, 1),
    BatchNorm2d(64, eps=0.8), LeakyReLU(0.2), Conv2d(64, C, 3, 1, 1), Tanh."""
    if any(k.startswith("adv_layer.") for k in shapes) and any(k.startswith("model.") for k in shapes):
        return Recognised("PyTorch-GAN DCGAN Discriminator", f"{len(shapes)} tensors")
    blocks, linear = _layers(shapes, "conv_blocks"), shapes.get("l1.0.weight", ())
    in_blocks = {f"conv_blocks.{i}.{p}" for i, params in blocks.items() for p in params}
    if sorted(blocks) != [0, 2, 3, 6, 7, 9] or len(linear) != 2 or set(shapes) - in_blocks != {
            "l1.0.weight", "l1.0.bias"}:
        return None
    convs = [blocks[i].get("weight", ()) for i in (2, 6, 9)]
    c0 = blocks[0].get("weight", (0,))[0]
    size = math.isqrt(linear[0] // max(c0, 1))
    if c0 * size * size != linear[0] or any(len(w) != 4 for w in convs):
        return None
    (c1, _, _, _), (c2, _, _, _), (channels, _, _, _) = convs
    nz, side = linear[1], 4 * size
    decoder = [f"linear {nz} {linear[0]}", f"unflatten {c0} {size} {size}", f"batch_norm2d {c0}",
               "upsample 2", f"conv2d {c0} {c1} k=3 s=1 p=1", f"batch_norm2d {c1} eps=0.8", "leaky_relu 0.2",
               "upsample 2", f"conv2d {c1} {c2} k=3 s=1 p=1", f"batch_norm2d {c2} eps=0.8", "leaky_relu 0.2",
               f"conv2d {c2} {channels} k=3 s=1 p=1", "tanh"]
    config = {"arch": "pytorch-gan-dcgan", "title": "DCGAN (PyTorch-GAN)", "latent_dim": nz,
              "image_shape": [channels, side, side], "decoder": decoder}
    sources = {"decoder.0": "l1.0", **{f"decoder.{i + 2}": f"conv_blocks.{i}" for i in blocks}}
    return Recognised("PyTorch-GAN DCGAN Generator", f"latent_dim={nz}, image {channels}×{side}×{side}",
                      "foreign", config, sources)


def conv_vae(shapes: Shapes) -> Recognised | None:
    """The conv VAE of AntixK/PyTorch-VAE ``models/vanilla_vae.py`` (``VanillaVAE``), the usual
    layout of one: ``encoder`` = [Conv2d(k3, s2, p1), BatchNorm2d, LeakyReLU] blocks, flattened;
    ``fc_mu``/``fc_var`` Linear heads; ``decoder_input`` Linear, viewed as C×b×b; ``decoder`` =
    [ConvTranspose2d(k3, s2, p1, output_padding 1), BatchNorm2d, LeakyReLU] blocks; ``final_layer``
    = one more such block, Conv2d(k3, p1) to the image channels, Tanh."""
    final = _layers(shapes, "final_layer")
    heads = [shapes.get(f"{n}.weight", ()) for n in ("fc_mu", "fc_var", "decoder_input")]
    if any(len(h) != 2 for h in heads) or sorted(final) != [0, 1, 3]:
        return None
    enc, dec = _nested_blocks(shapes, "encoder"), _nested_blocks(shapes, "decoder")
    if enc is None or dec is None or heads[0] != heads[1] or heads[2] != heads[0][::-1]:
        return None
    latent, features = heads[0]
    widths = [w[0] for w in enc]
    bottleneck = math.isqrt(features // widths[-1])
    out = final[3].get("weight", ())
    image = (out[0] if len(out) == 4 else 0, bottleneck * 2 ** len(enc), bottleneck * 2 ** len(enc))
    if widths[-1] * bottleneck ** 2 != features or image[0] not in (1, 3):
        return None
    config = {"arch": "antixk-vanilla-vae", "title": "Vanilla VAE (AntixK/PyTorch-VAE)", "latent_dim": latent,
              "image_shape": list(image), "encoder": [*_conv_blocks(enc, "conv2d", ""), "flatten"],
              "decoder": [f"linear {latent} {features}", f"unflatten {widths[-1]} {bottleneck} {bottleneck}",
                          *_conv_blocks([*dec, final[0]["weight"]], "conv_transpose2d", " op=1"),
                          f"conv2d {out[1]} {out[0]} k=3 s=1 p=1", "tanh"]}
    count = len(dec)
    sources = {"mean": "fc_mu", "logvar": "fc_var", "decoder.0": "decoder_input",
               **{f"encoder.{3 * i + j}": f"encoder.{i}.{j}" for i in range(len(enc)) for j in (0, 1)},
               **{f"decoder.{2 + 3 * i + j}": f"decoder.{i}.{j}" for i in range(count) for j in (0, 1)},
               **{f"decoder.{2 + 3 * count + j}": f"final_layer.{j}" for j in (0, 1, 3)}}
    sizes = f"latent {latent}, hidden {widths}, image {_shown(image)}"
    return Recognised("AntixK/PyTorch-VAE VanillaVAE (conv VAE)", sizes, "foreign-vae", config, sources)


def _nested_blocks(shapes: Shapes, prefix: str) -> list[tuple[int, ...]] | None:
    """The conv weights of the blocks ``PREFIX.I.0`` (a 3×3 conv) + ``PREFIX.I.1`` (a batch
    norm), I = 0, 1, …; ``None`` when the blocks are not that."""
    indices = {int(m[1]) for k in shapes if (m := re.match(rf"{prefix}\.(\d+)\.", k))}
    if sorted(indices) != list(range(len(indices))):
        return None
    weights = []
    for index in sorted(indices):
        block = _layers(shapes, f"{prefix}.{index}")
        weight = block.get(0, {}).get("weight", ())
        if len(weight) != 4 or weight[2:] != (3, 3) or sorted(block) != [0, 1]:
            return None
        weights.append(weight)
    return weights or None


def _conv_blocks(weights: list[tuple[int, ...]], op: str, extra: str) -> list[str]:
    """[conv, batch norm, LeakyReLU(0.01)] specs for each weight (``[out, in]`` for conv2d,
    ``[in, out]`` for a transposed one)."""
    specs = []
    for weight in weights:
        c_in, c_out = (weight[1], weight[0]) if op == "conv2d" else weight[:2]
        specs += [f"{op} {c_in} {c_out} k=3 s=2 p=1{extra}", f"batch_norm2d {c_out}", "leaky_relu 0.01"]
    return specs


def _shown(image: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in image)


RECOGNISERS: tuple[Callable[[Shapes], Recognised | None], ...] = (
    examples_vae, examples_dcgan, pytorch_gan_mlp, pytorch_gan_dcgan, conv_vae)


def recognise(shapes: Shapes) -> Recognised | None:
    """The first architecture whose keys and shapes ``shapes`` are exactly, or ``None``.

    A recogniser reads the layout; the network its config builds (on the ``meta`` device: shapes,
    no memory) must then want exactly the tensors of ``shapes``, shape for shape.
    """
    if any(n < 0 for shape in shapes.values() for n in shape):
        return None  # no tensor has a negative size: a damaged or hostile header
    for recogniser in RECOGNISERS:
        try:
            found = recogniser(shapes)
        except (ValueError, ZeroDivisionError, IndexError, KeyError, TypeError):
            continue  # sizes no public network has (a zero width, a missing dimension)
        if found is not None and (not found.convertible or _fits(found, shapes)):
            return found
    return None


def source_keys(found: Recognised, ours: list[str]) -> dict[str, str]:
    """Our tensor names -> the original's, for the tensors named ``ours``."""
    keys = {}
    for key in ours:
        module, _, parameter = key.rpartition(".")
        if module in found.sources:
            keys[key] = f"{found.sources[module]}.{parameter}"
    return keys


def _fits(found: Recognised, shapes: Shapes) -> bool:
    try:
        with torch.device("meta"):
            model = build_model(found.family, found.config)
    except (ValueError, TypeError):
        return False
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    keys = source_keys(found, list(expected))
    optional = {k for k in expected if k.endswith(".num_batches_tracked")}  # older files lack them
    return (set(keys) == set(expected) and set(shapes) <= set(keys.values())
            and all(shapes.get(keys[k]) == shape for k, shape in expected.items()
                    if k not in optional or keys[k] in shapes))
