"""Every key a checkpoint's ``metrics`` section may hold, registered once with how it reads.

Evaluation and training write through these constants, the cards, Compare, the ranking and the
zoo table read through them, and ``check_metric_keys`` refuses any other key when a file is
written or parsed: a figure has one name, one label, one unit and one direction everywhere.
Each score names its ``reference``, the same figure measured on real data at the same sample
size (what a perfect model would score), so it is never shown alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable


@dataclasses.dataclass(frozen=True)
class MetricKey:
    """One metric: its stored ``key``, the ``label`` people read, its ``unit`` ("" when none),
    which way is ``better`` ("lower", "higher", or ``None`` for context that is not a score),
    the key of its real-data ``reference`` figure, and how it is written."""

    key: str
    label: str
    better: str | None = None
    unit: str = ""
    reference: str | None = None
    digits: int = 2
    percent: bool = False

    def format(self, value) -> str:
        """The value as shown to people; ``–`` when it was not measured."""
        if value is None:
            return "–"
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, str):
            return value
        if self.percent:
            return f"{100 * value:.{self.digits}f}%"
        return f"{value:.{self.digits}f}"


METRIC: dict[str, MetricKey] = {}


def _register(metric: MetricKey) -> str:
    if metric.key in METRIC:
        raise ValueError(f"metric key {metric.key!r} registered twice")
    METRIC[metric.key] = metric
    return metric.key


# Sample quality in the dataset classifier's features (not Inception: FD, not FID), each beside
# the same figure between two disjoint halves of the real test set at the same n.
FD_REAL = _register(MetricKey("fd_real_halves", "FD of two real halves (same n)"))
FD_SPREAD_REAL = _register(MetricKey("fd_spread_real_halves", "FD spread of two real halves"))
FD = _register(MetricKey("fd_classifier_features", "FD, classifier features", "lower", reference=FD_REAL))
FD_SPREAD = _register(MetricKey("fd_spread", "FD bootstrap spread", reference=FD_SPREAD_REAL))
KID_REAL = _register(MetricKey("kid_real_halves", "KID of two real halves", digits=4))
KID_SPREAD_REAL = _register(MetricKey("kid_spread_real_halves", "KID spread of two real halves", digits=4))
KID = _register(MetricKey("kid", "KID, classifier features", "lower", reference=KID_REAL, digits=4))
KID_SPREAD = _register(MetricKey("kid_spread", "KID spread over subsets", reference=KID_SPREAD_REAL,
                                 digits=4))
PRECISION_REAL = _register(MetricKey("precision_real_halves", "Precision of real vs real"))
RECALL_REAL = _register(MetricKey("recall_real_halves", "Recall of real vs real"))
PRECISION = _register(MetricKey("precision", "Precision (k=3)", "higher", reference=PRECISION_REAL))
RECALL = _register(MetricKey("recall", "Recall (k=3)", "higher", reference=RECALL_REAL))
EVAL_N = _register(MetricKey("eval_n", "Samples per figure", digits=0))

# Class coverage of samples, as the classifier reads them.
CLASS_FRACTIONS = _register(MetricKey("class_fractions", "Share of each class"))
MIN_CLASS = _register(MetricKey("min_class_fraction", "Rarest class", "higher", digits=1, percent=True))
MAX_CLASS = _register(MetricKey("max_class_fraction", "Commonest class", "lower", digits=1, percent=True))
MODE_COLLAPSE = _register(MetricKey("mode_collapse", "Mode-collapse flag"))
# The MODE score of Che et al. 2017 (gen_core.eval.metrics.mode_score), from the classifier's softmax.
MODE_SCORE_REAL = _register(MetricKey("mode_score_real_half", "MODE score of real images (same n)"))
MODE_SCORE = _register(MetricKey("mode_score", "MODE score (Che et al. 2017)", "higher",
                                 reference=MODE_SCORE_REAL))

# Likelihood bounds: on binarized pixels they bound the test NLL; on grey pixels the Bernoulli
# "likelihood" is a cross-entropy whose floor is the pixels' own entropy, so it is named BCE.
NLL_ELBO = _register(MetricKey("nll_elbo_nats", "Test NLL bound, ELBO (nats, binarized)", "lower", "nats"))
NLL_IWAE = _register(MetricKey("nll_iwae_nats", "Test NLL bound, IWAE (nats, binarized)", "lower", "nats"))
BCE_ELBO = _register(MetricKey("bce_elbo_nats", "Test BCE-ELBO (nats, grey pixels)", "lower", "nats"))
BCE_IWAE = _register(MetricKey("bce_iwae_nats", "Test BCE-IWAE (nats, grey pixels)", "lower", "nats"))
IWAE_K = _register(MetricKey("iwae_k", "Importance samples (IWAE k)", digits=0))
LIKELIHOOD_IMAGES = _register(MetricKey("likelihood_images", "Test images in the bounds", digits=0))
# (ELBO key, IWAE key) by whether the model was trained on binarized pixels.
LIKELIHOOD_KEYS = {True: (NLL_ELBO, NLL_IWAE), False: (BCE_ELBO, BCE_IWAE)}

RECONSTRUCTION_MSE = _register(MetricKey("test_reconstruction_mse", "Test reconstruction error (MSE)",
                                         "lower", digits=4))

# InfoGAN: per value of the categorical code, the share of its samples in their majority class.
CATEGORY_AGREEMENT = _register(MetricKey("category_agreement", "Majority share per category value"))
CATEGORY_MAJORITY = _register(MetricKey("category_majority_class", "Majority class per category value"))
CATEGORIES_MATCHED = _register(MetricKey("categories_matched", "InfoGAN categories matched", "higher",
                                         digits=0))

# Smoothness (gen_core.eval.smoothness): perceptual path length in classifier features beside a
# pixel cross-fade between real images at the same n, and each latent dimension's effect.
PPL_REAL = _register(MetricKey("ppl_real_crossfade", "PPL of a cross-fade between real images", digits=1))
PPL_SPREAD_REAL = _register(MetricKey("ppl_spread_real_crossfade", "PPL spread of the real cross-fade",
                                      digits=1))
PPL = _register(MetricKey("ppl_classifier_features", "Perceptual path length, classifier features", "lower",
                          reference=PPL_REAL, digits=1))
PPL_SPREAD = _register(MetricKey("ppl_spread", "PPL bootstrap spread", reference=PPL_SPREAD_REAL, digits=1))
DIM_EFFECT = _register(MetricKey("dimension_effect", "Effect of each latent dimension (feature distance)"))
EFFECTIVE_DIMS = _register(MetricKey("effective_dimensions", "Dimensions with ≥ 10% of the largest effect",
                                     digits=0))

# How the figures were measured.
EVAL_TEST_IMAGES = _register(MetricKey("eval_test_images", "Test images", digits=0))
EVAL_CLASSIFIER = _register(MetricKey("eval_classifier", "Classifier file"))
EVAL_SEED = _register(MetricKey("eval_seed", "Evaluation seed", digits=0))
EVAL_SECONDS = _register(MetricKey("eval_seconds", "Evaluation time (s)", unit="s", digits=0))

SCORES = tuple(m for m in METRIC.values() if m.better)


def check_metric_keys(keys: Iterable[str]) -> None:
    """Raise ``ValueError`` naming every key of ``keys`` that the registry does not know."""
    unknown = sorted(set(keys) - set(METRIC))
    if unknown:
        raise ValueError(f"unknown metric key{'s' * (len(unknown) > 1)} {', '.join(map(repr, unknown))}")
