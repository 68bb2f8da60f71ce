"""``python -m gen_core.train``: train one model and write its self-describing checkpoint.

Runs unchanged under ``torchrun --nproc_per_node=N`` (DistributedDataParallel, gloo on CPU).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import torch

from gen_core.data import DataError, ImageData, load_dataset
from gen_core.eval.metric_keys import LIKELIHOOD_IMAGES, LIKELIHOOD_KEYS, RECONSTRUCTION_MSE
from gen_core.eval.metrics import held_out_elbo, reconstruction_mse
from gen_core.files.checkpoint import read_header, save_model
from gen_core.files.errors import InputError
from gen_core.models import GenerativeModel, build_model
from gen_core.models.aae import AAEConfig
from gen_core.models.dcgan import DCGANConfig
from gen_core.models.infogan import InfoGANConfig
from gen_core.models.mode_regularized import ModeRegularizedGANConfig
from gen_core.models.vae import VAEConfig
from gen_core.models.vae_gan import VAEGANConfig
from gen_core.train import distributed
from gen_core.train.aae_trainer import AAETrainer
from gen_core.train.ebgan_trainer import EBGANTrainer
from gen_core.train.fgan_trainer import FGANTrainer
from gen_core.train.gan_trainer import GANTrainer
from gen_core.train.infogan_trainer import InfoGANTrainer
from gen_core.train.loop import RunConfig, Trainer
from gen_core.train.mode_regularized_trainer import ModeRegularizedGANTrainer
from gen_core.train.run_args import build_parser, stage_runs, trainer_option_names
from gen_core.train.vae_gan_trainer import VAEGANTrainer
from gen_core.train.vae_trainer import VAETrainer
from gen_core.train.wgan_trainer import WGANGPTrainer, WGANTrainer

# Named starting points: (family, config, trainer, default learning rate from each paper).
PRESETS: dict[str, tuple[str, object, type[Trainer], float]] = {
    "vae-mlp": ("vae", VAEConfig(arch="mlp", hidden=(512, 256)), VAETrainer, 1e-3),
    # Small enough that a file with a training timeline stays a few MiB (recipes/mnist-vae-mlp-timeline.toml).
    "vae-mlp-small": ("vae", VAEConfig(arch="mlp", hidden=(256, 128)), VAETrainer, 1e-3),
    "vae-conv": ("vae", VAEConfig(arch="conv", hidden=(32, 64, 256)), VAETrainer, 1e-3),
    "beta-vae": ("vae", VAEConfig(arch="conv", hidden=(32, 64, 256), beta=4.0), VAETrainer, 1e-3),
    "dcgan": ("dcgan", DCGANConfig(), GANTrainer, 2e-4),
    "wgan": ("wgan", DCGANConfig(), WGANTrainer, 5e-5),
    "wgan-gp": ("wgan-gp", DCGANConfig(), WGANGPTrainer, 1e-4),
    "sngan": ("sngan", DCGANConfig(), GANTrainer, 2e-4),
    "infogan": ("infogan", InfoGANConfig(), InfoGANTrainer, 2e-4),
    # Chen et al.'s MNIST networks (appendix C.1) and their code's noise, whole and in halves:
    # D with 64 channels first and a dense layer of 1024 that Q shares; G with a dense layer of
    # 1024 first, fed noise uniform in [-1, 1].
    "infogan-paper": ("infogan", InfoGANConfig(ndf=64, discriminator_hidden=1024, generator_hidden=1024,
                                               uniform_noise=True), InfoGANTrainer, 2e-4),
    "infogan-paper-d": ("infogan", InfoGANConfig(ndf=64, discriminator_hidden=1024), InfoGANTrainer, 2e-4),
    "infogan-paper-g": ("infogan", InfoGANConfig(generator_hidden=1024, uniform_noise=True),
                        InfoGANTrainer, 2e-4),
    "ebgan": ("ebgan", DCGANConfig(), EBGANTrainer, 2e-4),
    "f-gan": ("f-gan", DCGANConfig(), FGANTrainer, 2e-4),
    "vae-gan": ("vae-gan", VAEGANConfig(), VAEGANTrainer, 3e-4),
    "aae": ("aae", AAEConfig(), AAETrainer, 2e-4),
    "mrgan": ("mode-regularized", ModeRegularizedGANConfig(), ModeRegularizedGANTrainer, 2e-4),
    # Its codes kept on the prior's shell: the MNIST run without it collapsed (docs/zoo.md).
    "mrgan-shell": ("mode-regularized", ModeRegularizedGANConfig(codes_on_prior_shell=True),
                    ModeRegularizedGANTrainer, 2e-4),
}
# Command-line flags that set a field of the trainer's options dataclass (dest = field name).
GENERATOR_EMA_DECAY = 0.999  # GANs ship the average of about the last 1,000 generator steps
BINARIZED_NORMALIZATION = ("dynamically binarized: each training batch resampled as Bernoulli(pixel "
                           "intensity in [0, 1]); the test set binarized once with seed 0")
DRY_RUN_IMAGES, DRY_RUN_STEPS, DRY_RUN_BATCH = 256, 4, 32


def parse_args(argv: list[str] | None = None) -> list[argparse.Namespace]:
    """The runs the command line asks for (one per stage of a recipe), every field filled."""
    parser = build_parser("python -m gen_core.train", __doc__, sorted(PRESETS))
    try:
        runs = stage_runs(parser.parse_args(argv))
    except ValueError as err:
        parser.error(str(err))
    for run in runs:
        if run.model not in PRESETS or run.out is None:
            parser.error("--model and --out are required (or a --recipe that names them)")
    return runs


def build_from_args(args: argparse.Namespace, image_shape: tuple[int, int, int]):
    family, config, trainer_class, lr = PRESETS[args.model]
    overrides = {"image_shape": image_shape}
    if args.latent_dim:
        overrides["latent_dim"] = args.latent_dim
    if args.beta is not None:
        if family != "vae":
            raise SystemExit("--beta applies to VAE models only")
        overrides["beta"] = args.beta
    model = build_model(family, dataclasses.replace(config, **overrides))
    return model, trainer_class, lr


def resumed_record(args: argparse.Namespace) -> dict:
    """The training record of the file ``--resume`` names (``{}`` without one); a file that cannot
    be read ends the command with its reason."""
    if not args.resume:
        return {}
    try:
        return read_header(args.resume)[0].training.record
    except InputError as err:
        raise SystemExit(f"error: --resume {err}") from None


def learning_rates(args: argparse.Namespace, preset_lr: float, resumed: dict) -> tuple[float, float | None]:
    """``(lr, lr_d)``: as given, else the ``resumed`` run's, else the preset's (and no separate lr_d)."""
    if args.lr_d and PRESETS[args.model][0] == "vae":
        raise SystemExit("error: --lr-d applies to models trained with a discriminator (GANs, "
                         "VAE-GAN, AAE) only")
    return args.lr or resumed.get("lr") or preset_lr, args.lr_d or resumed.get("lr_d")


def ema_decay(args: argparse.Namespace, model: GenerativeModel, resumed: dict) -> float | None:
    """The generator average's decay: as given, else the ``resumed`` run's, else the GAN default.

    Only a model with a ``generator`` can average it. The default is on for GANs, whose generator
    is the whole model; a VAE-GAN may ask for it but does not get it by default, since an average
    of its decoder no longer matches the live encoder the run paired it with.
    """
    has_generator = isinstance(getattr(model, "generator", None), torch.nn.Module)
    if args.ema_decay is not None:
        if args.ema_decay and not has_generator:
            raise SystemExit(f"error: --ema-decay needs a generator to average; --model {args.model} "
                             "has none")
        return args.ema_decay or None
    if args.resume:
        return resumed.get("ema_decay")
    return GENERATOR_EMA_DECAY if has_generator and not model.has_encoder else None


def build_options(args: argparse.Namespace, trainer_class: type[Trainer]):
    """The trainer's options dataclass from the flags given; a flag it has no field for is an error."""
    given = {name: getattr(args, name) for name in trainer_option_names()
             if getattr(args, name) not in (None, False)}
    fields = {f.name for f in dataclasses.fields(trainer_class.options_class)}
    foreign = sorted(set(given) - fields)
    if foreign:
        flags = ", ".join("--" + name.replace("_", "-") for name in foreign)
        raise SystemExit(f"error: {flags} does not apply to --model {args.model}")
    try:
        return trainer_class.options_class(**given)
    except ValueError as err:
        raise SystemExit(f"error: {err}") from None


