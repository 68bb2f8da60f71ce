"""The MODE score of finished model files over several draws of samples, so that the targets'
comparison (``bench.zoo_targets``: the mode-regularized GAN against the DCGAN, each scored once, on
the samples of seed 0) is read against how much the score moves from one draw to the next.

Each seed draws the scored samples and the held-out half of the test set, as ``gen_core.eval``
does with seed 0; every file is scored on the same draws, in the shipped classifier's features.

    python -m bench.mode_draws checkpoints/A.safetensors checkpoints/B.safetensors --data-root DATA
        [--seeds 0 1 2 3 4] [--samples 5000] [--doc docs/zoo.md]

The first file is the reference: the table gives each other file's lead over it at every seed.
``--doc`` writes the table between ``<!-- mode-draws:DATASET:start -->`` and ``-end -->``.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from bench.mode_robustness import dataset_markers, signed, with_range
from gen_core.eval.evaluate import EvalSettings, build_reference, sample_metrics
from gen_core.eval.metric_keys import MODE_SCORE, MODE_SCORE_REAL
from gen_core.eval.zoo_table import publish
from gen_core.files.checkpoint import load_model
from gen_core.models import GenerativeModel


def markers(dataset: str) -> tuple[str, str]:
    return dataset_markers("mode-draws", dataset)


def mode_scores(models: dict[str, GenerativeModel], dataset: str, seeds: list[int], samples: int,
                data_root: str | None, classifier: Path | None) -> tuple[dict[str, list[float]], int]:
    """Each model's MODE score at each seed, and the real half's under ``MODE_SCORE_REAL``; and the
    samples scored per draw (at most half the test set)."""
    scores: dict[str, list[float]] = {name: [] for name in [*models, MODE_SCORE_REAL]}
    n = 0
    for seed in seeds:
        settings = EvalSettings(samples=samples, seed=seed, data_root=data_root, classifier=classifier)
        ref = build_reference(dataset, settings)
        n = len(ref.held_out)
        scores[MODE_SCORE_REAL].append(ref.real_scores[MODE_SCORE_REAL])
        for name, model in models.items():
            scores[name].append(sample_metrics(model, ref, settings)[MODE_SCORE])
    return scores, n


def draws_table(scores: dict[str, list[float]], seeds: list[int]) -> str:
    """One row per file (the first is the reference) and one for the real half: the score at each
    seed, the mean with the range, and the lead over the reference at each seed."""
    reference, *_ = scores
    lines = [f"| Model | MODE score, seeds {', '.join(map(str, seeds))} | mean (range) | "
             f"lead over {reference} at each seed |", "|---|---|---|---|"]
    for name, values in scores.items():
        leads = ("–" if name in (reference, MODE_SCORE_REAL) else
                 ", ".join(signed(v - r) for v, r in zip(values, scores[reference], strict=True)))
        label = "real half" if name == MODE_SCORE_REAL else name
        lines.append(f"| {label} | {', '.join(f'{v:.2f}' for v in values)} | "
                     f"{with_range(statistics.mean, values)} | {leads} |")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.mode_draws", description=__doc__.splitlines()[0])
    p.add_argument("files", type=Path, nargs="+",
                   help="model files of one dataset; the first is the reference")
    p.add_argument("--data-root", help="torchvision data root (default: $GEN_CORE_DATA or ./data)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4], help="draws (default 0 to 4)")
    p.add_argument("--samples", type=int, default=5000, help="samples per draw (default 5000, as the zoo)")
    p.add_argument("--classifier", type=Path, help="classifier file (default: the dataset's shipped one)")
    p.add_argument("--doc", type=Path, help="write the table between the dataset's markers of this file")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    args = parse_args(argv)
    models = {path.stem: load_model(path) for path in args.files}
    datasets = {model.card.dataset for model in models.values()}
    if len(datasets) != 1:
        raise SystemExit(f"error: the files are of different datasets ({', '.join(sorted(datasets))})")
    dataset = datasets.pop()
    seeds = list(dict.fromkeys(args.seeds))
    scores, n = mode_scores(models, dataset, seeds, args.samples, args.data_root, args.classifier)
    head = f"{dataset}: {n} samples per draw, scored against as many held-out test images."
    publish(f"{head}\n\n{draws_table(scores, seeds)}", args.doc, *markers(dataset))
    return scores


if __name__ == "__main__":
    main()
