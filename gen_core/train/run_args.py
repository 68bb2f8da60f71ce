"""A training run as one dataclass, which becomes the command line and the recipe format.

Every field of ``RunArgs`` and of each trainer's options dataclass (``gen_core.training_options``)
is one ``python -m gen_core.train`` flag, its help taken from the field, and one key of a recipe
file. A recipe (``recipes/NAME.toml``) holds the keys that made a shipped checkpoint and its
stages: each stage trains on to its ``epochs``, and a later one resumes the run's state (or the
previous stage's model file with fresh optimizers, where a trainer option may change, as from the
ELBO to the IWAE bound; with new discriminators, ``fresh_discriminator_epochs``, for a model
trained with one), as the file was made. Precedence:
the field's default, then the recipe, then the stage, then a flag given on the command line.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import tomllib

from gen_core.training_options import OPTIONS_BY_TRAINER, option

STAGE_KEYS = ("epochs", "lr", "lr_d", "max_minutes", "resume", "fresh_discriminator_epochs")
RESUME_FROM = ("state", "model")  # a stage goes on from the run's state, or from the model file


@dataclasses.dataclass(frozen=True)
class RunArgs:
    """What one training run asks for, beside the trainer's options."""

    model: str = option("", "the preset to train (required unless a recipe names it)")
    dataset: str = option("mnist", "mnist, fashion-mnist, digits, emoji or an image folder named in "
                                   "$LATENT_ATLAS_IMAGE_FOLDERS (NAME=PATH)")
    data_root: str | None = option(None, "torchvision data root (default: $GEN_CORE_DATA or ./data)",
                                   kind=str)
    no_download: bool = option(False, "never download a missing dataset")
    out: Path | None = option(None, "checkpoint to write (.safetensors; required unless a recipe names "
                                    "it)", kind=Path)
    run_dir: Path | None = option(None, "sample grids and resumable state (default: runs/OUT_STEM)",
                                  kind=Path)
    resume: Path | None = option(None, "a run's state.safetensors to continue from; also a model file, "
                                       "which goes on from its weights with fresh optimizers (and, for a "
                                       "model trained with a discriminator, --fresh-discriminator-epochs)",
                                 kind=Path)
    fresh_discriminator_epochs: int = option(0, "with --resume of a model file of a model trained with a "
                                                "discriminator, which only the run's state keeps: start "
                                                "new discriminators and train them alone for this many "
                                                "epochs, the model held still, before all train again "
                                                "(a run state keeps its own)")
    epochs: int = option(20, "train until this many epochs are done")
    max_minutes: float | None = option(None, "wall-time budget: stop before an epoch that would end past "
                                             "it (judged by the last epoch's time) and write the "
                                             "checkpoint; --resume trains on later", kind=float)
    batch_size: int = option(128, "global batch, split over processes")
    lr: float | None = option(None, "learning rate (default: the preset's; with --resume, the run's, so "
                                    "give it to continue at a lower rate)", kind=float)
    lr_d: float | None = option(None, "models with a discriminator (critic): its own learning rate, a "
                                      "two time-scale update (default: --lr)", kind=float)
    latent_dim: int | None = option(None, "override the preset's latent size", kind=int)
    beta: float | None = option(None, "VAE KL weight (beta-VAE when > 1)", kind=float)
    seed: int = option(0, "seeds the weights, the data order and the noise: the same seed, the same weights")
    ema_decay: float | None = option(None, "models with a generator: ship an exponential moving average of "
                                           "its weights with this decay (Yazıcı et al. 2019; default 0.999 "
                                           "for GANs, off for VAE-GAN; 0 turns it off; with --resume, the "
                                           "run's)", kind=float)
    device: str | None = option(None, "cpu or cuda (default: cuda when available)", kind=str)
    snapshots: int = option(0, "keep this many snapshots of the weights in the file, a training timeline "
                               "(geometrically spaced steps, the last one the end of the run; at most 32)")
    snapshot_budget_mib: float | None = option(None, "what the stored snapshots (float16) may add to the "
                                                     "file; beyond it the timeline is thinned evenly "
                                                     "(default: the model's own size, so the file at most "
                                                     "doubles)", kind=float)
    keep_states: int = option(0, "every this many epochs, keep a copy of the run state in "
                                 "RUN_DIR/epochs/epNNN.safetensors: --resume it with --epochs NNN to "
                                 "write (and evaluate) the model as it was then; 0 keeps none")
    half_weights: bool = option(False, "store the model file's large weights in float16, rounded before its "
                                       "metrics are measured: half the file (the loader widens them)")
    dry_run: bool = option(False, "a few small steps on a few images: checks that a run works")
    recipe: Path | None = option(None, "a recipe file (recipes/NAME.toml): the keys and stages that made a "
                                       "shipped checkpoint; flags given here override it", kind=Path)


