"""A network written as data: a list of short layer specs, each one line of text.

A spec is an operator name, its sizes, then ``key=value`` options, for example::

    linear 100 128               conv_transpose2d 100 512 k=4 s=1 p=0 bias=0
    batch_norm1d 128 eps=0.8     conv2d 128 64 k=3 s=1 p=1
    leaky_relu 0.2               upsample 2      unflatten 128 8 8      flatten      tanh

This is what lets a recognised public architecture (pytorch/examples, PyTorch-GAN, …) live in one
model family whose config is its layer list: the file stays pure data, with no code, and each
spec is checked (known operator, bounded sizes) and the activation shape followed from the
latent to the image before any layer is built.
"""

from __future__ import annotations

import dataclasses
import math

from torch import nn

MAX_LAYERS = 64
MAX_WIDTH = 4096  # channels or features of one layer
MAX_KERNEL = 16
MAX_ACTIVATION = 2**22  # elements per sample at any point of the network
MAX_SPEC_TEXT = 64  # the registry's bound on a config text


@dataclasses.dataclass(frozen=True)
class Operator:
    """How one operator is written: its positional sizes and its options with their defaults."""

    sizes: tuple[str, ...] = ()
    options: tuple[tuple[str, float], ...] = ()


CONV_OPTIONS = (("k", 3), ("s", 1), ("p", 0), ("bias", 1))
OPERATORS = {
    "linear": Operator(("in", "out"), (("bias", 1),)),
    "conv2d": Operator(("in", "out"), CONV_OPTIONS),
    "conv_transpose2d": Operator(("in", "out"), (*CONV_OPTIONS, ("op", 0))),  # op: output_padding
    "batch_norm1d": Operator(("channels",), (("eps", 1e-5),)),
    "batch_norm2d": Operator(("channels",), (("eps", 1e-5),)),
    "relu": Operator(),
    "leaky_relu": Operator(("slope",)),
    "tanh": Operator(),
    "sigmoid": Operator(),
    "upsample": Operator(("factor",)),  # nearest neighbour, as nn.Upsample's default
    "flatten": Operator(),
    "unflatten": Operator(("c", "h", "w")),
}
FLOAT_FIELDS = ("slope", "eps")


@dataclasses.dataclass(frozen=True)
class LayerSpec:
    """One parsed spec: the operator and its values by name (sizes and options together)."""

    op: str
    values: dict[str, float]

    @classmethod
    def parse(cls, text: str) -> LayerSpec:
        """``"conv2d 128 64 k=3 p=1"`` -> its spec; ``ValueError`` names what is wrong."""
        if not isinstance(text, str) or len(text) > MAX_SPEC_TEXT:
            raise ValueError(f"a layer spec must be a text of at most {MAX_SPEC_TEXT} characters")
        op, *words = text.split()
        operator = OPERATORS.get(op)
        if operator is None:
            raise ValueError(f"unknown layer {op!r} (known: {', '.join(OPERATORS)})")
        sizes = [w for w in words if "=" not in w]
        if len(sizes) != len(operator.sizes):
            raise ValueError(f"{op!r} takes {len(operator.sizes)} size(s) {operator.sizes}: {text!r}")
        values = dict(operator.options)
        for word in (w for w in words if "=" in w):
            key, _, value = word.partition("=")
            if key not in values:
                raise ValueError(f"{op!r} has no option {key!r}: {text!r}")
            values[key] = _number(key, value)
        values.update({name: _number(name, word) for name, word in zip(operator.sizes, sizes, strict=True)})
        return cls(op, values)

    def __getitem__(self, name: str) -> int:
        return int(self.values[name])

    def text(self) -> str:
        """The spec written back in its one-line form (defaults left out)."""
        operator = OPERATORS[self.op]
        words = [self.op, *(f"{self.values[n]:g}" for n in operator.sizes)]
        words += [f"{k}={self.values[k]:g}" for k, default in operator.options if self.values[k] != default]
        return " ".join(words)


def _number(name: str, word: str) -> float:
    try:
        value = float(word) if name in FLOAT_FIELDS else int(word)
    except ValueError:
        raise ValueError(f"{name}={word!r} is not a {'number' if name in FLOAT_FIELDS else 'whole number'}") \
            from None
    low = {"slope": -1.0, "eps": 0.0, "p": 0, "op": 0, "bias": 0}.get(name, 1)
    high = 1 if name in (*FLOAT_FIELDS, "bias") else MAX_WIDTH
    if not low <= value <= high:
        raise ValueError(f"{name}={word} is out of bounds")
    return value


