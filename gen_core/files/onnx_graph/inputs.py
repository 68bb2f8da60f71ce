"""The graph's inputs: the latent ``[B, D]`` or ``[B, D, 1, 1]``, and optionally a class label
(integers ``[B]`` / ``[B, 1]`` or one-hot floats ``[B, K]``) that becomes a categorical latent."""

from __future__ import annotations

import dataclasses

from gen_core.files.onnx_graph.limits import MAX_CLASSES, MAX_LATENT_DIM
from gen_core.files.onnx_graph.reader import GraphError
from gen_core.files.onnx_graph.values import Activation

FLOAT_TYPES, INT_TYPES = (1, 10, 11), (6, 7)
LABEL_HINTS = ("label", "class", "cond", "onehot", "one_hot")


@dataclasses.dataclass(frozen=True)
class Label:
    """A conditional generator's label input: ``one_hot`` floats ``[B, classes]`` or integers
    ``[B, *shape]``."""

    name: str
    shape: tuple[int, ...]
    one_hot: bool
    classes: int  # 0 until known (an integer label's count comes from its embedding table)


@dataclasses.dataclass(frozen=True)
class GraphInputs:
    latent: str
    latent_shape: tuple[int, ...]  # per picture: (D,) or (D, 1, 1)
    label: Label | None

    def activations(self) -> dict[str, Activation]:
        found = {self.latent: Activation(self.latent_shape)}
        if self.label is not None:
            found[self.label.name] = Activation(self.label.shape, "float" if self.label.one_hot else "int")
        return found


def _described(value_info) -> tuple[int, list]:
    tensor = value_info.type.tensor_type
    return tensor.elem_type, [
        d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in tensor.shape.dim
    ]


def _is_latent(kind: int, dims: list) -> bool:
    sizes = dims[1:]
    return (
        kind in FLOAT_TYPES
        and len(dims) in (2, 4)
        and all(isinstance(n, int) for n in sizes)
        and 1 <= sizes[0] <= MAX_LATENT_DIM
        and sizes[1:] in ([], [1, 1])
    )


def read_inputs(graph) -> GraphInputs:
    """The latent and label inputs; ``GraphError`` names any other input."""
    constants = {t.name for t in graph.initializer}
    given = [(i.name, *_described(i)) for i in graph.input if i.name not in constants]
    if not 1 <= len(given) <= 2:
        names = ", ".join(repr(name[:40]) for name, _, _ in given[:5])
        raise GraphError(
            f"the graph needs one latent input and at most one label, it has {len(given)}: {names}"
        )
    hinted = [g for g in given if any(h in g[0].lower() for h in LABEL_HINTS)]
    latents = [g for g in given if _is_latent(g[1], g[2]) and (len(given) == 1 or g not in hinted)]
    if len(latents) != 1:
        shown = "; ".join(f"{name[:40]!r} {dims}" for name, _, dims in given)
        raise GraphError(
            f"no single latent input [batch, D] or [batch, D, 1, 1] with 1 <= D <= {MAX_LATENT_DIM} "
            f"among {shown} (a float class input needs 'label' or 'class' in its name)"
        )
    name, _, dims = latents[0]
    label = None
    for other, kind, other_dims in given:
        if other != name:
            label = _label(other, kind, other_dims)
    return GraphInputs(name, tuple(dims[1:]), label)


def _label(name: str, kind: int, dims: list) -> Label:
    sizes = dims[1:]
    if kind in INT_TYPES and len(dims) in (1, 2) and sizes in ([], [1]):
        return Label(name, tuple(sizes), one_hot=False, classes=0)
    if kind in FLOAT_TYPES and len(dims) == 2 and isinstance(sizes[0], int) and 2 <= sizes[0] <= MAX_CLASSES:
        return Label(name, (sizes[0],), one_hot=True, classes=sizes[0])
    raise GraphError(
        f"the second input {name[:40]!r} {dims} (type {kind}) is not a class label: integers "
        f"[batch] or [batch, 1], or one-hot floats [batch, K] with 2 <= K <= {MAX_CLASSES}"
    )


def embedding_rows(graph, label: str) -> int:
    """The rows of the first constant table a Gather looks up by a computed index (the label's)."""
    constants = {t.name: t for t in graph.initializer}
    for node in graph.node:
        if (
            node.op_type == "Gather"
            and len(node.input) == 2
            and node.input[0] in constants
            and node.input[1] not in constants
        ):
            dims = constants[node.input[0]].dims
            return int(dims[0]) if dims else 0
    raise GraphError(
        f"the label input {label[:40]!r} feeds no embedding table; name its classes with "
        "the latent_atlas.class_names property"
    )
