"""GAN inversion on real digits: does the inverted latent redraw the digit the image shows?

For ``--images`` MNIST test digits (the bundled probe set), each image is inverted
(``gen_core.latent.inversion.invert`` with the shipped classifier's features) and the shipped MNIST
classifier reads the reconstruction; the figure is how often it reads the image's own class,
beside the same classifier on the originals (the ceiling) and on random samples of the model
(what a latent that ignores the image scores). Time per image is measured inverting one image
at a time.

    python -m bench.inversion [--model checkpoints/NAME.safetensors] [--doc docs/app.md]

Without ``--model`` the MNIST GAN with the lowest FD on its card is used.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from gen_core.data import load_probe
from gen_core.eval.classifier import default_classifier_path, load_classifier
from gen_core.eval.metric_keys import FD
from gen_core.eval.zoo_table import checkpoint_files, publish
from gen_core.files.checkpoint import load_model, read_header
from gen_core.latent.inversion import invert
from gen_core.models import EncoderModel
from gen_core.models.registry import family_class

START, END = "<!-- inversion:start -->", "<!-- inversion:end -->"


def best_mnist_gan(folder: Path) -> Path:
    """The MNIST model without an encoder whose card has the lowest FD."""
    scored = []
    for path in checkpoint_files(folder):
        card = read_header(path)[0]
        evaluated = card.dataset == "mnist" and FD in card.metrics
        if evaluated and not issubclass(family_class(card.family), EncoderModel):
            scored.append((card.metrics[FD], path))
    if not scored:
        raise SystemExit(f"no evaluated MNIST GAN in {folder}")
    return min(scored)[1]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.inversion", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", type=Path, help="a GAN checkpoint (default: the best evaluated MNIST GAN)")
    p.add_argument("--checkpoints", type=Path, default=Path("checkpoints"))
    p.add_argument("--images", type=int, default=100)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--restarts", type=int, default=4)
    p.add_argument("--timed", type=int, default=5, help="images inverted one at a time for the timing")
    p.add_argument("--doc", type=Path,
                   help="write the table between the inversion markers of this file (docs/app.md)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> str:
    args = parse_args(argv)
    path = args.model or best_mnist_gan(args.checkpoints)
    model = load_model(path)
    classifier = load_classifier(default_classifier_path("mnist"))
    data = load_probe("mnist")
    images, labels = data.images[:args.images], data.labels[:args.images]
    settings = dict(steps=args.steps, restarts=args.restarts, features=classifier.features)
    z = invert(model, images, generator=torch.Generator().manual_seed(0), **settings)
    seconds = []
    for i in range(args.timed):
        started = time.perf_counter()
        invert(model, images[i:i + 1], generator=torch.Generator().manual_seed(i), **settings)
        seconds.append(time.perf_counter() - started)
    with torch.no_grad():
        reads = classifier(model.decode(z)).argmax(1)
        originals = classifier(images).argmax(1)
        samples = classifier(model.sample(args.images, torch.Generator().manual_seed(1))).argmax(1)

    def rate(predicted: torch.Tensor) -> str:
        return f"{(predicted == labels).float().mean().item():.0%}"

    table = "\n".join([
        f"Inverting {args.images} MNIST test digits with `{path.stem}` ({args.steps} Adam steps, "
        f"{args.restarts} restarts, pixel + classifier-feature loss), read by the shipped MNIST "
        f"classifier; {torch.get_num_threads()} CPU threads.",
        "",
        "| images read as their own class | share |",
        "|---|---|",
        f"| reconstructions from the inverted latents | **{rate(reads)}** |",
        f"| the original digits (ceiling) | {rate(originals)} |",
        f"| random samples of the model (no inversion) | {rate(samples)} |",
        "",
        f"One image inverts in **{statistics.median(seconds):.1f} s** (median of {args.timed}; "
        f"{min(seconds):.1f}–{max(seconds):.1f} s).",
    ])
    publish(table, args.doc, START, END)
    return table


if __name__ == "__main__":
    main()
