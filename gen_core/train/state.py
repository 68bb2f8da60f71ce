"""Training state (optimizers, discriminator, RNG) as flat tensors for a resumable run file.

Everything is stored with a ``train.`` prefix beside the model's own tensors, so the run file is
still a loadable checkpoint; JSON-able parts (optimizer hyper-parameters) go into metadata.
"""

from __future__ import annotations

import torch
from torch import nn

PREFIX = "train."


def pack_state(modules: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer],
               rngs: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict]:
    """Flatten extra modules, optimizer states and RNG states -> ``(tensors, json_part)``."""
    tensors: dict[str, torch.Tensor] = {}
    for name, module in modules.items():
        for key, value in module.state_dict().items():
            tensors[f"{PREFIX}module.{name}.{key}"] = value
    groups = {}
    for name, opt in optimizers.items():
        state = opt.state_dict()
        groups[name] = state["param_groups"]
        for index, slots in state["state"].items():
            for slot, value in slots.items():
                tensors[f"{PREFIX}opt.{name}.{index}.{slot}"] = torch.as_tensor(value)
    for name, value in rngs.items():
        tensors[f"{PREFIX}rng.{name}"] = value
    return tensors, {"param_groups": groups}


def unpack_state(tensors: dict[str, torch.Tensor], json_part: dict,
                 modules: dict[str, nn.Module],
                 optimizers: dict[str, torch.optim.Optimizer]) -> dict[str, torch.Tensor]:
    """Load what ``pack_state`` wrote into ``modules`` and ``optimizers``; return the RNG states."""
    for name, module in modules.items():
        prefix = f"{PREFIX}module.{name}."
        module.load_state_dict({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})
    for name, opt in optimizers.items():
        prefix = f"{PREFIX}opt.{name}."
        state: dict[int, dict[str, torch.Tensor]] = {}
        for key, value in tensors.items():
            if key.startswith(prefix):
                index, slot = key[len(prefix):].split(".", 1)
                state.setdefault(int(index), {})[slot] = value
        opt.load_state_dict({"state": state, "param_groups": json_part["param_groups"][name]})
    prefix = f"{PREFIX}rng."
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
