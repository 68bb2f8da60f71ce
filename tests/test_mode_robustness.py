"""The mode-coverage grid bench: every setting trained for both models, kept runs reused, the tables."""

from pathlib import Path

import pytest

from bench import mode_robustness
from bench.mode_robustness import GRID, MODELS, Score, Setting, markers, run_file, seeds_table, summary_table
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
    (start, end), (seeds_start, seeds_end) = markers("digits", 1), markers("digits", 2)
    doc.write_text(f"before\n{start}\nold\n{end}\n{seeds_start}\nold seeds\n{seeds_end}\nafter\n")
    argv = ["--dataset", "digits", "--dry-run", "--samples", "100", "--runs", str(grid_folder / "runs"),
            "--classifier", str(digits_classifier_file), "--doc", str(doc)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli, "PRESETS", tiny_presets())
        return argv, doc, mode_robustness.main(argv)[0]


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
    assert mode_robustness.main(argv) == {0: scores}


def test_the_tables_go_between_the_markers(dry_grid):
    _, doc, _ = dry_grid
    text = doc.read_text()
    assert text.startswith("before\n") and text.endswith("after\n") and "old\n" not in text
    assert "old seeds" in text  # one seed's grid leaves the seeds table alone
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
    part = mode_robustness.main([*argv[:-2], "--rates", "1e-3"])[0]  # no --doc: the page keeps the grid
    chosen = [setting for setting in GRID if setting.lr == 1e-3]
    assert all(list(runs) == chosen for runs in part.values()) and len(chosen) == 4
    assert all(part[model][s] == whole[model][s] for model in MODELS for s in chosen)
    with pytest.raises(SystemExit, match="no setting"):
        mode_robustness.main([*argv[:-2], "--rates", "0.5"])


def test_seeds_are_run_each_and_summed_up_per_setting(dry_grid, monkeypatch):
    argv, doc, whole = dry_grid
    by_seed = mode_robustness.main([*argv, "--rates", "5e-3", "--seeds", "0", "1"])
    chosen = [setting for setting in GRID if setting.lr == 5e-3]
    assert list(by_seed) == [0, 1] and all(list(by_seed[1][m]) == chosen for m in MODELS)
    assert all(by_seed[0][m][s] == whole[m][s] for m in MODELS for s in chosen)  # seed 0's runs kept
    runs = Path(argv[argv.index("--runs") + 1])
    assert all(run_file(runs, m, s, 2, 1, True).is_file() for m in MODELS for s in chosen)
    text = doc.read_text()
    assert "old seeds" not in text and "seeds 0, 1 |" in text
    assert sum(setting.label in text for setting in GRID) == len(GRID)  # the grid stays


def test_the_seeds_table_gives_means_ranges_and_leads():
    setting = Setting(2e-4, 4, 256)
    by_seed = {seed: {"DCGAN": {setting: Score(d, 10, 0.05, 3.0)},
                      "mode-regularized": {setting: Score(r, 10, 0.05, 3.0)}}
               for seed, d, r in ((0, 3.0, 3.5), (1, 4.0, 3.75), (2, 2.0, 2.5))}
    head, _, row, _, count = seeds_table(by_seed).splitlines()
    assert head == "| Setting | DCGAN | mode-regularized | mode-regularized − DCGAN, seeds 0, 1, 2 |"
    assert row == ("| lr 0.0002, D rate ×4, batch 256 | 3.00 (2.00–4.00) | 3.25 (2.50–3.75) "
                   "| +0.50, −0.25, +0.50 |")
    assert count == "mode-regularized ahead in 2 of 3 pairs (MODE score)."
