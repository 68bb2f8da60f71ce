"""``python -m gen_core.eval.zoo_table checkpoints/``: the zoo table of docs/zoo.md, from the files' cards.

Nothing in the table is typed by hand: every cell is read from a checkpoint's header (training
summary and the metrics ``gen_core.eval.evaluate`` wrote). ``--doc docs/zoo.md`` replaces the text
between the ``<!-- zoo-table:start -->`` and ``<!-- zoo-table:end -->`` markers.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from gen_core.eval.metric_keys import (
    FD,
    FD_SPREAD,
    IWAE_K,
    KID,
    LIKELIHOOD_IMAGES,
    LIKELIHOOD_KEYS,
    MAX_CLASS,
    METRIC,
    MIN_CLASS,
    PPL,
    PPL_SPREAD,
    PRECISION,
    PRECISION_REAL,
    RECALL,
    RECALL_REAL,
)
from gen_core.eval.report import categories_cell, effective_cell, fmt
from gen_core.files.card import ModelCard, TrainingSummary, model_facts
from gen_core.files.checkpoint import CheckpointError, inspect_checkpoint
from gen_core.training_options import OPTIONS_BY_TRAINER

START, END = "<!-- zoo-table:start -->", "<!-- zoo-table:end -->"
HEADER = ("Model", "Family", "Dataset", "Training options", "Params", "Epochs", "Train time",
          "FD ± spread (real halves)", "KID (real halves)", "Precision / recall (real halves)",
          "Classes min-max", "Test ELBO / IWAE (nats)", "InfoGAN categories matched",
          "PPL ± spread (real cross-fade)", "Effective dimensions")
OPTION_DEFAULTS = {trainer: dataclasses.asdict(options()) for trainer, options in OPTIONS_BY_TRAINER.items()}


def non_default_options(training: TrainingSummary) -> str:
    """The run's options that differ from its trainer's defaults, as ``name=value``."""
    defaults = OPTION_DEFAULTS.get(training.trainer, {})
    changed = {k: v for k, v in training.options.items() if defaults.get(k) != v}
    return ", ".join(k if v is True else f"{k}={v}" for k, v in changed.items()) or "–"


def likelihood_cell(metrics: dict) -> str:
    """``NLL ELBO / IWAE (k=K, N images)`` on binarized data, ``BCE-ELBO / BCE-IWAE (…)`` on grey
    pixels (a cross-entropy, not a likelihood), both bounds on the same test images."""
    binarized = next((b for b, (elbo, _) in LIKELIHOOD_KEYS.items() if elbo in metrics), None)
    if binarized is None:
        return "–"
    elbo, iwae = LIKELIHOOD_KEYS[binarized]
    on = f", {metrics[LIKELIHOOD_IMAGES]} images" if LIKELIHOOD_IMAGES in metrics else ""
    return (f"{'NLL' if binarized else 'BCE'} {fmt(elbo, metrics)} / {fmt(iwae, metrics)} "
            f"(k={metrics.get(IWAE_K)}{on})")


def beside_real(key: str, metrics: dict, spread: str | None = None) -> str:
    """``value ± spread (its reference's value)``, ``–`` when not measured."""
    if key not in metrics:
        return "–"
    value = fmt(key, metrics) + (f" ± {fmt(spread, metrics)}" if spread and spread in metrics else "")
    return f"{value} ({fmt(METRIC[key].reference, metrics)})"


def table_row(name: str, info: ModelCard) -> tuple[str, ...]:
    """One markdown row of ``HEADER`` from a checkpoint's card."""
    metrics = info.metrics
    pr_cell = "–"
    if PRECISION in metrics:
        pr_cell = (f"{fmt(PRECISION, metrics)} / {fmt(RECALL, metrics)} "
                   f"({fmt(PRECISION_REAL, metrics)} / {fmt(RECALL_REAL, metrics)})")
    classes = "–"
    if MIN_CLASS in metrics:
        classes = f"{fmt(MIN_CLASS, metrics)}-{fmt(MAX_CLASS, metrics)}"
    facts = model_facts(info)
    return (name, f"{facts['kind']} ({facts['arch']})", facts["dataset"], non_default_options(info.training),
            facts["parameters"], facts["epochs"], facts["training time"],
            beside_real(FD, metrics, FD_SPREAD),
            beside_real(KID, metrics), pr_cell, classes, likelihood_cell(metrics),
            categories_cell(metrics), beside_real(PPL, metrics, PPL_SPREAD), effective_cell(metrics))


def markdown_table(paths: list[Path]) -> str:
    """A markdown table with one row per readable checkpoint in ``paths``, in the given order."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for path in paths:
        lines.append("| " + " | ".join(table_row(path.stem, inspect_checkpoint(path))) + " |")
    return "\n".join(lines)


def checkpoint_files(folder: Path) -> list[Path]:
    """The model checkpoints directly in ``folder`` (classifiers live in a subfolder)."""
    return sorted(folder.glob("*.safetensors"))


def replace_between_markers(text: str, table: str, start: str = START, end: str = END) -> str:
    """``text`` with what lies between the ``start`` and ``end`` marker lines replaced by ``table``."""
    if start not in text or end not in text:
        raise SystemExit(f"error: the file needs the markers {start} and {end}")
    head, rest = text.split(start, 1)
    return f"{head}{start}\n{table}\n{end}{rest.split(end, 1)[1]}"


def publish(table: str, doc: Path | None, start: str = START, end: str = END) -> None:
    """Print ``table`` and, given a ``doc``, write it there between its ``start`` and ``end``
    markers: how every figure reaches the documentation from its command."""
    print(table)
    if doc is not None:
        doc.write_text(replace_between_markers(doc.read_text(), table, start, end))


def main(argv: list[str] | None = None) -> str:
    p = argparse.ArgumentParser(prog="python -m gen_core.eval.zoo_table", description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path, help="folder of checkpoints (for example checkpoints/)")
    p.add_argument("--doc", type=Path, help="write the table between the markers of this file (docs/zoo.md)")
    args = p.parse_args(argv)
    try:
        table = markdown_table(checkpoint_files(args.folder))
    except CheckpointError as err:
        raise SystemExit(f"error: {err}") from None
    publish(table, args.doc)
    return table


if __name__ == "__main__":
    main()
