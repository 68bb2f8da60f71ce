"""What each recorded metric is called, which way is better, and how it is written.

The README's zoo table (``gen_core.zoo_table``), the gallery's cards and the Compare page all
read this one list, so a metric has the same name and the same digits everywhere.
"""

from __future__ import annotations

import dataclasses

from gen_core.metric_names import (
    BCE_ELBO,
    BCE_IWAE,
    CATEGORIES_MATCHED,
    CATEGORY_AGREEMENT,
    FD,
    FD_REAL,
    FD_SPREAD,
    KID,
    KID_REAL,
    MAX_CLASS,
    MIN_CLASS,
    MODE_COLLAPSE,
    NLL_ELBO,
    NLL_IWAE,
    PRECISION,
    PRECISION_REAL,
    RECALL,
    RECALL_REAL,
    RECONSTRUCTION_MSE,
)


@dataclasses.dataclass(frozen=True)
class MetricInfo:
    """One metric of a checkpoint's ``metrics`` metadata."""

    key: str
    label: str
    better: str | None  # "lower", "higher", or None for context that is not a score
    digits: int = 2
    percent: bool = False

    def format(self, value) -> str:
        """The value as shown to people; ``–`` when it was not measured."""
        if value is None:
            return "–"
        if isinstance(value, bool):
            return "yes" if value else "no"
        if self.percent:
            return f"{100 * value:.{self.digits}f}%"
        return f"{value:.{self.digits}f}"


METRICS = (
    MetricInfo(FD, "FD, classifier features", "lower"),
    MetricInfo(FD_SPREAD, "FD bootstrap spread", None),
    MetricInfo(FD_REAL, "FD of two real halves (same n)", None),
    MetricInfo(KID, "KID, classifier features", "lower", 4),
    MetricInfo(KID_REAL, "KID of two real halves", None, 4),
    MetricInfo(PRECISION, "Precision (k=3)", "higher"),
    MetricInfo(PRECISION_REAL, "Precision of real vs real", None),
    MetricInfo(RECALL, "Recall (k=3)", "higher"),
    MetricInfo(RECALL_REAL, "Recall of real vs real", None),
    MetricInfo(MIN_CLASS, "Rarest class", "higher", 1, percent=True),
    MetricInfo(MAX_CLASS, "Commonest class", "lower", 1, percent=True),
    MetricInfo(MODE_COLLAPSE, "Mode-collapse flag", None),
    MetricInfo(NLL_ELBO, "Test NLL bound, ELBO (nats, binarized)", "lower"),
    MetricInfo(NLL_IWAE, "Test NLL bound, IWAE (nats, binarized)", "lower"),
    MetricInfo(BCE_ELBO, "Test BCE-ELBO (nats, grey pixels)", "lower"),
    MetricInfo(BCE_IWAE, "Test BCE-IWAE (nats, grey pixels)", "lower"),
    MetricInfo(RECONSTRUCTION_MSE, "Test reconstruction error (MSE)", "lower", 4),
    MetricInfo(CATEGORIES_MATCHED, "InfoGAN categories matched", "higher", 0),
)
METRIC = {m.key: m for m in METRICS}


def fmt(key: str, metrics: dict) -> str:
    """``metrics[key]`` written the way ``METRIC[key]`` says (``–`` when absent)."""
    return METRIC[key].format(metrics.get(key))


def categories_cell(metrics: dict) -> str:
    """``matched/values`` of an InfoGAN's categorical code, ``–`` when not measured."""
    if CATEGORIES_MATCHED not in metrics:
        return "–"
    return f"{metrics[CATEGORIES_MATCHED]}/{len(metrics.get(CATEGORY_AGREEMENT, []))}"


def headline(metrics: dict) -> dict[str, object]:
    """The known metrics present in ``metrics``, by label, in ``METRICS`` order (raw values)."""
    return {m.label: metrics[m.key] for m in METRICS if metrics.get(m.key) is not None}


def card_summary(metrics: dict) -> str:
    """A one-line digest for a gallery card: sample quality, likelihood, InfoGAN codes."""
    parts = []
    if FD in metrics:
        real = metrics.get(FD_REAL)
        beside = f" (real data: {fmt(FD_REAL, metrics)})" if real is not None else ""
        parts.append(f"FD **{fmt(FD, metrics)}**{beside}")
        parts.append(f"precision **{fmt(PRECISION, metrics)}** · recall **{fmt(RECALL, metrics)}**")
    for kind, what in (("nll", "test NLL ≤"), ("bce", "test BCE-ELBO")):
        if f"{kind}_elbo_nats" in metrics:
            bound = f"{what} **{fmt(f'{kind}_elbo_nats', metrics)}** nats"
            if f"{kind}_iwae_nats" in metrics:
                bound += f" (IWAE **{fmt(f'{kind}_iwae_nats', metrics)}**)"
            parts.append(bound)
    if CATEGORIES_MATCHED in metrics:
        matched, values = categories_cell(metrics).split("/")
        parts.append(f"categories matched **{matched}**/{values}")
    if metrics.get(MODE_COLLAPSE):
        parts.append("**mode-collapse flag**")
    return " · ".join(parts)


def best_models(metrics_by_model: dict[str, dict]) -> dict[str, str]:
    """For each score that at least two models have and that differs: the model that does best."""
    best = {}
    for info in METRICS:
        values = {name: m[info.key] for name, m in metrics_by_model.items()
                  if info.better and isinstance(m.get(info.key), (int, float))
                  and not isinstance(m.get(info.key), bool)}
        if len(values) > 1 and len(set(values.values())) > 1:
            pick = min if info.better == "lower" else max
            best[info.key] = pick(values, key=values.get)
    return best
