"""Recipes: every shipped checkpoint names the recipe file whose command retrains it, and the
recipe agrees with what the checkpoint's card recorded of its training."""

from __future__ import annotations

from pathlib import Path

import pytest

from gen_core.files.checkpoint import load_model, model_files, read_header
from gen_core.train.cli import PRESETS, main
from gen_core.train.run_args import load_recipe

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = model_files(ROOT / "checkpoints")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_each_shipped_checkpoint_names_a_recipe_that_agrees_with_its_card(path):
    card, header = read_header(path)
    recipe = load_recipe(ROOT / "recipes" / f"{card.recipe}.toml")
    family, config, _, preset_lr = PRESETS[recipe.values["model"]]
    assert card.recipe == path.stem and recipe.values["out"] == Path("checkpoints") / path.name
    assert (family, recipe.values["dataset"]) == (card.family, card.dataset)
    assert recipe.stages[-1]["epochs"] == card.training.epochs
    assert recipe.values.get("seed", 0) == card.training.record["seed"]
    assert card.config["latent_dim"] == recipe.values.get("latent_dim", config.latent_dim)
    final_lr = recipe.stages[-1].get("lr", recipe.values.get("lr", preset_lr))
    assert final_lr == pytest.approx(card.training.record["lr"])
    last = {**recipe.values, **recipe.stages[-1]}  # the options of the stage that ended the run
    options = {k: v for k, v in last.items() if k in card.training.options}
    assert options == {k: card.training.options[k] for k in options}
    halved = any(entry["dtype"] == "F16" for name, entry in header.items()
                 if not name.startswith("timeline."))
    assert recipe.values.get("half_weights", False) == halved


def test_a_recipe_runs_its_stages_in_order_and_the_card_names_it(tmp_path):
    recipe = tmp_path / "tiny.toml"
    recipe.write_text('model = "vae-mlp"\ndataset = "digits"\nlatent_dim = 3\n'
                      '[[stages]]\nepochs = 1\n[[stages]]\nepochs = 2\nlr = 1e-4\nresume = "state"\n'
                      '[[stages]]\nepochs = 3\nresume = "model"\niwae_samples = 2\n')
    out = main(["--recipe", str(recipe), "--out", str(tmp_path / "m.safetensors"),
                "--run-dir", str(tmp_path / "run"), "--batch-size", "256"])
    card = load_model(out).card
    assert card.recipe == "tiny" and card.training.epochs == 3 and card.training.record["lr"] == 1e-4
    # The second stage went on from the first's state, the third from the model file, on the IWAE bound.
    assert len(card.training.history) == 3 and card.training.record["optimizer_restarts"] == (2,)
    assert card.training.options["iwae_samples"] == 2 and "neg_iwae" in card.training.history[-1]


@pytest.mark.parametrize(("text", "says"), [
    ('model = "vae-mlp"\ncolour = "red"\n', "unknown key(s) ['colour']"),
    ('model = "vae-mlp"\n[[stages]]\nepochs = 1\nresume = "state"\n', "not in stage 1"),
    ('model = "vae-mlp"\n[[stages]]\nepochs = 1\nbatch_size = 3\n', "stage 1 may only set"),
    ('model = "vae-mlp"\n[[stages]]\nepochs = 1\n[[stages]]\nepochs = 2\nresume = "state"\nbinarize = true\n',
     "only a stage that resumes a model file"),
    ("model = \n", "not a readable recipe"),
])
def test_a_faulty_recipe_is_refused_naming_the_fault(tmp_path, text, says):
    recipe = tmp_path / "bad.toml"
    recipe.write_text(text)
    with pytest.raises(ValueError) as caught:
        load_recipe(recipe)
    assert says in str(caught.value)