def parse_layers(texts: tuple[str, ...] | list[str]) -> list[LayerSpec]:
    """Every spec of a layer list parsed; ``ValueError`` names the first bad one."""
    if not 1 <= len(texts) <= MAX_LAYERS:
        raise ValueError(f"a layer list holds 1…{MAX_LAYERS} layers, got {len(texts)}")
    return [LayerSpec.parse(text) for text in texts]


def output_shape(layers: list[LayerSpec], shape: tuple[int, ...]) -> tuple[int, ...]:
    """The per-sample shape after ``layers`` given ``shape`` at their input (``(D,)`` or
    ``(C, H, W)``); ``ValueError`` names the first layer that does not fit or grows too large."""
    for index, layer in enumerate(layers):
        shape = _step(layer, shape)
        if any(n < 1 for n in shape) or math.prod(shape) > MAX_ACTIVATION:
            raise ValueError(f"layer {index} ({layer.text()}) gives {list(shape)}: empty or too large")
    return shape


def _step(layer: LayerSpec, shape: tuple[int, ...]) -> tuple[int, ...]:
    op, flat = layer.op, len(shape) == 1
    if op == "linear" or op == "batch_norm1d":
        want = layer["in"] if op == "linear" else layer["channels"]
        if not flat or shape[0] != want:
            raise ValueError(f"{layer.text()} cannot take an input of shape {list(shape)}")
        return (layer["out"],) if op == "linear" else shape
    if op == "flatten":
        return (math.prod(shape),)
    if op == "unflatten":
        if not flat or shape[0] != layer["c"] * layer["h"] * layer["w"]:
            raise ValueError(f"{layer.text()} cannot take an input of shape {list(shape)}")
        return (layer["c"], layer["h"], layer["w"])
    if op in ("conv2d", "conv_transpose2d", "batch_norm2d", "upsample"):
        want = layer["channels"] if op == "batch_norm2d" else layer.values.get("in", shape[0])
        odd = layer.values.get("k", 1) > MAX_KERNEL or layer.values.get("op", 0) >= layer.values.get("s", 1)
        if flat or shape[0] != want or odd:
            raise ValueError(f"{layer.text()} cannot take an input of shape {list(shape)}")
        return _spatial(layer, shape)
    return shape  # activations keep the shape


def _spatial(layer: LayerSpec, shape: tuple[int, ...]) -> tuple[int, ...]:
    c, h, w = shape
    if layer.op == "upsample":
        return (c, h * layer["factor"], w * layer["factor"])
    if layer.op == "batch_norm2d":
        return shape
    k, s, p = layer["k"], layer["s"], layer["p"]
    if layer.op == "conv2d":
        return (layer["out"], *((n + 2 * p - k) // s + 1 for n in (h, w)))
    return (layer["out"], *((n - 1) * s - 2 * p + k + layer["op"] for n in (h, w)))


def build_layers(layers: list[LayerSpec]) -> list[nn.Module]:
    """The torch modules of parsed ``layers``, in order (``output_shape`` has checked they fit)."""
    return [_module(layer) for layer in layers]


def _module(layer: LayerSpec) -> nn.Module:
    op, v = layer.op, layer.values
    if op == "linear":
        return nn.Linear(layer["in"], layer["out"], bias=bool(v["bias"]))
    if op == "conv2d":
        return nn.Conv2d(layer["in"], layer["out"], layer["k"], layer["s"], layer["p"],
                         bias=bool(v["bias"]))
    if op == "conv_transpose2d":
        return nn.ConvTranspose2d(layer["in"], layer["out"], layer["k"], layer["s"], layer["p"],
                                  output_padding=layer["op"], bias=bool(v["bias"]))
    if op in ("batch_norm1d", "batch_norm2d"):
        kind = nn.BatchNorm1d if op == "batch_norm1d" else nn.BatchNorm2d
        return kind(layer["channels"], eps=v["eps"])
    if op == "leaky_relu":
        return nn.LeakyReLU(v["slope"])
    if op == "upsample":
        return nn.Upsample(scale_factor=layer["factor"])
    if op == "unflatten":
        return nn.Unflatten(1, (layer["c"], layer["h"], layer["w"]))
    return {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "flatten": nn.Flatten}[op]()
