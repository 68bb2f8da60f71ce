"""The gallery's quality rank."""

import math

from gen_core.eval.ranking import rank_models


def test_models_rank_by_fd_relative_to_the_best_of_their_dataset():
    ranked = rank_models({
        "a": ("mnist", {"fd_classifier_features": 10.0, "recall": 0.5}),
        "b": ("mnist", {"fd_classifier_features": 5.0}),
        "c": ("fashion", {"fd_classifier_features": 12.0}),
        "d": ("fashion", {"fd_classifier_features": 18.0}),
        "e": ("mnist", {}),
    })
    assert [r.name for r in ranked] == ["b", "c", "d", "a", "e"]
    assert [r.score for r in ranked[:4]] == [1.0, 1.0, 1.5, 2.0]
    assert math.isinf(ranked[-1].score) and ranked[-1].basis == "not evaluated yet"
    assert ranked[0].basis.startswith("rank 1 ·")


def test_a_mode_collapse_flag_counts_double_and_recall_breaks_ties():
    ranked = rank_models({
        "sharp-but-collapsed": ("mnist", {"fd_classifier_features": 4.0, "mode_collapse": True}),
        "good": ("mnist", {"fd_classifier_features": 6.0, "recall": 0.5}),
        "good-more-recall": ("mnist", {"fd_classifier_features": 6.0, "recall": 0.7}),
    })
    assert [r.name for r in ranked] == ["good-more-recall", "good", "sharp-but-collapsed"]
