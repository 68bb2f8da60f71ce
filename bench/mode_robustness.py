"""Che et al. 2017's claim measured the way they framed it: over a grid of training settings, does the
mode-regularized GAN cover the classes more fully and more evenly than the DCGAN early in training?

Their MNIST experiment trains both over a grid of hyperparameters and compares the spread of MODE
scores: a regularizer that steadies training should keep more of the grid from collapsing. Here
the grid is the learning rate, the discriminator's rate beside it (a two time-scale update) and
the batch size (``GRID``); at each setting the DCGAN and the mode-regularized GAN as the zoo ships
it (codes on the prior's shell, Algorithm 1's discriminator: ``recipes/mnist-mrgan-shell.toml``)
train the same epochs from the same seed, with the generators of ``gen_core.train``'s presets.
Each run's live generator is scored (no weight average: an average of about the last 1,000 steps
would blur the early phase the claim is about) on ``--samples`` draws in the shipped classifier's
features, as the zoo is: the MODE score, the classes drawn by at least 2% of the samples, the
rarest class's share and the FD, each beside the real half's value at the same sample size.

    python -m bench.mode_robustness --data-root DATA [--dataset mnist] [--epochs 2] [--samples 2000]
        [--seeds 0 ...] [--rates 2e-4 ...] [--runs runs/mode-robustness/DATASET] [--doc docs/zoo.md]

With one seed it prints the grid (each setting's scores) and a summary over the grid; with several,
one row per setting of each model's mean MODE score over the seeds and the regularized GAN's lead
at each seed (the seed also draws the scored samples and the held-out half). Finished runs are kept
in ``--runs`` under names that hold their setting, epochs and seed, and are not trained again: an
interrupted grid goes on where it stopped. ``--doc`` writes the tables between the dataset's
markers, ``<!-- mode-robustness:DATASET:start -->`` and ``-end -->`` for the grid,
``<!-- mode-robustness-seeds:DATASET:start -->`` and ``-end -->`` for the seeds.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import statistics
from collections.abc import Callable
from pathlib import Path

from gen_core.eval.evaluate import EvalSettings, Reference, build_reference, sample_metrics
from gen_core.eval.metric_keys import CLASS_FRACTIONS, FD, FD_REAL, MIN_CLASS, MODE_SCORE, MODE_SCORE_REAL
from gen_core.eval.metrics import classes_covered
from gen_core.eval.zoo_table import publish
from gen_core.files.checkpoint import load_model
from gen_core.train import cli


def dataset_markers(name: str, dataset: str) -> tuple[str, str]:
    """The start and end markers of the table ``name`` of ``dataset`` in a document."""
    return f"<!-- {name}:{dataset}:start -->", f"<!-- {name}:{dataset}:end -->"


def markers(dataset: str, seeds: int) -> tuple[str, str]:
    """The start and end markers of the tables of ``dataset`` from one seed's grid or from several."""
    return dataset_markers("mode-robustness" if seeds == 1 else "mode-robustness-seeds", dataset)


@dataclasses.dataclass(frozen=True)
class Setting:
    """One point of the grid: the generator's rate, the discriminator's as a multiple of it, the batch."""

    lr: float
    discriminator_ratio: float
    batch_size: int

    @property
    def label(self) -> str:
        return f"lr {self.lr:g}, D rate ×{self.discriminator_ratio:g}, batch {self.batch_size}"

    @property
    def slug(self) -> str:
        return f"lr{self.lr:g}-d{self.discriminator_ratio:g}-b{self.batch_size}"

    def flags(self) -> list[str]:
        return ["--lr", f"{self.lr:g}", "--lr-d", f"{self.lr * self.discriminator_ratio:g}",
                "--batch-size", str(self.batch_size)]


# DCGAN's rate and rates 5 and 25 times higher, an equal or a four times faster discriminator, a
# small and a large batch: from the settings these models ship with to ones where GANs fail.
GRID = tuple(Setting(lr, ratio, batch)
             for lr in (2e-4, 1e-3, 5e-3) for ratio in (1, 4) for batch in (64, 256))
