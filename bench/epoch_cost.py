"""What each shipped model's training costs on this machine's CPU, measured, not assumed.

For every checkpoint, the trainer its card names is rebuilt with the recorded options, batch
size and generator average, and a few optimisation steps of the shipped model are timed on
random images of its shape (a step's cost does not depend on the pixels). The models take turns
over several rounds, so that a slow spell of a shared machine does not fall on one model alone.
The median step time times the steps of a 60,000-image epoch gives seconds per epoch; times
the shipped epochs, the CPU time those epochs would take here, shown beside the time the file
records (which may have been spent on a GPU). Where a file's whole recorded time was spent on a
CPU, its recorded time per step is shown too: the reference the measurement should reproduce.

    python -m bench.epoch_cost checkpoints/ [--steps 10] [--rounds 3] [--threads 1] [--doc docs/benchmarks.md]

``--doc`` writes the table between the ``<!-- epoch-cost:start -->`` and ``-end -->`` markers.
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from pathlib import Path

import torch

from gen_core.data import ImageData
from gen_core.eval.zoo_table import checkpoint_files, publish
from gen_core.files.card import format_duration
from gen_core.files.checkpoint import load_model
from gen_core.models import GenerativeModel
from gen_core.train.cli import PRESETS
from gen_core.train.distributed import DistContext
from gen_core.train.loop import RunConfig, Trainer

START, END = "<!-- epoch-cost:start -->", "<!-- epoch-cost:end -->"
EPOCH_IMAGES = 60_000  # the MNIST and Fashion-MNIST training sets
WARM_UP_STEPS = 3  # first steps allocate buffers and pick kernels
TRAINERS: dict[str, type[Trainer]] = {trainer.__name__: trainer for _, _, trainer, _ in PRESETS.values()}
FAMILY_TRAINERS: dict[str, type[Trainer]] = {family: trainer for family, _, trainer, _ in PRESETS.values()}


def step_seconds(model: GenerativeModel, steps: int, run_dir: Path) -> list[float]:
    """Seconds of each of ``steps`` training steps of ``model`` with its recorded trainer settings,
    on random images ``[batch, C, H, W]``, after ``WARM_UP_STEPS`` untimed ones."""
    summary = model.card.training
    training = summary.record
    # Files written before the trainer was recorded were trained by their family's only trainer.
    trainer_class = TRAINERS.get(summary.trainer, FAMILY_TRAINERS[model.family])
    options = trainer_class.options_class(**summary.options)
    batch = summary.batch_size or 128
    images = torch.rand(batch * (steps + WARM_UP_STEPS), *model.image_shape,
                        generator=torch.Generator().manual_seed(0))
    data = ImageData("random", images, torch.zeros(len(images), dtype=torch.int64), ())
    run = RunConfig(batch_size=batch, lr=float(training.get("lr") or 1e-4), lr_d=training.get("lr_d"),
                    ema_decay=training.get("ema_decay"))
    trainer = trainer_class(model, data, None, run, DistContext(), run_dir, options)
    model.train()
    times = []
    for index in torch.arange(len(images)).split(batch):
        started = time.perf_counter()
        trainer.train_step(images[index])
        trainer.steps += 1
        times.append(time.perf_counter() - started)
    return times[WARM_UP_STEPS:]


def recorded_step_ms(model: GenerativeModel) -> str:
    """Milliseconds per step the file records, where all of its time was spent on a CPU."""
    training = model.card.training
    if set(training.seconds_by_device) != {"cpu"} or not training.steps:
        return "–"
    return f"{1000 * training.seconds / training.steps:.0f}"


def cost_rows(folder: Path, steps: int, rounds: int) -> list[tuple[str, ...]]:
    """Rows of (model, epochs, ms/step (range), recorded CPU ms/step, s/epoch, CPU time for its
    epochs, recorded time)."""
    paths = checkpoint_files(folder)
    times: dict[Path, list[float]] = {path: [] for path in paths}
    with tempfile.TemporaryDirectory() as run_dir:
        for _ in range(rounds):
            for path in paths:  # a fresh copy each round: every round times the shipped weights
                times[path] += step_seconds(load_model(path), steps, Path(run_dir))
    return [cost_row(load_model(path), path.stem, times[path]) for path in paths]


def cost_row(model: GenerativeModel, name: str, times: list[float]) -> tuple[str, ...]:
    training = model.card.training
    per_step = statistics.median(times)
    batch = training.batch_size or 128
    per_epoch = per_step * math.ceil(EPOCH_IMAGES / batch)
    epochs = training.epochs or 0
    return (name, str(epochs), f"{1000 * per_step:.0f} ({1000 * min(times):.0f}–{1000 * max(times):.0f})",
            recorded_step_ms(model), f"{per_epoch:.0f}", format_duration(per_epoch * epochs),
            training.duration_text)


def main(argv: list[str] | None = None) -> list[tuple[str, ...]]:
    p = argparse.ArgumentParser(prog="python -m bench.epoch_cost", description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path, help="folder of checkpoints (for example checkpoints/)")
    p.add_argument("--steps", type=int, default=10, help="timed steps per model and round")
    p.add_argument("--rounds", type=int, default=3, help="rounds in which every model takes a turn")
    p.add_argument("--threads", type=int, default=1, help="torch threads (the shipped CPU runs used 1)")
    p.add_argument("--doc", type=Path,
                   help="write the table between the markers of this file (docs/benchmarks.md)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rows = cost_rows(args.folder, args.steps, args.rounds)
    threads = f"{args.threads} thread{'s' if args.threads > 1 else ''}"
    table = "\n".join([
        f"| Model | Epochs | ms/step, median (range) of {args.steps * args.rounds} | Recorded CPU ms/step "
        f"| s/epoch | CPU time for its epochs ({threads}) | Recorded training time |",
        "|---|---|---|---|---|---|---|", *("| " + " | ".join(row) + " |" for row in rows)])
    publish(table, args.doc, START, END)
    return rows


if __name__ == "__main__":
    main()
