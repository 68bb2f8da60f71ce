"""``python -m gen_core.zoo_table checkpoints/``: the README's model-zoo table, from the files' metadata.

Nothing in the table is typed by hand: every cell is read from a checkpoint's header (training
summary and the metrics ``gen_core.evaluate`` wrote). ``--readme README.md`` replaces the text
between the ``<!-- zoo-table:start -->`` and ``<!-- zoo-table:end -->`` markers.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from pathlib import Path

from gen_core.checkpoint import CheckpointError, read_header
from gen_core.train.cli import PRESETS

START, END = "<!-- zoo-table:start -->", "<!-- zoo-table:end -->"
HEADER = ("Model", "Family", "Dataset", "Training options", "Params", "Epochs", "Train time",
          "FD, classifier features (floor)", "FD / floor", "Precision", "Recall", "Classes min-max",
          "Test NLL, ELBO / IWAE (nats)")
OPTION_DEFAULTS = {trainer.__name__: dataclasses.asdict(trainer.options_class())
                   for _, _, trainer, _ in PRESETS.values()}


def _number(value, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return f"{seconds / 60:.1f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


def non_default_options(training: dict) -> str:
    """The run's options that differ from its trainer's defaults, as ``name=value``."""
    defaults = OPTION_DEFAULTS.get(training.get("trainer"), {})
    changed = {k: v for k, v in training.get("options", {}).items() if defaults.get(k) != v}
    return ", ".join(k if v is True else f"{k}={v}" for k, v in changed.items()) or "–"


def table_row(name: str, meta: dict, tensors: dict) -> tuple[str, ...]:
    """One markdown row of ``HEADER`` from a checkpoint's metadata and tensor index."""
    training, metrics = meta.get("training", {}), meta.get("metrics", {})
    params = sum(math.prod(t["shape"]) for k, t in tensors.items() if not k.startswith("train."))
    fd = metrics.get("fd_classifier_features")
    fd_cell = "–" if fd is None else f"{fd:.2f} ({_number(metrics.get('fd_train_test_floor'))})"
    low, high = metrics.get("min_class_fraction"), metrics.get("max_class_fraction")
    classes = "–" if low is None else f"{100 * low:.1f}-{100 * high:.1f}%"
    nll = "–"
    if "test_neg_elbo_nats" in metrics:
        iwae = metrics.get("iwae_nll_nats")
        nll = f"{metrics['test_neg_elbo_nats']:.2f} / " + ("–" if iwae is None else
                                                          f"{iwae:.2f} (k={metrics.get('iwae_k')})")
    return (name, f"{meta['family']} ({meta['arch']})", meta.get("dataset", {}).get("name", "–"),
            non_default_options(training), f"{params / 1e6:.2f} M", str(training.get("epochs", "–")),
            _duration(training.get("seconds")), fd_cell, _number(metrics.get("fd_ratio_to_floor"), 1),
            _number(metrics.get("precision")), _number(metrics.get("recall")), classes, nll)


def markdown_table(paths: list[Path]) -> str:
    """A markdown table with one row per readable checkpoint in ``paths``, in the given order."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for path in paths:
        meta, tensors = read_header(path)
        lines.append("| " + " | ".join(table_row(path.stem, meta, tensors)) + " |")
    return "\n".join(lines)


def checkpoint_files(folder: Path) -> list[Path]:
    """The model checkpoints directly in ``folder`` (classifiers live in a subfolder)."""
    return sorted(folder.glob("*.safetensors"))


def replace_between_markers(text: str, table: str) -> str:
    if START not in text or END not in text:
        raise SystemExit(f"error: the file needs the markers {START} and {END}")
    head, rest = text.split(START, 1)
    return f"{head}{START}\n{table}\n{END}{rest.split(END, 1)[1]}"


def main(argv: list[str] | None = None) -> str:
    p = argparse.ArgumentParser(prog="python -m gen_core.zoo_table", description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path, help="folder of checkpoints (for example checkpoints/)")
    p.add_argument("--readme", type=Path, help="write the table between the markers of this file")
    args = p.parse_args(argv)
    try:
        table = markdown_table(checkpoint_files(args.folder))
    except CheckpointError as err:
        raise SystemExit(f"error: {err}") from None
    if args.readme:
        args.readme.write_text(replace_between_markers(args.readme.read_text(), table))
    print(table)
    return table


if __name__ == "__main__":
    main()