# The two models compared, as training flags; the DCGAN first, as the reference.
MODELS: dict[str, tuple[str, ...]] = {
    "DCGAN": ("--model", "dcgan"),
    "mode-regularized": ("--model", "mrgan-shell", "--plain-discriminator"),
}


@dataclasses.dataclass(frozen=True)
class Score:
    """What one run's samples score."""

    mode: float
    covered: int  # classes drawn by at least 2% of the samples
    rarest: float  # the rarest class's share of the samples
    fd: float


def run_file(runs: Path, model: str, setting: Setting, epochs: int, seed: int, dry_run: bool) -> Path:
    """Where the run of ``model`` at ``setting`` is kept: its name says all that made it."""
    stem = f"{model.lower()}-{setting.slug}-e{epochs}-s{seed}" + ("-dry" if dry_run else "")
    return runs / f"{stem}.safetensors"


def train_run(args: argparse.Namespace, model: str, setting: Setting, seed: int) -> Path:
    """Train ``model`` at ``setting`` from ``seed`` unless a finished run of it is kept; returns its file."""
    out = run_file(args.runs, model, setting, args.epochs, seed, args.dry_run)
    if out.is_file():
        return out
    data_root = ["--data-root", args.data_root] if args.data_root else []
    cli.main([*MODELS[model], "--dataset", args.dataset, *data_root, "--no-download",
              "--epochs", str(args.epochs), "--seed", str(seed), "--ema-decay", "0",
              "--device", "cpu", "--out", str(out), "--run-dir", str(out.with_suffix("")),
              *setting.flags(), *(["--dry-run"] if args.dry_run else [])])
    return out


def score(path: Path, ref: Reference, settings: EvalSettings) -> Score:
    metrics = sample_metrics(load_model(path), ref, settings)
    return Score(metrics[MODE_SCORE], classes_covered(metrics[CLASS_FRACTIONS]), metrics[MIN_CLASS],
                 metrics[FD])


def grid_table(scores: dict[str, dict[Setting, Score]], classes: int) -> str:
    """One row per setting: each model's MODE score, classes covered, rarest class and FD."""
    models = list(scores)
    head = " | ".join(f"{m}: MODE | classes ≥ 2% | rarest | FD" for m in models)
    lines = [f"| Setting | {head} |", "|---|" + "---|---|---|---|" * len(models)]
    for setting in next(iter(scores.values())):
        cells = " | ".join(f"{s.mode:.2f} | {s.covered}/{classes} | {100 * s.rarest:.1f}% | {s.fd:.2f}"
                           for s in (scores[m][setting] for m in models))
        lines.append(f"| {setting.label} | {cells} |")
    return "\n".join(lines)


def with_range(centre: Callable[[list[float]], float], values: list[float]) -> str:
    """``values`` as their centre (median or mean) and their range."""
    return f"{centre(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def signed(value: float) -> str:
    return f"{value:+.2f}".replace("-", "−")  # the minus sign, as the header's


def summary_table(scores: dict[str, dict[Setting, Score]], classes: int, real: dict) -> str:
    """One row per model over the whole grid, and the real half's figures at the same sample size."""
    reference, *_ = scores
    lines = ["| Model | MODE, median (range) | settings with every class ≥ 2% | rarest class, median | "
             "FD, median (range) | settings with MODE ≥ the DCGAN's |", "|---|---|---|---|---|---|"]
    for model, runs in scores.items():
        s = list(runs.values())
        beats = sum(runs[k].mode >= scores[reference][k].mode for k in runs)
        lines.append(f"| {model} | {with_range(statistics.median, [r.mode for r in s])} | "
                     f"{sum(r.covered == classes for r in s)} of {len(s)} | "
                     f"{100 * statistics.median(r.rarest for r in s):.1f}% | "
                     f"{with_range(statistics.median, [r.fd for r in s])} | "
                     f"{'–' if model == reference else f'{beats} of {len(s)}'} |")
    lines.append(f"| real half | {real[MODE_SCORE_REAL]:.2f} | – | – | {real[FD_REAL]:.2f} | – |")
    return "\n".join(lines)


