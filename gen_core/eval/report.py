"""What each recorded metric is called, which way is better, and how it is written.

The zoo table (``gen_core.eval.zoo_table``), the gallery's cards and the Compare page all
read this one list, so a metric has the same name and the same digits everywhere.
"""

from __future__ import annotations

from gen_core.eval.metric_keys import (
    BCE_ELBO,
    BCE_IWAE,
    CATEGORIES_MATCHED,
    CATEGORY_AGREEMENT,
    DIM_EFFECT,
    EFFECTIVE_DIMS,
    FD,
    FD_REAL,
    FD_SPREAD,
    KID,
    KID_REAL,
    LIKELIHOOD_KEYS,
    MAX_CLASS,
    METRIC,
    MIN_CLASS,
    MODE_COLLAPSE,
    NLL_ELBO,
    NLL_IWAE,
    PPL,
    PPL_REAL,
    PPL_SPREAD,
    PRECISION,
    PRECISION_REAL,
    RECALL,
    RECALL_REAL,
    RECONSTRUCTION_MSE,
    SCORES,
    MetricKey,
)

# The rows a table of metrics shows (Compare, the card's headline), in this order.
METRICS: tuple[MetricKey, ...] = tuple(METRIC[key] for key in (
    FD, FD_SPREAD, FD_REAL, KID, KID_REAL, PRECISION, PRECISION_REAL, RECALL, RECALL_REAL, MIN_CLASS,
    MAX_CLASS, MODE_COLLAPSE, NLL_ELBO, NLL_IWAE, BCE_ELBO, BCE_IWAE, RECONSTRUCTION_MSE, CATEGORIES_MATCHED,
    PPL, PPL_SPREAD, PPL_REAL, EFFECTIVE_DIMS))


def fmt(key: str, metrics: dict) -> str:
    """``metrics[key]`` written the way ``METRIC[key]`` says (``–`` when absent)."""
    return METRIC[key].format(metrics.get(key))


def effective_cell(metrics: dict) -> str:
    """``effective/all`` latent dimensions (at least 10% of the strongest one's effect), ``–``
    when not measured."""
    if EFFECTIVE_DIMS not in metrics:
        return "–"
    return f"{metrics[EFFECTIVE_DIMS]}/{len(metrics.get(DIM_EFFECT, []))}"


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
    for binarized, what in ((True, "test NLL ≤"), (False, "test BCE-ELBO")):
        elbo, iwae = LIKELIHOOD_KEYS[binarized]
        if elbo in metrics:
            bound = f"{what} **{fmt(elbo, metrics)}** nats"
            if iwae in metrics:
                bound += f" (IWAE **{fmt(iwae, metrics)}**)"
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
    for info in SCORES:
        values = {name: m[info.key] for name, m in metrics_by_model.items()
                  if isinstance(m.get(info.key), (int, float))
                  and not isinstance(m.get(info.key), bool)}
        if len(values) > 1 and len(set(values.values())) > 1:
            pick = min if info.better == "lower" else max
            best[info.key] = pick(values, key=values.get)
    return best
