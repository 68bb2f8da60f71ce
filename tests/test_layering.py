"""The package's layering, read from the source (``tests/import_graph.py``): no import cycles,
the core never needs the app, and the reports never need the trainers."""

from __future__ import annotations

import subprocess
import sys

from gen_core.train import cli, divergences
from gen_core.training_options import DIVERGENCE_NAMES, OPTIONS_BY_TRAINER
from tests.app_support import ROOT
from tests.import_graph import import_cycles, import_graph, in_package, reaching_path

CORE, APP = "gen_core", "ui"
# The report modules, which must never need the training package, wherever they move to.
REPORT_MODULES = ("gen_core.eval.evaluate", "gen_core.eval.zoo_table")
TRAINING_PACKAGE = "gen_core.train"
GRAPH = import_graph(ROOT, [CORE, APP])


def test_no_import_cycles_within_the_core_or_the_app():
    for package in (CORE, APP):
        cycles = import_cycles(GRAPH, in_package(package))
        assert not cycles, f"import cycles in {package}: " + "; ".join(" -> ".join(c) for c in cycles)


def test_no_part_of_the_core_imports_streamlit():
    core = sorted(m for m in GRAPH if in_package(CORE)(m))
    assert len(core) > 20  # the whole package was read
    paths = [reaching_path(GRAPH, module, in_package("streamlit")) for module in core]
    assert not [p for p in paths if p], "\n".join(" -> ".join(p) for p in paths if p)


def test_reports_do_not_pull_in_the_training_package():
    assert TRAINING_PACKAGE in GRAPH
    for module in REPORT_MODULES:
        assert module in GRAPH, f"{module} moved: update REPORT_MODULES"
        path = reaching_path(GRAPH, module, in_package(TRAINING_PACKAGE))
        assert path is None, " -> ".join(path)


def test_at_run_time_too_the_reports_load_no_trainer_and_the_core_no_streamlit():
    # One fresh interpreter: what third-party packages import is not in the graph above.
    code = (f"import importlib, pkgutil, sys, gen_core\n"
            f"for m in {REPORT_MODULES!r}: importlib.import_module(m)\n"
            f"print(sorted(m for m in sys.modules if (m + '.').startswith({TRAINING_PACKAGE + '.'!r})))\n"
            "for m in pkgutil.walk_packages(gen_core.__path__, 'gen_core.'):\n"
            "    if not m.name.endswith('__main__'): importlib.import_module(m.name)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'streamlit'), "
            "'gen_core.train.loop' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "[] True"]  # True: every core module was imported


def test_the_graph_finds_cycles_and_forbidden_imports(tmp_path):
    files = {
        "pkg/__init__.py": "from pkg.a import f\n",
        "pkg/a.py": "from . import b\ndef f():\n    return 1\n",
        "pkg/b.py": "import pkg.sub.c\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/c.py": "def g():\n    from ..a import f\n",  # in a function: still an import
        "pkg/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a\n"
                    "else:\n    import json\n",
        "pkg/e.py": "from pkg import sub\nimport pkg.train.x\n",
        "pkg/train/__init__.py": "",
        "pkg/train/x.py": "import streamlit.runtime\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    graph = import_graph(tmp_path, ["pkg"])
    assert graph["pkg.d"] == {"typing", "json"}
    assert graph["pkg.e"] == {"pkg.sub", "pkg.train.x"}
    assert import_cycles(graph, in_package("pkg")) == [["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"]]
    assert import_cycles(graph, in_package("pkg.train")) == []
    assert reaching_path(graph, "pkg.e", in_package("streamlit")) == ["pkg.e", "pkg.train.x",
                                                                      "streamlit.runtime"]
    assert reaching_path(graph, "pkg.e", in_package("pkg.train")) == ["pkg.e", "pkg.train.x"]
    assert reaching_path(graph, "pkg.d", in_package("pkg.train")) is None  # TYPE_CHECKING only
    # Importing pkg.sub.c runs pkg/__init__.py first, which imports pkg.a.
    assert reaching_path(graph, "pkg.sub.c", in_package("json")) is None
    assert reaching_path(graph, "pkg.sub", in_package("pkg.a")) == ["pkg.sub", "pkg", "pkg.a"]


def test_every_trainers_options_are_known_to_the_reports():
    trainers = {trainer for _, _, trainer, _ in cli.PRESETS.values()}
    for trainer in trainers:
        if trainer.options_class.__name__ != "NoOptions":
            assert OPTIONS_BY_TRAINER[trainer.__name__] is trainer.options_class
    assert set(DIVERGENCE_NAMES) == set(divergences.DIVERGENCES)