def seeds_table(by_seed: dict[int, dict[str, dict[Setting, Score]]]) -> str:
    """One row per setting: each model's mean MODE score over the seeds (with the range), and the
    second model's lead over the first (the DCGAN) at each seed; then how many pairs it leads."""
    seeds = list(by_seed)
    reference, other = next(iter(by_seed.values()))
    lines = [f"| Setting | {reference} | {other} | {other} − {reference}, seeds "
             f"{', '.join(map(str, seeds))} |", "|---|---|---|---|"]
    ahead = pairs = 0
    for setting in by_seed[seeds[0]][reference]:
        modes = {m: [by_seed[seed][m][setting].mode for seed in seeds] for m in (reference, other)}
        leads = [o - r for r, o in zip(modes[reference], modes[other], strict=True)]
        ahead, pairs = ahead + sum(lead > 0 for lead in leads), pairs + len(leads)
        means = " | ".join(with_range(statistics.mean, modes[m]) for m in (reference, other))
        lines.append(f"| {setting.label} | {means} | {', '.join(signed(lead) for lead in leads)} |")
    return "\n".join(lines) + f"\n\n{other} ahead in {ahead} of {pairs} pairs (MODE score)."


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.mode_robustness", description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="mnist", help="a dataset with a shipped classifier (default mnist)")
    p.add_argument("--data-root", help="torchvision data root (default: $GEN_CORE_DATA or ./data)")
    p.add_argument("--epochs", type=int, default=2, help="epochs of every run (default 2)")
    p.add_argument("--samples", type=int, default=2000, help="samples scored per run (default 2000)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0],
                   help="seeds of the runs and of the scoring; several give the seeds table (default 0)")
    p.add_argument("--rates", type=float, nargs="+", help="only the settings with these generator rates "
                   "(default: the whole grid)")
    p.add_argument("--runs", type=Path, help="where the runs are kept (default runs/mode-robustness/DATASET)")
    p.add_argument("--classifier", type=Path, help="classifier file (default: the dataset's shipped one)")
    p.add_argument("--dry-run", action="store_true", help="a few small steps per run: checks the grid works")
    p.add_argument("--doc", type=Path, help="write the tables between the markers of this file (docs/zoo.md)")
    return p.parse_args(argv)


def run_grid(args: argparse.Namespace, grid: list[Setting],
             seed: int) -> tuple[dict[str, dict[Setting, Score]], Reference]:
    """Both models trained (or kept) and scored at every setting of ``grid`` with ``seed``."""
    settings = EvalSettings(samples=args.samples, seed=seed, data_root=args.data_root,
                            classifier=args.classifier)
    ref = build_reference(args.dataset, settings)
    scores: dict[str, dict[Setting, Score]] = {model: {} for model in MODELS}
    for setting in grid:  # setting by setting, so that an interrupted grid leaves pairs
        for model in MODELS:
            scores[model][setting] = score(train_run(args, model, setting, seed), ref, settings)
    return scores, ref


def main(argv: list[str] | None = None) -> dict[int, dict[str, dict[Setting, Score]]]:
    """Scores by seed, model and setting."""
    args = parse_args(argv)
    args.runs = args.runs or Path("runs/mode-robustness") / args.dataset
    args.runs.mkdir(parents=True, exist_ok=True)
    grid = [s for s in GRID if args.rates is None or any(math.isclose(s.lr, r) for r in args.rates)]
    if not grid:
        raise SystemExit(f"error: no setting of the grid has a generator rate in {args.rates}")
    by_seed = {}
    for seed in dict.fromkeys(args.seeds):
        by_seed[seed], ref = run_grid(args, grid, seed)
    n = len(ref.held_out)
    head = (f"{args.epochs} epochs per run; {n} samples per run, scored against {n} held-out test "
            "images")
    if len(by_seed) == 1:
        scores, classes = by_seed[args.seeds[0]], ref.classifier.config.num_classes
        tables = (f"{head}, seed {args.seeds[0]}.\n\n{grid_table(scores, classes)}\n\n"
                  f"{summary_table(scores, classes, ref.real_scores)}")
    else:
        tables = f"{head}; mean MODE score over the seeds, with its range.\n\n{seeds_table(by_seed)}"
    publish(tables, args.doc, *markers(args.dataset, len(by_seed)))
    return by_seed


if __name__ == "__main__":
    main()
