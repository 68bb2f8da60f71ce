"""The package's layering, checked in fresh interpreters: the core never needs the app, and the
reports never need the trainers."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import gen_core
from gen_core.train import cli, divergences
from gen_core.training_options import DIVERGENCE_NAMES, OPTIONS_BY_TRAINER
from tests.app_support import ROOT

# Every module but the command entry points, which run their command when imported.
MODULES = sorted(m.name for m in pkgutil.walk_packages(gen_core.__path__, "gen_core.")
                 if not m.name.endswith("__main__"))


def imported_after(module: str) -> set[str]:
    """The module names loaded by importing ``module`` in a new interpreter."""
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize("module", ["gen_core", *MODULES])
def test_no_part_of_the_core_imports_streamlit(module):
    assert "streamlit" not in imported_after(module)


@pytest.mark.parametrize("module", ["gen_core.eval.evaluate", "gen_core.eval.zoo_table"])
def test_reports_do_not_pull_in_the_training_package(module):
    assert not {m for m in imported_after(module) if m == "gen_core.train" or m.startswith("gen_core.train.")}


def test_every_trainers_options_are_known_to_the_reports():
    trainers = {trainer for _, _, trainer, _ in cli.PRESETS.values()}
    for trainer in trainers:
        if trainer.options_class.__name__ != "NoOptions":
            assert OPTIONS_BY_TRAINER[trainer.__name__] is trainer.options_class
    assert set(DIVERGENCE_NAMES) == set(divergences.DIVERGENCES)