def load_data(args: argparse.Namespace) -> tuple[ImageData, ImageData | None]:
    download = not args.no_download
    train = load_dataset(args.dataset, True, args.data_root, download)
    try:
        test = load_dataset(args.dataset, False, args.data_root, download)
    except DataError:
        test = None  # folder datasets have no test split
    if args.dry_run:
        train = train.subset(DRY_RUN_IMAGES)
        test = test.subset(DRY_RUN_IMAGES) if test else None
    return train, test


def main(argv: list[str] | None = None) -> Path:
    """Train every stage the command asks for, in order; returns the checkpoint written last."""
    return train_each(parse_args(argv))


def train_each(runs: list[argparse.Namespace]) -> Path:
    """Train ``runs`` in order, in one process group when launched by torchrun; returns the
    checkpoint written last."""
    for args in runs:
        out = train(args)
    distributed.teardown()
    return out


def train(args: argparse.Namespace) -> Path:
    """One run: train, then write the checkpoint (on the main process)."""
    options = build_options(args, PRESETS[args.model][2])
    if args.keep_states < 0:
        raise SystemExit("error: --keep-states must be >= 0")
    ctx = distributed.setup(args.device)
    torch.manual_seed(args.seed + ctx.rank)
    try:
        train, test = load_data(args)
    except DataError as err:
        raise SystemExit(f"error: {err}") from None
    model, trainer_class, preset_lr = build_from_args(args, train.image_shape)
    resumed = resumed_record(args)
    lr, lr_d = learning_rates(args, preset_lr, resumed)
    batch_size = min(args.batch_size, DRY_RUN_BATCH) if args.dry_run else args.batch_size
    run = RunConfig(epochs=1 if args.dry_run else args.epochs, batch_size=batch_size, lr=lr, lr_d=lr_d,
                    ema_decay=ema_decay(args, model, resumed), seed=args.seed,
                    max_steps_per_epoch=DRY_RUN_STEPS if args.dry_run else None,
                    max_seconds=None if args.max_minutes is None else 60 * args.max_minutes,
                    snapshots=args.snapshots, snapshot_budget_bytes=snapshot_budget_bytes(args),
                    fresh_discriminator_epochs=args.fresh_discriminator_epochs, keep_states=args.keep_states)
    run_dir = args.run_dir or Path("runs") / args.out.stem
    trainer = trainer_class(model, train, test, run, ctx, run_dir, options)
    if args.resume:
        try:
            trainer.resume(args.resume)
        except (ValueError, InputError) as err:
            raise SystemExit(f"error: --resume {err}") from None
    started = time.perf_counter()
    trainer.fit()
    if ctx.is_main:
        write_checkpoint(trainer, args, train)
        print(f"wrote {args.out} ({args.out.stat().st_size / 2**20:.1f} MiB) in "
              f"{time.perf_counter() - started:.0f} s wall time")
    return args.out


