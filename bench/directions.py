"""Class directions at work: do MNIST "4"s moved along the 4→9 direction become 9s?

The direction is the difference of the class means of the encodings of the training images
(the probe set's first half without a data root). The first ``--images`` test "4"s not used for
it are encoded, moved by ``t`` times the direction for ``t`` from 0 (the slider's start) to 1 (its
end), decoded, and read by the shipped MNIST classifier. The same is done for every ordered pair of
classes, so the 4→9 figure stands beside the average pair.

    python -m bench.directions [--model checkpoints/NAME.safetensors] [--data-root DATA] [--doc docs/app.md]

Without ``--model``: the best-ranked MNIST model with an encoder (the gallery's default model).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from gen_core.data import DataError, ImageData, load_dataset, load_probe
from gen_core.eval.classifier import default_classifier_path, load_classifier
from gen_core.eval.ranking import rank_models
from gen_core.eval.zoo_table import checkpoint_files, publish
from gen_core.files.checkpoint import load_model, read_header
from gen_core.latent.directions import class_direction
from gen_core.latent.encoding import encode_means
from gen_core.models import EncoderModel
from gen_core.models.registry import family_class

START, END = "<!-- directions:start -->", "<!-- directions:end -->"
STEPS = (0.0, 0.25, 0.5, 0.75, 1.0)
SOURCE, TARGET = 4, 9


def best_mnist_encoder(folder: Path) -> Path:
    """The best-ranked MNIST checkpoint with an encoder, as the gallery ranks them."""
    described, paths = {}, {}
    for path in checkpoint_files(folder):
        info = read_header(path)[0]
        if info.dataset == "mnist" and issubclass(family_class(info.family), EncoderModel):
            described[path.stem], paths[path.stem] = (info.dataset, dict(info.metrics)), path
    if not described:
        raise SystemExit(f"no MNIST model with an encoder in {folder}")
    return paths[rank_models(described)[0].name]


def split_data(data_root: Path | None) -> tuple[ImageData, ImageData, str]:
    """``(images for the class means, held-out test images, where they come from)``."""
    try:
        train = load_dataset("mnist", train=True, data_root=data_root, download=False)
        test = load_dataset("mnist", train=False, data_root=data_root, download=False)
        return train, test, "the 60,000 training images; test images held out"
    except DataError:
        probe = load_probe("mnist")
        half = len(probe) // 2
        first = ImageData(probe.name, probe.images[:half], probe.labels[:half], probe.class_names)
        second = ImageData(probe.name, probe.images[half:], probe.labels[half:], probe.class_names)
        return first, second, f"the first {half} probe images; the other {len(probe) - half} held out"


@torch.no_grad()
def reads_along(model: EncoderModel, classify, images: torch.Tensor, direction: torch.Tensor) -> torch.Tensor:
    """The classes read ``[len(STEPS), N]`` for ``images`` moved ``t * direction`` for each ``t``."""
    z = encode_means(model, images)
    return torch.stack([classify(model.decode(z + t * direction)).argmax(1) for t in STEPS])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.directions", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", type=Path, help="default: the best-ranked MNIST model with an encoder")
    p.add_argument("--checkpoints", type=Path, default=Path("checkpoints"))
    p.add_argument("--data-root", type=Path, help="torchvision data root (default: the bundled probe set)")
    p.add_argument("--images", type=int, default=100, help="held-out test images per source class")
    p.add_argument("--doc", type=Path,
                   help="write the table between the directions markers of this file (docs/app.md)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> str:
    args = parse_args(argv)
    path = args.model or best_mnist_encoder(args.checkpoints)
    model = load_model(path)
    classifier = load_classifier(default_classifier_path("mnist")).eval()
    means_data, test, source_text = split_data(args.data_root)
    latents = encode_means(model, means_data.images)
    pair_rates = []
    for source in range(10):
        images = test.images[test.labels == source][:args.images]
        for target in range(10):
            if target == source:
                continue
            reads = reads_along(model, classifier, images, class_direction(latents, means_data.labels,
                                                                          source, target))
            pair_rates.append(((reads[-1] == target).float().mean().item(),
                               (reads[0] == source).float().mean().item()))
            if (source, target) == (SOURCE, TARGET):
                ours = reads, len(images)
    reads, count = ours
    with torch.no_grad():
        originals = classifier(test.images[test.labels == SOURCE][:args.images]).argmax(1)
    lines = [f"`{path.stem}`: {count} held-out MNIST test \"{SOURCE}\"s moved along the {SOURCE}→{TARGET} "
             f"direction (class means of {source_text}), read by the shipped MNIST classifier.", "",
             "| slider position t | read as " + f"\"{TARGET}\" | read as \"{SOURCE}\" |", "|---|---|---|"]
    for t, row in zip(STEPS, reads, strict=True):
        lines.append(f"| {t:g} | {(row == TARGET).float().mean().item():.0%} | "
                     f"{(row == SOURCE).float().mean().item():.0%} |")
    at_end = sum(r for r, _ in pair_rates) / len(pair_rates)
    kept = sum(k for _, k in pair_rates) / len(pair_rates)
    worst = min(r for r, _ in pair_rates)
    lines += ["", f"The classifier reads {(originals == SOURCE).float().mean().item():.0%} of the original "
              f"\"{SOURCE}\"s as \"{SOURCE}\" (t = 0 is their reconstruction). Over all 90 ordered pairs "
              f"of classes: at t = 1, {at_end:.0%} are read as the target "
              f"(worst pair {worst:.0%}); at t = 0, {kept:.0%} as the source."]
    table = "\n".join(lines)
    publish(table, args.doc, START, END)
    return table


if __name__ == "__main__":
    main()
