"""The MODE-score draws bench: every file scored on the same seeded draws, the reference's leads."""

import pytest

from bench import mode_draws
from bench.mode_robustness import signed
from gen_core.eval.metric_keys import MODE_SCORE_REAL
from gen_core.files.checkpoint import save_model
from tests.conftest import tiny_model


def test_every_file_is_scored_on_each_draw_and_the_table_goes_between_the_markers(tmp_path,
                                                                                 digits_classifier_file):
    files = [save_model(tiny_model(family, seed), tmp_path / f"{family}.safetensors",
                        dataset={"name": "digits"}) for family, seed in (("dcgan", 0), ("vae", 1))]
    doc = tmp_path / "doc.md"
    start, end = mode_draws.markers("digits")
    doc.write_text(f"before\n{start}\nold\n{end}\nafter\n")
    scores = mode_draws.main([*map(str, files), "--seeds", "0", "1", "0", "--samples", "60",
                              "--classifier", str(digits_classifier_file), "--doc", str(doc)])
    assert list(scores) == ["dcgan", "vae", MODE_SCORE_REAL]
    assert all(len(values) == 2 and all(0.1 <= v <= 10 for v in values) for values in scores.values())
    assert scores[MODE_SCORE_REAL][0] != scores[MODE_SCORE_REAL][1]  # another seed, another real half
    text = doc.read_text()
    assert text.startswith("before\n") and text.endswith("after\n") and "old" not in text
    lead = [signed(v - r) for v, r in zip(scores["vae"], scores["dcgan"], strict=True)]
    assert f"| vae | {scores['vae'][0]:.2f}, {scores['vae'][1]:.2f} |" in text and ", ".join(lead) in text
    assert "| real half |" in text and "60 samples per draw" in text


def test_files_of_two_datasets_are_refused(tmp_path):
    files = [save_model(tiny_model("vae", 0), tmp_path / f"{name}.safetensors", dataset={"name": name})
             for name in ("digits", "mnist")]
    with pytest.raises(SystemExit, match="different datasets"):
        mode_draws.main(list(map(str, files)))
