"""Metric names and formats shared by the zoo table, the gallery and Compare."""

from gen_core.eval.report import METRIC, best_models, card_summary, fmt, headline


def test_values_are_written_with_their_digits_units_and_missing_marker():
    assert fmt("fd_classifier_features", {"fd_classifier_features": 9.7449}) == "9.74"
    assert fmt("kid", {"kid": 0.012345}) == "0.0123"
    assert fmt("min_class_fraction", {"min_class_fraction": 0.0381}) == "3.8%"
    assert fmt("mode_collapse", {"mode_collapse": True}) == "yes"
    assert fmt("recall", {}) == "–"


def test_headline_keeps_known_metrics_in_order_and_drops_the_rest():
    metrics = {"recall": 0.7, "eval_seed": 0, "fd_classifier_features": 3.0, "nll_iwae_nats": None}
    assert list(headline(metrics)) == [METRIC["fd_classifier_features"].label, METRIC["recall"].label]


def test_card_summary_reads_like_a_sentence_for_each_kind_of_model():
    gan = card_summary({"fd_classifier_features": 9.74, "fd_real_halves": 0.12, "precision": 0.7,
                        "recall": 0.76, "mode_collapse": False})
    assert gan == "FD **9.74** (real data: 0.12) · precision **0.70** · recall **0.76**"
    binarized = card_summary({"nll_elbo_nats": 96.52, "nll_iwae_nats": 93.1})
    assert binarized == "test NLL ≤ **96.52** nats (IWAE **93.10**)"
    grey = card_summary({"bce_elbo_nats": 101.5})
    assert grey == "test BCE-ELBO **101.50** nats"
    info = card_summary({"categories_matched": 8, "category_agreement": [0.9] * 10, "mode_collapse": True})
    assert info == "categories matched **8**/10 · **mode-collapse flag**"
    assert card_summary({}) == ""


def test_best_models_follow_each_metrics_direction_and_need_a_contest():
    scores = {"a": {"fd_classifier_features": 2.0, "precision": 0.9, "nll_iwae_nats": 90.0,
                    "mode_collapse": True},
              "b": {"fd_classifier_features": 1.0, "precision": 0.8, "mode_collapse": False},
              "c": {"fd_classifier_features": 3.0, "precision": 0.8, "recall": 0.5}}
    assert best_models(scores) == {"fd_classifier_features": "b", "precision": "a"}
    assert best_models({"a": {"recall": 0.5}, "b": {"recall": 0.5}}) == {}
