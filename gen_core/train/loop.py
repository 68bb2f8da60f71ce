"""The epoch loop shared by every family: sharding, progress bars, sample grids, run files.

A family's trainer subclasses ``Trainer`` and supplies its optimizers, any training-only modules
(a discriminator) and ``train_step``; everything else lives here once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import platform
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import torch
from torch import nn
from tqdm import tqdm

from gen_core.data import ImageData
from gen_core.files.atomic import write_atomically
from gen_core.files.card import TrainingSummary
from gen_core.files.checkpoint import SIDE_PREFIXES, read_checkpoint, round_to_half, save_model
from gen_core.media.images import image_grid, save_png
from gen_core.models import GenerativeModel
from gen_core.train.distributed import DistContext, mean_across_ranks, shard
from gen_core.train.ema import WeightAverage
from gen_core.train.sampler_statistics import recompute_sampler_statistics, statistics_record
from gen_core.train.state import pack_state, unpack_state
from gen_core.train.timeline import SnapshotRecorder


@dataclasses.dataclass
class RunConfig:
    """How to train (not what): the hyper-parameters of the loop itself."""

    epochs: int = 20
    batch_size: int = 128  # global: split evenly over ranks
    lr: float = 1e-3
    lr_d: float | None = None  # GANs: the discriminator's own rate (two time-scales); None: lr
    ema_decay: float | None = None  # GANs: ship an exponential moving average of the generator
    seed: int = 0
    max_steps_per_epoch: int | None = None  # set by --dry-run
    max_seconds: float | None = None  # wall-time budget of this fit: no epoch is begun that would overrun it
    sample_grid: int = 64
    snapshots: int = 0  # the timeline's snapshots (gen_core.train.timeline); 0: none
    snapshot_budget_bytes: int | None = None  # what the stored snapshots may add to the file; None: its size
    fresh_discriminator_epochs: int = 0  # a model file resumed: new discriminators train alone this long
    keep_states: int = 0  # every this many epochs, a copy of the run state stays in run_dir/epochs; 0: none

    @property
    def discriminator_lr(self) -> float:
        return self.lr_d or self.lr


@dataclasses.dataclass(frozen=True)
class NoOptions:
    """The options of a trainer that has none."""


class Trainer:
    """Trains ``model`` on ``train_data``; writes samples and a resumable state to ``run_dir``.

    ``options`` (an instance of the family's ``options_class`` dataclass) holds the family's own
    training choices; they are recorded in the checkpoint's training summary.
    """

    options_class: ClassVar[type] = NoOptions

    def __init__(self, model: GenerativeModel, train_data: ImageData, test_data: ImageData | None,
                 run: RunConfig, ctx: DistContext, run_dir: Path, options: object | None = None) -> None:
        self.options = self.options_class() if options is None else options
        if not isinstance(self.options, self.options_class):
            raise TypeError(f"{type(self).__name__} needs {self.options_class.__name__} options")
        self.model, self.train_data, self.test_data = model.to(ctx.device), train_data, test_data
        self.run, self.ctx, self.run_dir = run, ctx, Path(run_dir)
        self.history: list[dict[str, float]] = []
        self.start_epoch, self.steps = 0, 0
        self.seconds_by_device: dict[str, float] = {}  # "cpu", "cuda": a resumed run may change device
        self.optimizer_restarts: list[int] = []  # epochs after which training went on with fresh optimizers
        # [first, end) epochs in which new discriminators trained alone, the model held still
        self.fresh_discriminators: list[tuple[int, int]] = []
        self.shuffle_gen = torch.Generator().manual_seed(run.seed)  # same order on every rank
        self.fixed_latents = model.sample_latent(run.sample_grid, torch.Generator().manual_seed(run.seed))
        self.setup()
        self.average = self._weight_average()
        self.timeline = SnapshotRecorder(model, run.snapshots, run.snapshot_budget_bytes)

    def _weight_average(self) -> WeightAverage | None:
        if not self.run.ema_decay:
            return None
        generator = getattr(self.model, "generator", None)
        if generator is None:
            raise ValueError(f"a weight average (EMA) needs a generator; {self.model.family} has none")
        return WeightAverage(generator, self.run.ema_decay)

    def generator_updated(self) -> None:
        """Called by a family's trainer after each generator step: moves the weight average."""
        if self.average is not None:
            self.average.update(self.steps)

    @contextlib.contextmanager
    def shipped_weights(self, half: bool = False) -> Iterator[None]:
        """A block in which the model holds the weights to ship and sample from: the EMA if any,
        rounded as a file of ``half`` weights stores them when asked (for good: the end of a run),
        with batch-norm statistics measured on prior samples where its family needs them
        (``gen_core.train.sampler_statistics``). The live statistics come back after, and the live
        weights where the block swapped in an average."""
        with self.average.swapped_in() if self.average is not None else contextlib.nullcontext():
            if half:
                round_to_half(self.model)
            if not self.model.batch_norm_from_samples:
                yield
                return
            kept = {name: buffer.clone() for name, buffer in self.model.named_buffers()}
            recompute_sampler_statistics(self.model)
            try:
                yield
            finally:
                for name, buffer in self.model.named_buffers():
                    buffer.copy_(kept[name])

    # --- what a family supplies -------------------------------------------------------------
    def setup(self) -> None:
        """Build optimizers and training-only modules; wrap for DDP."""
        raise NotImplementedError

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        raise NotImplementedError

    def learning_rates(self) -> dict[str, float]:
        """Each optimizer's rate, by the names ``optimizers`` uses."""
        return {name: self.run.lr for name in self.optimizers()}

    def training_modules(self) -> dict[str, nn.Module]:
        """Modules trained but not shipped (a discriminator), saved only in the run state."""
        return {}

    def train_step(self, batch: torch.Tensor) -> dict[str, float]:
        """One optimisation step on ``batch`` ``[B, C, H, W]``; returns scalar losses."""
        raise NotImplementedError

    def evaluate(self) -> dict[str, float]:
        """Held-out numbers after each epoch (rank 0 only); none by default."""
        return {}

    @property
    def seconds(self) -> float:
        """Training time so far, over every device the run has used."""
        return sum(self.seconds_by_device.values())

    # --- the loop ------------------------------------------------------------------------------
    def fit(self) -> list[dict[str, float]]:
        began, last_epoch_seconds = time.perf_counter(), 0.0
        self.timeline.plan(self.run.epochs * self.epoch_steps)
        for epoch in range(self.start_epoch, self.run.epochs):
            if self._out_of_time(time.perf_counter() - began + last_epoch_seconds, epoch):
                break
            started = time.perf_counter()
            self._set_rates(epoch)
            logs = mean_across_ranks(self.train_epoch(epoch), self.ctx)
            device = self.ctx.device.type
            self.seconds_by_device[device] = (self.seconds_by_device.get(device, 0.0)
                                              + time.perf_counter() - started)
            if self.ctx.is_main:
                self.model.eval()
                logs.update(self.evaluate())
                self._save_samples(epoch)
                self.model.train()
                lr = 0.0 if self.model_held_still(epoch) else self.run.lr
                rates = {"lr": lr, **({"lr_d": self.run.lr_d} if self.run.lr_d else {})}
                self.history.append({"epoch": epoch + 1, **rates,
                                     **{k: round(v, 4) for k, v in logs.items()}})
                tqdm.write(f"epoch {epoch + 1}/{self.run.epochs} " +
                           " ".join(f"{k}={v:.3f}" for k, v in logs.items()) +
                           f" ({self.seconds:.0f} s so far)")
                self.save_state(epoch + 1)
            last_epoch_seconds = time.perf_counter() - started
        return self.history

    def model_held_still(self, epoch: int) -> bool:
        """Whether epoch ``epoch`` (from 0) trains new discriminators alone, the model held still."""
        return any(first <= epoch < end for first, end in self.fresh_discriminators)

    def _set_rates(self, epoch: int) -> None:
        """Give each optimizer its rate for ``epoch``: the run's (a resume may have lowered them), or
        0 for the model's while new discriminators train alone. A step at rate 0 leaves the weights
        exactly as they are (SGD, Adam and RMSprop all scale their update by it), so every
        family's ``train_step`` holds the model still unchanged."""
        rates, discriminators = self.learning_rates(), self.training_modules()
        held_still = self.model_held_still(epoch)
        for name, optimizer in self.optimizers().items():
            for group in optimizer.param_groups:
                group["lr"] = 0.0 if held_still and name not in discriminators else rates[name]

    def _out_of_time(self, projected_seconds: float, epoch: int) -> bool:
        """Whether the next epoch, expected to take as long as the last, would end past the budget.

        The first epoch of a fit always runs. Ranks stop together (when any rank's clock says
        so), so that none waits in a collective for ranks that stopped.
        """
        if self.run.max_seconds is None or epoch == self.start_epoch:
            return False
        over = float(projected_seconds > self.run.max_seconds)
        stop = mean_across_ranks({"over": over}, self.ctx)["over"] > 0
        if stop and self.ctx.is_main:
            tqdm.write(f"stopping after epoch {epoch}: another would end past the "
                       f"{self.run.max_seconds:.0f} s budget")
        return stop

    @property
    def epoch_steps(self) -> int:
        """The optimizer steps of one epoch, as ``train_epoch`` takes them."""
        return len(self._batches(torch.arange(len(self.train_data))))

    def _batches(self, permutation: torch.Tensor) -> tuple[torch.Tensor, ...]:
        per_rank = max(1, self.run.batch_size // self.ctx.world_size)
        batches = shard(permutation, self.ctx).split(per_rank)
        return batches[:self.run.max_steps_per_epoch] if self.run.max_steps_per_epoch else batches

    def train_epoch(self, epoch: int) -> dict[str, float]:
        self.model.train()
        batches = self._batches(torch.randperm(len(self.train_data), generator=self.shuffle_gen))
        sums: dict[str, float] = {}
        # disable=None: a bar on a terminal only, so a log file gets the epoch lines, not the bar
        bar = tqdm(batches, desc=f"epoch {epoch + 1}/{self.run.epochs}", leave=False,
                   disable=None if self.ctx.is_main else True, dynamic_ncols=True)
        for index in bar:
            losses = self.train_step(self.train_data.images[index].to(self.ctx.device, non_blocking=True))
            self.steps += 1
            if self.ctx.is_main and self.steps in self.timeline.schedule:
                with torch.no_grad(), self.shipped_weights():
                    self.timeline.after_step(self.steps, self.steps / self.epoch_steps)
            for k, v in losses.items():
                sums[k] = sums.get(k, 0.0) + v
            bar.set_postfix({k: f"{v:.3f}" for k, v in losses.items()})
        return {k: v / len(batches) for k, v in sums.items()}

    @torch.no_grad()
    def _save_samples(self, epoch: int) -> None:
        with self.shipped_weights():
            images = self.model.decode(self.fixed_latents)
        save_png(image_grid(images, nrow=8), self.run_dir / "samples" / f"epoch_{epoch + 1:03d}.png")

    # --- run files -----------------------------------------------------------------------------
    @property
    def state_path(self) -> Path:
        return self.run_dir / "state.safetensors"

    def training_summary(self) -> dict:
        final = self.history[-1] if self.history else {}
        return {
            "epochs": len(self.history), "steps": self.steps, "seconds": round(self.seconds, 1),
            "seconds_by_device": {k: round(v, 1) for k, v in self.seconds_by_device.items()},
            "batch_size": self.run.batch_size, "lr": self.run.lr, "lr_d": self.run.lr_d,
            "ema_decay": self.run.ema_decay,
            "seed": self.run.seed,
            "world_size": self.ctx.world_size, "device": str(self.ctx.device),
            "trainer": type(self).__name__, "options": dataclasses.asdict(self.options),
            "final": {k: v for k, v in final.items() if k != "epoch"},
            "history": self.history,
            **({"optimizer_restarts": self.optimizer_restarts} if self.optimizer_restarts else {}),
            **({"fresh_discriminators": [list(span) for span in self.fresh_discriminators]}
               if self.fresh_discriminators else {}),
            **({"sampler_statistics": statistics_record()} if self.model.batch_norm_from_samples else {}),
            "versions": {"torch": torch.__version__, "python": platform.python_version()},
        }

    def _state_modules(self) -> dict[str, nn.Module]:
        """What a run file keeps beside the live model: training-only modules and the weight average."""
        average = {"weight_average": self.average.average} if self.average is not None else {}
        return {**self.training_modules(), **average}

    def save_state(self, epochs_done: int) -> None:
        rngs = {"shuffle": self.shuffle_gen.get_state(), "torch": torch.get_rng_state()}
        tensors, json_part = pack_state(self._state_modules(), self.optimizers(), rngs)
        summary = {**self.training_summary(), "resume": {**json_part, "epochs_done": epochs_done}}
        timeline, snapshots = self.timeline.for_state()
        save_model(self.model, self.state_path, training=summary, extra_tensors={**tensors, **snapshots},
                   timeline=timeline)
        if self.run.keep_states and epochs_done % self.run.keep_states == 0:
            write_atomically(self.kept_state_path(epochs_done), self.state_path.read_bytes())

    def kept_state_path(self, epochs_done: int) -> Path:
        """Where ``--keep-states`` keeps the run state as it was after ``epochs_done`` epochs."""
        return self.run_dir / "epochs" / f"ep{epochs_done:03d}.safetensors"

    def file_timeline(self) -> tuple[list[dict], dict[str, torch.Tensor]]:
        """``(card timeline, tensors)`` for the model file (``gen_core.train.timeline``)."""
        return self.timeline.for_file(self.steps, len(self.history), log=tqdm.write)

    def resume(self, path: Path) -> None:
        """Continue from ``path``: a run state written by ``save_state`` (weights, optimizers, RNG,
        history), or a model file whose trainer keeps nothing beside the model (a VAE's), which goes
        on from its weights and history with fresh optimizers."""
        meta, tensors = read_checkpoint(path)
        training = meta.get("training") or {}
        given = dataclasses.asdict(self.options)
        stored = training.get("options")
        if stored is not None:  # None: a run file older than options
            # A field added after the file was written was, for that run, its default.
            stored = {**dataclasses.asdict(type(self.options)()), **stored}
        # A run state continues one run, so its options must match; a model file starts a new
        # phase (fresh optimizers), which may change them, e.g. from the ELBO to the IWAE bound.
        if stored is not None and stored != given and "resume" in training:
            differing = sorted(name for name in given if stored.get(name) != given[name])
            was = ", ".join(f"{name}={stored.get(name)!r}" for name in differing)
            asked = ", ".join(f"{name}={given[name]!r}" for name in differing)
            raise ValueError(f"{path} was trained with options {was}, not {asked}: a run state goes on "
                             "with the options it was started with")
        self.history = list(training.get("history") or [])
        self.steps = int(training.get("steps") or 0)
        self.seconds_by_device = dict(TrainingSummary.parse(path, training).seconds_by_device)
        self.optimizer_restarts = list(training.get("optimizer_restarts") or [])
        self.fresh_discriminators = [tuple(span) for span in training.get("fresh_discriminators") or []]
        if "resume" in training:
            self._restore_run_state(tensors, training["resume"])
        else:
            self._restart_from_weights(path)
        self.model.load_state_dict({k: v for k, v in tensors.items() if not k.startswith(SIDE_PREFIXES)})
        if "resume" not in training and self.average is not None:
            self.average.restart()  # a GAN's file holds its average, which the run goes on from
        if meta.get("timeline"):  # a file's last snapshot copies the shipped weights, measured for it
            with self.shipped_weights():
                self.timeline.restore(path, meta["timeline"], tensors, self.steps, len(self.history))

    def _restore_run_state(self, tensors: dict[str, torch.Tensor], resume: dict) -> None:
        rngs = unpack_state(tensors, resume, self._state_modules(), self.optimizers())
        self.shuffle_gen.set_state(rngs["shuffle"])
        self.start_epoch = resume["epochs_done"]
        if self.ctx.is_main:
            torch.set_rng_state(rngs["torch"])
        else:  # only rank 0's noise stream is stored; the others restart theirs distinctly
            torch.manual_seed(self.run.seed + self.ctx.rank + 1000 * self.start_epoch)

    def _restart_from_weights(self, path: Path) -> None:
        """Go on from a model file: its weights and history, new optimizers and random streams, and
        new discriminators where ``--fresh-discriminator-epochs`` asks for them."""
        discriminators = self.training_modules()
        if discriminators and not self.run.fresh_discriminator_epochs:
            raise ValueError(f"{path} is a model file, not a run state: {type(self).__name__} also "
                             f"trains {', '.join(sorted(discriminators))}, which only the run's "
                             "state.safetensors keeps (or start new ones: --fresh-discriminator-epochs)")
        if self.run.fresh_discriminator_epochs and not discriminators:
            raise ValueError(f"--fresh-discriminator-epochs: {type(self).__name__} trains no discriminator")
        self.start_epoch = len(self.history)
        self.optimizer_restarts.append(self.start_epoch)
        if discriminators:
            self.fresh_discriminators.append(
                (self.start_epoch, self.start_epoch + self.run.fresh_discriminator_epochs))
        # Streams of their own, so the epochs ahead do not replay the first epochs' order and noise.
        self.shuffle_gen.manual_seed(self.run.seed + 1000 * self.start_epoch)
        torch.manual_seed(self.run.seed + self.ctx.rank + 1000 * self.start_epoch)
