"""The mode-coverage grid bench: every setting trained for both models, kept runs reused, the tables."""

import pytest

from bench import mode_robustness
from bench.mode_robustness import GRID, MODELS, Score, Setting, run_file, summary_table
from gen_core.eval.metric_keys import FD_REAL, MODE_SCORE_REAL
from gen_core.files.checkpoint import read_header
from gen_core.train import cli
from tests.tiny_presets import tiny_presets


@pytest.fixture(scope="module")
def grid_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("grid")


@pytest.fixture(scope="module")
def dry_grid(grid_folder, digits_classifier_file):
    """The whole grid run once, as dry runs of the tiny presets on the digits: (argv, doc, scores)."""
    doc = grid_folder / "doc.md"
    doc.write_text(f"before\n{mode_robustness.START}\nold\n{mode_robustness.END}\nafter\n")
    argv = ["--dataset", "digits", "--dry-run", "--samples", "100", "--runs", str(grid_folder / "runs"),
            "--classifier", str(digits_classifier_file), "--doc", str(doc)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli, "PRESETS", tiny_presets())
        return argv, doc, mode_robustness.main(argv)


def test_every_setting_trains_both_models_with_its_rates_and_no_average(dry_grid, grid_folder):
    _, _, scores = dry_grid
    assert list(scores) == list(MODELS) and all(list(runs) == list(GRID) for runs in scores.values())
    for model in MODELS:
        for setting in GRID:
            card = read_header(run_file(grid_folder / "runs", model, setting, 2, 0, True))[0]
            record = card.training.record
            assert record["lr"] == pytest.approx(setting.lr)
            assert record["lr_d"] == pytest.approx(setting.lr * setting.discriminator_ratio)
            assert not record.get("ema_decay")
            assert card.training.options.get("plain_discriminator", False) == (model == "mode-regularized")
            assert card.dataset == "digits"
    for runs in scores.values():
        for s in runs.values():
            assert 0 <= s.covered <= 10 and 0 <= s.rarest <= 0.1 and s.fd > 0 and 0.1 <= s.mode <= 10


def test_kept_runs_are_scored_again_without_training(dry_grid, monkeypatch):
    argv, _, scores = dry_grid

    def no_training(_):
        raise AssertionError("a kept run was trained again")
    monkeypatch.setattr(cli, "main", no_training)
    assert mode_robustness.main(argv) == scores


def test_the_tables_go_between_the_markers(dry_grid):
    _, doc, _ = dry_grid
    text = doc.read_text()
    assert text.startswith("before\n") and text.endswith("after\n") and "old" not in text
    assert sum(setting.label in text for setting in GRID) == len(GRID)
    assert "| DCGAN |" in text and "| mode-regularized |" in text and "| real half |" in text


def test_the_summary_counts_settings_against_the_dcgan():
    settings = [Setting(1e-4, 1, 64), Setting(1e-3, 4, 256)]
    scores = {"DCGAN": {settings[0]: Score(8.0, 10, 0.05, 3.0), settings[1]: Score(2.0, 4, 0.0, 40.0)},
              "mode-regularized": {settings[0]: Score(7.5, 10, 0.06, 4.0),
                                   settings[1]: Score(6.0, 10, 0.03, 9.0)}}
    table = summary_table(scores, 10, {MODE_SCORE_REAL: 9.8, FD_REAL: 0.2})
    dcgan, regularized, real = table.splitlines()[2:]
    assert dcgan == "| DCGAN | 5.00 (2.00–8.00) | 1 of 2 | 2.5% | 21.50 (3.00–40.00) | – |"
    assert regularized == ("| mode-regularized | 6.75 (6.00–7.50) | 2 of 2 | 4.5% | 6.50 (4.00–9.00) "
                           "| 1 of 2 |")
    assert real == "| real half | 9.80 | – | – | 0.20 | – |"


def test_a_part_of_the_grid_is_chosen_by_its_generator_rates(dry_grid):
    argv, _, whole = dry_grid
    part = mode_robustness.main([*argv[:-2], "--rates", "1e-3"])  # no --doc: the page keeps the grid
    chosen = [setting for setting in GRID if setting.lr == 1e-3]
    assert all(list(runs) == chosen for runs in part.values()) and len(chosen) == 4
    assert all(part[model][s] == whole[model][s] for model in MODELS for s in chosen)
    with pytest.raises(SystemExit, match="no setting"):
        mode_robustness.main([*argv[:-2], "--rates", "0.5"])
