"""The training command's presets with tiny networks, for tests of what a run does (seeds,
resuming, rates, time budgets, DDP), which does not depend on the networks' size.

Each preset keeps its family, its trainer, its learning rate and every other config field; only
the widths shrink. ``python -m tests.tiny_presets ARGS...`` (from the project root) is
``python -m gen_core.train ARGS...`` with these presets, so ``torchrun`` can launch it; ``ARGS
--then ARGS...`` trains each in turn in the same processes, as a recipe's stages are.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from gen_core.train import cli

# Widths by config field; a VAE's ``hidden`` depends on its arch. Wide enough for 8x8 digits.
TINY_WIDTHS = {"ngf": 4, "ndf": 4, "nef": 4, "encoder_hidden": (4, 8, 16), "discriminator_width": 16}
TINY_HIDDEN = {"mlp": (32, 16), "conv": (4, 8, 16)}


def tiny(config):
    """``config`` with every width it has made tiny."""
    fields = {f.name for f in dataclasses.fields(config)}
    sizes = {k: v for k, v in TINY_WIDTHS.items() if k in fields}
    if "hidden" in fields:
        sizes["hidden"] = TINY_HIDDEN[config.arch] if hasattr(config, "arch") else TINY_HIDDEN["conv"]
    return dataclasses.replace(config, **sizes)


def tiny_presets() -> dict:
    """``cli.PRESETS`` with each config made tiny."""
    return {name: (family, tiny(config), trainer, lr) for name, (family, config, trainer, lr)
            in cli.PRESETS.items()}


RUN_SEPARATOR = "--then"


def each_run(argv: list[str]) -> list[list[str]]:
    """The command lines ``argv`` holds, split at every ``RUN_SEPARATOR``."""
    runs = [[]]
    for word in argv:
        if word == RUN_SEPARATOR:
            runs.append([])
        else:
            runs[-1].append(word)
    return runs


def gloo_threads() -> list[str]:
    """The names of this process's threads that a gloo process group runs (Linux's /proc; none
    elsewhere)."""
    names = []
    for comm in Path("/proc/self/task").glob("*/comm"):
        try:
            names.append(comm.read_text().strip())
        except FileNotFoundError:  # a thread that ended since the listing
            continue
    return [name for name in names if "gloo" in name]


if __name__ == "__main__":
    cli.PRESETS = tiny_presets()
    cli.train_each([args for run_argv in each_run(sys.argv[1:]) for args in cli.parse_args(run_argv)])
    # A group that outlives its runs keeps worker threads that can abort the process at exit,
    # only now and then; their presence says so every time.
    if left := gloo_threads():
        raise SystemExit(f"the process group outlived the runs: its threads {left} are still running")
