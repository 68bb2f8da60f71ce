"""The rebuilt graph as one ``nn.Module``, and its form as a plain chain of layers where it is one."""

from __future__ import annotations

import torch
from torch import nn

from gen_core.files.onnx_graph import layers
from gen_core.files.onnx_graph.planner import Plan
from gen_core.models.base import ScaleShift

# The layers the browser's runtime (``gen_core.media.browser_decoder``) runs.
BROWSER_LAYERS = (
    nn.Linear,
    nn.ConvTranspose2d,
    nn.BatchNorm1d,
    nn.BatchNorm2d,
    nn.ReLU,
    nn.LeakyReLU,
    nn.Tanh,
    nn.Sigmoid,
    nn.Flatten,
    nn.Unflatten,
    ScaleShift,
)
SCALAR_ARITHMETIC = {
    "Add": lambda c: ScaleShift(1.0, c),
    "Sub": lambda c: ScaleShift(1.0, -c),
    "Mul": lambda c: ScaleShift(c, 0.0),
    "Div": lambda c: ScaleShift(1.0 / c, 0.0),
}


class OnnxGraph(nn.Module):
    """The graph's nodes as torch layers, run in the file's order over named values."""

    def __init__(
        self, plan: Plan, inputs: list[str], output: str, more_outputs: tuple[str, ...] = ()
    ) -> None:
        super().__init__()
        self.steps = nn.ModuleList(node.step.make() for node in plan.nodes)
        self.wiring = [(node.inputs, node.outputs, node.op_type, node.name) for node in plan.nodes]
        # per-picture rank of each node's first input: a reshape of a flat value needs no flatten
        self.input_ranks = [
            len(plan.values[node.inputs[0]].shape) if node.inputs else 0 for node in plan.nodes
        ]
        self.inputs, self.output, self.more_outputs = inputs, output, more_outputs

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        """The graph's inputs (``[B, ...]`` each, in graph order) to its output ``[B, ...]``."""
        return self.outputs_of(*inputs)[0]

    def outputs_of(self, *inputs: torch.Tensor) -> list[torch.Tensor]:
        """The graph's inputs to its output and ``more_outputs`` (an encoder's log-variances)."""
        values = dict(zip(self.inputs, inputs, strict=True))
        for layer, (names, outputs, _, _) in zip(self.steps, self.wiring, strict=True):
            values[outputs[0]] = layer(*(values[n] for n in names))
        return [values[name] for name in (self.output, *self.more_outputs)]

    def chain(self) -> tuple[list[nn.Module], str]:
        """The graph as browser layers applied in turn (``[]`` and the reason when it is not one)."""
        chain, current = [], self.inputs[0]
        if len(self.inputs) != 1:
            return [], "the graph has a second input (a class label)"
        for layer, (names, outputs, op_type, name), rank in zip(
            self.steps, self.wiring, self.input_ranks, strict=True
        ):
            if names != [current]:
                return [], f"the graph is not a chain ({op_type} {name!r} reads {len(names)} computed values)"
            converted = _browser_layer(layer, chain, rank)
            if converted is None:
                return [], f"the browser runtime has no layer for {op_type} ({name or 'unnamed'})"
            chain.extend(converted)
            current = outputs[0]
        if current != self.output:
            return [], "the graph's output is not the end of its chain"
        return chain, ""


def _browser_layer(layer: nn.Module, chain: list[nn.Module], rank: int) -> list[nn.Module] | None:
    """``layer`` as browser layers (a bias add may merge into the linear before it), else None."""
    if isinstance(layer, nn.Identity):
        return []
    if isinstance(layer, layers.Reshape):
        flatten = [nn.Flatten()] if rank > 1 else []
        return [*flatten, *([nn.Unflatten(1, layer.shape)] if len(layer.shape) > 1 else [])]
    if isinstance(layer, layers.Binary) and layer.constant is not None and not layer.constant_first:
        constant = layer.constant
        if constant.numel() == 1 and layer.op in SCALAR_ARITHMETIC and (layer.op != "Div" or constant.item()):
            return [SCALAR_ARITHMETIC[layer.op](constant.item())]
        last = chain[-1] if chain else None
        if layer.op == "Add" and isinstance(last, nn.Linear) and constant.numel() == last.out_features:
            merged = nn.Linear(last.in_features, last.out_features)
            merged.weight.data = last.weight.data
            merged.bias.data = constant.reshape(-1) + (last.bias.data if last.bias is not None else 0)
            chain[-1] = merged
            return []
        return None
    return [layer] if type(layer) in BROWSER_LAYERS else None