def run_fields() -> dict[str, dataclasses.Field]:
    """Every flag's field by name: the run's, then each trainer's options (a name shared by two
    trainers, such as ``n_critic``, is one flag)."""
    fields = {field.name: field for field in dataclasses.fields(RunArgs)}
    for options in OPTIONS_BY_TRAINER.values():
        for field in dataclasses.fields(options):
            fields.setdefault(field.name, field)
    return fields


def trainer_option_names() -> set[str]:
    """The flags that set a field of some trainer's options dataclass."""
    return set(run_fields()) - {field.name for field in dataclasses.fields(RunArgs)}


def build_parser(prog: str, description: str, model_choices: list[str]) -> argparse.ArgumentParser:
    """One flag per field. Defaults stay out of the namespace, so what was given can be told apart
    from what was not and merged over a recipe."""
    parser = argparse.ArgumentParser(prog=prog, description=description,
                                     argument_default=argparse.SUPPRESS)
    for name, field in run_fields().items():
        flag, help_text = "--" + name.replace("_", "-"), field.metadata["help"]
        if isinstance(field.default, bool):
            parser.add_argument(flag, action="store_true", help=help_text)
            continue
        choices = model_choices if name == "model" else field.metadata["choices"]
        default = "" if field.default is None else f" (default {field.default})"
        parser.add_argument(flag, type=field.metadata["kind"] or type(field.default), choices=choices,
                            help=help_text + default)
    return parser


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A recipe file: its ``name`` (the file's stem, which the checkpoint's card records), the
    flag values it sets and its stages (each a dict of ``STAGE_KEYS``)."""

    name: str
    values: dict
    stages: tuple[dict, ...]


def load_recipe(path: Path) -> Recipe:
    """Read and check a recipe; ``ValueError`` names the first unknown key or bad stage."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ValueError(f"{path}: not a readable recipe ({err})") from None
    stages = data.pop("stages", [{}])
    known = run_fields()
    unknown = sorted(set(data) - set(known) - {"recipe"})
    if unknown or "recipe" in data:
        raise ValueError(f"{path}: unknown key(s) {unknown or ['recipe']}")
    if not isinstance(stages, list) or not stages:
        raise ValueError(f"{path}: 'stages' must be a list of tables")
    options = trainer_option_names()
    for number, stage in enumerate(stages, 1):
        if not isinstance(stage, dict) or set(stage) - set(STAGE_KEYS) - options:
            raise ValueError(f"{path}: stage {number} may only set {', '.join(STAGE_KEYS)} and trainer "
                             "options")
        if stage.get("resume", RESUME_FROM[0]) not in RESUME_FROM or (number == 1 and "resume" in stage):
            raise ValueError(f"{path}: stage {number}: resume is 'state' or 'model', and not in stage 1")
        if set(stage) & options and stage.get("resume") != "model":
            raise ValueError(f"{path}: stage {number}: only a stage that resumes a model file (a new "
                             "phase with fresh optimizers) may change a trainer option")
    values = {key: Path(value) if known[key].metadata["kind"] is Path else value
              for key, value in data.items()}
    return Recipe(Path(path).stem, values, tuple(stages))


def stage_runs(given: argparse.Namespace) -> list[argparse.Namespace]:
    """The runs a command asks for: one, or one per stage of its recipe, each with every field
    (a trainer option not asked for is ``None``: its trainer's dataclass has the default)."""
    defaults = {name: None for name in run_fields()}
    defaults.update({field.name: field.default for field in dataclasses.fields(RunArgs)})
    flags = vars(given)
    if "recipe" not in flags:
        return [argparse.Namespace(**{**defaults, **flags})]
    recipe = load_recipe(flags["recipe"])
    runs = []
    for stage in recipe.stages:
        values = {**defaults, **recipe.values, **{k: v for k, v in stage.items() if k != "resume"}, **flags}
        values["recipe"] = recipe.name
        run_dir = values["run_dir"] or Path("runs") / Path(values["out"] or "run").stem
        if "resume" in stage and "resume" not in flags:
            from_state = stage["resume"] == "state"
            values["resume"] = run_dir / "state.safetensors" if from_state else Path(values["out"])
        runs.append(argparse.Namespace(**values))
    return runs
