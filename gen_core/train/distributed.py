"""Process-group plumbing so one training script runs alone or under ``torchrun``.

Under ``torchrun --nproc_per_node=N`` the environment holds ``WORLD_SIZE``/``RANK``; we then join a
process group (nccl on GPUs, gloo on CPU) and each rank trains on its shard of every epoch.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable

import torch
import torch.distributed as dist

# Imported before any process group exists, because its functions take ``group=group.WORLD`` as a
# default, evaluated at import. Imported later (DistributedDataParallel does, through
# torch._dynamo), they would hold the group past ``destroy_process_group``, and with it gloo's
# worker threads; one that then frees a collective's tensor while the interpreter shuts down
# cannot take the GIL, and aborts the process ("terminate called without an active exception").
import torch.distributed.nn.functional
from torch import nn


@dataclasses.dataclass(frozen=True)
class DistContext:
    rank: int = 0
    world_size: int = 1
    device: torch.device = dataclasses.field(default_factory=lambda: torch.device("cpu"))

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def is_distributed(self) -> bool:
        return self.world_size > 1


def setup(device: str | None = None) -> DistContext:
    """Join the process group when launched by torchrun; pick the device for this rank."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    use_cuda = torch.cuda.is_available() if device is None else device.startswith("cuda")
    if use_cuda:
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local_rank)
        chosen = torch.device("cuda", local_rank)
    else:
        chosen = torch.device("cpu")
    if world_size > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return DistContext(rank, world_size, chosen)


def teardown() -> None:
    """Leave the process group once every rank has come here (nothing to do outside torchrun).
    A process leaves it once, after its last run: joining a group again after leaving one could
    hang under torchrun."""
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def shard(order: torch.Tensor, ctx: DistContext) -> torch.Tensor:
    """This rank's equal share of a permutation ``[N]`` (the remainder is dropped)."""
    per_rank = order.numel() // ctx.world_size
    return order[ctx.rank * per_rank:(ctx.rank + 1) * per_rank]


def mean_across_ranks(values: dict[str, float], ctx: DistContext) -> dict[str, float]:
    """Average scalar logs over ranks so rank 0 reports the whole run's numbers."""
    if not ctx.is_distributed:
        return values
    keys = sorted(values)
    packed = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=ctx.device)
    dist.all_reduce(packed)
    return {k: float(v) / ctx.world_size for k, v in zip(keys, packed, strict=True)}


def broadcast_weights(modules: Iterable[nn.Module], ctx: DistContext) -> None:
    """Give every rank rank 0's parameters and buffers, as DistributedDataParallel does on wrapping."""
    if not ctx.is_distributed:
        return
    for module in modules:
        for tensor in module.state_dict().values():
            dist.broadcast(tensor, src=0)


def synced_step(optimizer: torch.optim.Optimizer, ctx: DistContext) -> None:
    """Average the gradients of ``optimizer``'s parameters over ranks, then step.

    For trainers whose steps run several backward passes through shared modules (one loss for the
    encoder, another for the decoder), which DistributedDataParallel's one-backward hooks cannot
    follow. Parameters without a gradient are skipped on every rank alike.
    """
    if ctx.is_distributed:
        for group in optimizer.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    dist.all_reduce(param.grad)
                    param.grad.div_(ctx.world_size)
    optimizer.step()
