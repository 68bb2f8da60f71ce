"""The training-cost benchmark times each shipped model's own trainer and writes its table."""

from bench.epoch_cost import END, START, main
from gen_core.files.checkpoint import update_metadata
from gen_core.train.cli import main as train


def _train(folder, preset, *extra):
    out = folder / f"{preset}.safetensors"
    train(["--model", preset, "--dataset", "digits", "--dry-run", "--out", str(out),
           "--run-dir", str(folder.parent / f"run-{preset}"), *extra])
    return out


def test_each_model_is_timed_with_its_recorded_trainer_and_the_readme_gets_the_table(tmp_path):
    folder = tmp_path / "zoo"
    folder.mkdir()
    _train(folder, "vae-gan", "--gamma", "0.1")
    gan = _train(folder, "wgan-gp", "--n-critic", "2")
    update_metadata(gan, training={"seconds_by_device": {"cuda": 30.0}, "seconds": 30.0})
    readme = tmp_path / "README.md"
    readme.write_text(f"Cost:\n{START}\nold\n{END}\n")
    rows = main([str(folder), "--steps", "2", "--rounds", "2", "--doc", str(readme)])
    assert [row[0] for row in rows] == ["vae-gan", "wgan-gp"]
    for _, epochs, per_step, _, per_epoch, total, _ in rows:
        assert epochs == "1" and float(per_step.split()[0]) > 0 and float(per_epoch) >= 0
        assert total.endswith(("min", "h"))
    assert rows[0][3] != "–" and rows[0][6].endswith("CPU")  # trained here: its own step time beside
    assert rows[1][3] == "–" and rows[1][6] == "0.5 min GPU"
    text = readme.read_text()
    assert "old" not in text and "| vae-gan | 1 |" in text and "| wgan-gp | 1 |" in text


def test_a_file_without_a_recorded_trainer_is_timed_with_its_familys(tmp_path):
    folder = tmp_path / "zoo"
    folder.mkdir()
    vae = _train(folder, "vae-mlp")
    update_metadata(vae, drop=("trainer",), training={})
    [row] = main([str(folder), "--steps", "2", "--rounds", "2"])
    assert row[0] == "vae-mlp" and float(row[2].split()[0]) > 0
