"""Subprocesses that some tests need, started as soon as those tests are collected.

The tests run one at a time on one torch thread, so the machine's second core is mostly idle; a
run started at collection (``tests/conftest.py``) uses it while the tests before its own go on,
and its test only waits for what is left (``output``). A run is killed at session end if no test
waited for it (a failure stopped the session, or its tests were deselected after collection).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# Not tests.app_support's ROOT: that module imports tests.conftest, which imports this one.
ROOT = Path(__file__).resolve().parents[1]

# The node-id prefix of the tests that use a run -> ``python -m`` arguments, ``{out}`` the run's
# output folder. The UI benchmark's smoke run mostly waits on its own server and browser (about
# a minute); the Keras export mostly imports TensorFlow (about 7 s).
UI_SPEED_SMOKE = "tests/browser/test_ui_speed_smoke.py::"
KERAS_EXPORT = "tests/test_keras_decoder.py::"
RUNS: dict[str, tuple[str, ...]] = {
    UI_SPEED_SMOKE: ("bench.ui_speed", "--smoke", "--json", "{out}/ui_speed.json"),
    KERAS_EXPORT: ("tests.keras_decoder", "{out}"),
}
STARTED = pytest.StashKey[dict[str, tuple[subprocess.Popen, tempfile.TemporaryDirectory]]]()


def start(config: pytest.Config, prefix: str) -> None:
    """Spawn ``RUNS[prefix]``, its output and error text in a folder of its own."""
    folder = tempfile.TemporaryDirectory(prefix="background-run-")
    args = [arg.replace("{out}", folder.name) for arg in RUNS[prefix]]
    with open(Path(folder.name) / "stderr.txt", "w") as errors:
        run = subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=errors)
    config.stash.setdefault(STARTED, {})[prefix] = run, folder


def start_collected(session: pytest.Session) -> None:
    """Start the run of every prefix that a collected test has (not under ``--collect-only``)."""
    if session.config.option.collectonly:
        return
    for prefix in RUNS:
        if any(item.nodeid.startswith(prefix) for item in session.items):
            start(session.config, prefix)


def stop_all(config: pytest.Config) -> None:
    for run, folder in config.stash.get(STARTED, {}).values():
        run.kill()
        run.wait()
        folder.cleanup()


def output(config: pytest.Config, prefix: str, timeout_s: float) -> Path:
    """The output folder of ``prefix``'s run (started now if it was not at collection), once the
    run has ended well; fails with the run's error text otherwise."""
    if prefix not in config.stash.get(STARTED, {}):
        start(config, prefix)
    run, folder = config.stash[STARTED][prefix]
    run.wait(timeout=timeout_s)
    assert run.returncode == 0, (Path(folder.name) / "stderr.txt").read_text()[-3000:]
    return Path(folder.name)
