"""The model zoo's quality targets, checked against the metrics ``gen_core.evaluate`` wrote.

Reads only the checkpoints' headers (no data, no sampling), picks the best model of each group
and prints one row per target: the model, what it measured, the goal and whether it is met.

    python -m bench.zoo_targets checkpoints/ [--readme README.md]

``--readme`` writes the table between the ``<!-- zoo-targets:start -->`` and ``-end -->`` markers.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from pathlib import Path

from gen_core.checkpoint import read_header
from gen_core.zoo_table import checkpoint_files, replace_between_markers

START, END = "<!-- zoo-targets:start -->", "<!-- zoo-targets:end -->"
BURDA_VAE_NATS = 86.76  # Burda et al. 2015, Table 1: one-stochastic-layer VAE, k = 1


@dataclasses.dataclass(frozen=True)
class Model:
    name: str
    family: str
    dataset: str
    binarized: bool
    metrics: dict

    @property
    def is_gan(self) -> bool:
        return self.family != "vae"


Picker = Callable[[list[Model]], "Model | None"]


@dataclasses.dataclass(frozen=True)
class Target:
    label: str
    goal: str
    pick: Picker  # the model the target is about
    measure: Callable[[Model], tuple[str, bool]]  # what it measured, and whether that meets the goal


def read_models(folder: Path) -> list[Model]:
    models = []
    for path in checkpoint_files(folder):
        meta = read_header(path)[0]
        models.append(Model(path.stem, meta["family"], meta.get("dataset", {}).get("name", ""),
                            bool(meta.get("training", {}).get("options", {}).get("binarize")),
                            meta.get("metrics", {})))
    return models


def best(key: str, keep: Callable[[Model], bool], lower: bool = True) -> Picker:
    """A picker: among the models ``keep`` accepts that have ``key``, the one with the best value."""
    def pick(models: list[Model]) -> Model | None:
        scored = [m for m in models if keep(m) and m.metrics.get(key) is not None]
        return (min if lower else max)(scored, key=lambda m: m.metrics[key], default=None)
    return pick


def best_gan(dataset: str):
    return best("fd_classifier_features", lambda m: m.is_gan and m.dataset == dataset)


def _fd_gap(models: list[Model]) -> tuple[str, bool]:
    gan = best_gan("fashion-mnist")(models)
    vae = best("fd_classifier_features", lambda m: not m.is_gan and m.dataset == "fashion-mnist")(models)
    if gan is None or vae is None:
        return "needs an evaluated GAN and VAE", False
    fd_gan, fd_vae = gan.metrics["fd_classifier_features"], vae.metrics["fd_classifier_features"]
    return f"GAN {fd_gan:.2f} vs VAE {fd_vae:.2f} ({vae.name})", fd_gan < fd_vae


def _iwae(model: Model) -> tuple[str, bool]:
    nll = model.metrics["iwae_nll_nats"]
    moonshot = " (below Burda's VAE)" if nll < BURDA_VAE_NATS else ""
    return f"{nll:.2f} nats, k={model.metrics.get('iwae_k')}{moonshot}", nll <= 90


def targets(models: list[Model]) -> list[Target]:
    mnist_gan = best_gan("mnist")
    return [
        Target("MNIST best GAN: FD / floor", "≤ 5", mnist_gan,
               lambda m: (f"{m.metrics['fd_ratio_to_floor']:.1f}", m.metrics["fd_ratio_to_floor"] <= 5)),
        Target("MNIST best GAN: precision", "≥ 0.80", mnist_gan,
               lambda m: (f"{m.metrics['precision']:.2f}", m.metrics["precision"] >= 0.8)),
        Target("MNIST best GAN: recall", "≥ 0.80", mnist_gan,
               lambda m: (f"{m.metrics['recall']:.2f}", m.metrics["recall"] >= 0.8)),
        Target("MNIST best GAN: rarest class", "≥ 5%", mnist_gan,
               lambda m: (f"{100 * m.metrics['min_class_fraction']:.1f}%",
                          m.metrics["min_class_fraction"] >= 0.05)),
        Target("Fashion-MNIST: best GAN beats best VAE on FD", "GAN < VAE", best_gan("fashion-mnist"),
               lambda m: _fd_gap(models)),
        Target("Binarized MNIST VAE: IWAE NLL", "≤ 90 nats (k=1000)",
               best("iwae_nll_nats", lambda m: m.binarized and m.dataset == "mnist"), _iwae),
        Target("MNIST InfoGAN: categories with ≥ 80% one class", "≥ 8 of 10",
               best("categories_matched", lambda m: m.family == "infogan" and m.dataset == "mnist",
                    lower=False),
               lambda m: (f"{m.metrics['categories_matched']} of {len(m.metrics['category_agreement'])}",
                          m.metrics["categories_matched"] >= 8)),
    ]


def target_table(models: list[Model]) -> list[tuple[str, str, str, str, str]]:
    """Rows of (target, model, measured, goal, met)."""
    rows = []
    for target in targets(models):
        model = target.pick(models)
        if model is None:
            rows.append((target.label, "–", "no evaluated model", target.goal, "no"))
            continue
        measured, met = target.measure(model)
        rows.append((target.label, model.name, measured, target.goal, "yes" if met else "no"))
    return rows


def main(argv: list[str] | None = None) -> list[tuple[str, ...]]:
    p = argparse.ArgumentParser(prog="python -m bench.zoo_targets", description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path, help="folder of evaluated checkpoints (for example checkpoints/)")
    p.add_argument("--readme", type=Path, help="write the table between the markers of this file")
    args = p.parse_args(argv)
    rows = target_table(read_models(args.folder))
    table = "\n".join(["| Target | Model | Measured | Goal | Met |", "|---|---|---|---|---|",
                       *("| " + " | ".join(row) + " |" for row in rows)])
    if args.readme:
        args.readme.write_text(replace_between_markers(args.readme.read_text(), table, START, END))
    print(table)
    return rows


if __name__ == "__main__":
    main()