def snapshot_budget_bytes(args: argparse.Namespace) -> int | None:
    """``--snapshot-budget-mib`` in bytes (``None``: the model's own size)."""
    if args.snapshot_budget_mib is None:
        return None
    if args.snapshot_budget_mib < 0:
        raise SystemExit("error: --snapshot-budget-mib must be >= 0")
    return int(args.snapshot_budget_mib * 2**20)


def write_checkpoint(trainer: Trainer, args: argparse.Namespace, train: ImageData) -> None:
    dataset = {"name": args.dataset, "split": "train", "images": len(train),
               "image_shape": list(train.image_shape), "class_names": list(train.class_names),
               "normalization": "pixel intensities scaled to [0, 1]"}
    binarized = bool(getattr(trainer.options, "binarize", False))
    if binarized:
        dataset["normalization"] = BINARIZED_NORMALIZATION
    timeline, snapshots = trainer.file_timeline()
    # The end of the run: what is measured and shipped is what the file holds (half weights too).
    with trainer.shipped_weights(half=args.half_weights):
        save_model(trainer.model, args.out, dataset=dataset, training=trainer.training_summary(),
                   metrics=held_out_metrics(trainer.model, trainer.test_data, binarized), recipe=args.recipe,
                   extra_tensors=snapshots, timeline=timeline, half=args.half_weights)


def held_out_metrics(model: GenerativeModel, test: ImageData | None, binarized: bool) -> dict:
    """What a run measures on the test set (binarized once when the run trained on binarized
    pixels): the ELBO of a likelihood model, the reconstruction error of any other model with an
    encoder; nothing for GANs. ``gen_core.eval.evaluate`` later adds the rest under the same keys."""
    if test is None:
        return {}
    if model.has_likelihood:
        terms = held_out_elbo(model, test.images, torch.Generator().manual_seed(0))
        elbo_key = LIKELIHOOD_KEYS[binarized][0]
        return {elbo_key: round(terms["neg_elbo"], 3), LIKELIHOOD_IMAGES: len(test)}
    if model.has_encoder:
        return {RECONSTRUCTION_MSE: round(reconstruction_mse(model, test.images), 5)}
    return {}
