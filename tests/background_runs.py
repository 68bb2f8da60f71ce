"""Subprocesses that some tests need, started before those tests run, on a core the tests leave idle.

The tests run one at a time on one torch thread. While the browser tests run, the app's server,
Chromium and the test process keep both cores busy; after them the second core is mostly idle.
A run is started at collection (``tests/conftest.py``) if it mostly waits, or else, if it is
``late``, with the first test that is not a browser test, and its tests are moved to the end of the
session, so that it uses that idle core while the tests before its own go on; its test only waits
for what is left (``output``). A run is killed at session end if no test waited for it (a failure
stopped the session, or its tests were deselected after collection).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.tiny_presets import RUN_SEPARATOR

# Not tests.app_support's ROOT: that module imports tests.conftest, which imports this one.
ROOT = Path(__file__).resolve().parents[1]


@dataclasses.dataclass(frozen=True)
class Run:
    """``python -m ARGS`` (``{out}`` the run's output folder) in the project root, with ``env``
    added to the environment."""

    args: tuple[str, ...]
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    late: bool = False  # CPU work: starts after the browser tests, and its tests run last


# wgan-gp: its gradient penalty is a second-order gradient through the DDP-wrapped critic.
# vae-gan: several backward passes per step, gradients averaged over ranks without DDP's hooks.
DDP_PRESETS = ("vae-conv", "wgan-gp", "vae-gan")


def ddp_launch() -> Run:
    """One ``torchrun --nproc_per_node=2`` launch that trains each preset of ``DDP_PRESETS`` in
    turn with tiny networks (``tests/tiny_presets.py``) through the command's own start and end, so
    each run after the first trains in the process group the first one joined, as a recipe's later
    stage does: ``{out}/PRESET.safetensors``."""
    runs = [("--model", preset, "--dataset", "digits", "--epochs", "1", "--batch-size", "128",
             "--out", f"{{out}}/{preset}.safetensors", "--run-dir", f"{{out}}/{preset}")
            for preset in DDP_PRESETS]
    words = [*runs[0], *[word for run in runs[1:] for word in (RUN_SEPARATOR, *run)]]
    # An abort in a rank prints every thread's Python stack, so a failure names where it happened.
    return Run(("torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "tests.tiny_presets",
                *words), env={"PYTHONPATH": str(ROOT), "PYTHONFAULTHANDLER": "1"}, late=True)


# The node-id prefix of the tests that use a run -> the run. The UI benchmark's smoke run mostly
# waits on its own server and browser (about a minute); the Keras export mostly imports TensorFlow
# (about 7 s); the load smoke run (two viewers for 10 s, about 16 s) and the DDP launch (about 9 s)
# are CPU work.
UI_SPEED_SMOKE = "tests/browser/test_ui_speed_smoke.py::"
KERAS_EXPORT = "tests/test_keras_decoder.py::"
LOAD_SMOKE = "tests/browser/test_load_smoke.py::"
DDP_LAUNCH = "tests/test_train.py::test_two_process_ddp_run"
LOAD_SMOKE_MODELS = ("mnist-vae-mlp-binarized", "mnist-dcgan")
# Two viewers for 10 s, each on until it has opened Explore and dragged a control twice.
LOAD_SMOKE_VIEWERS, LOAD_SMOKE_SECONDS, LOAD_SMOKE_ACTIONS = 2, 10, 3
RUNS: dict[str, Run] = {
    UI_SPEED_SMOKE: Run(("bench.ui_speed", "--smoke", "--json", "{out}/ui_speed.json")),
    KERAS_EXPORT: Run(("tests.keras_decoder", "{out}")),
    LOAD_SMOKE: Run(("bench.load", "--viewers", str(LOAD_SMOKE_VIEWERS), "--seconds", str(LOAD_SMOKE_SECONDS),
                     "--min-actions", str(LOAD_SMOKE_ACTIONS), "--models", *LOAD_SMOKE_MODELS,
                     "--json", "{out}/load.json"), late=True),
    DDP_LAUNCH: ddp_launch(),
}
STARTED = pytest.StashKey[dict[str, tuple[subprocess.Popen, tempfile.TemporaryDirectory]]]()
WAITING = pytest.StashKey[list[str]]()  # late runs a collected test uses, not yet started


def start(config: pytest.Config, prefix: str) -> None:
    """Spawn ``RUNS[prefix]``, its output and error text in a folder of its own."""
    folder = tempfile.TemporaryDirectory(prefix="background-run-")
    run = RUNS[prefix]
    args = [arg.replace("{out}", folder.name) for arg in run.args]
    with open(Path(folder.name) / "stderr.txt", "w") as errors:
        process = subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, env={**os.environ, **run.env},
                                   stdout=subprocess.DEVNULL, stderr=errors)
    config.stash.setdefault(STARTED, {})[prefix] = process, folder


def users(items: list[pytest.Item], prefix: str) -> bool:
    return any(item.nodeid.startswith(prefix) for item in items)


def late_tests_last(items: list[pytest.Item]) -> None:
    """Move the tests of late runs to the end of the session (in place, otherwise in order)."""
    late = tuple(prefix for prefix, run in RUNS.items() if run.late)
    items.sort(key=lambda item: item.nodeid.startswith(late))


def start_collected(session: pytest.Session) -> None:
    """Start every run that is not late and that a collected test uses, and keep the late ones
    for ``start_late`` (none under ``--collect-only``)."""
    if session.config.option.collectonly:
        return
    used = [prefix for prefix in RUNS if users(session.items, prefix)]
    for prefix in used:
        if not RUNS[prefix].late:
            start(session.config, prefix)
    session.config.stash[WAITING] = [prefix for prefix in used if RUNS[prefix].late]


def start_late(item: pytest.Item) -> None:
    """Start the waiting late runs with the first test that is not a browser test (a test that
    needs one first starts it itself, in ``output``)."""
    waiting = item.config.stash.get(WAITING, [])
    if not waiting or item.get_closest_marker("browser") is not None:
        return
    started = item.config.stash.get(STARTED, {})
    for prefix in waiting:
        if prefix not in started:
            start(item.config, prefix)
    waiting.clear()


def stop_all(config: pytest.Config) -> None:
    for run, folder in config.stash.get(STARTED, {}).values():
        run.kill()
        run.wait()
        folder.cleanup()


def output(config: pytest.Config, prefix: str, timeout_s: float) -> Path:
    """The output folder of ``prefix``'s run (started now if it was not before), once the run has
    ended well; fails with the run's error text otherwise."""
    if prefix not in config.stash.get(STARTED, {}):
        start(config, prefix)
    run, folder = config.stash[STARTED][prefix]
    run.wait(timeout=timeout_s)
    assert run.returncode == 0, (Path(folder.name) / "stderr.txt").read_text()[-3000:]
    return Path(folder.name)
