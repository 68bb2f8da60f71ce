"""Training curves from a checkpoint's card: each recorded loss per epoch, as small multiples.

Drawn as one inline SVG per card rather than a chart library figure: a gallery of 17 cards drew
17 Plotly charts, which kept the browser busy for about a second before the pictures showed.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

# History columns that are settings or probabilities, not losses.
NOT_LOSSES = {"epoch", "lr", "lr_d", "d_real", "d_fake"}
ROW_PX, NAME_PX, VALUE_PX, FOOTER_PX = 22, 92, 56, 16
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


def loss_series(history: Sequence[Mapping]) -> dict[str, tuple[list[int], list[float]]]:
    """``{loss name: (epochs, values)}`` of a run's per-epoch history rows (empty when none)."""
    history = [row for row in history if isinstance(row, Mapping) and "epoch" in row]
    names = dict.fromkeys(k for row in history for k in row if k not in NOT_LOSSES)
    series = {}
    for name in names:
        points = [(row["epoch"], row[name]) for row in history
                  if isinstance(row.get(name), (int, float)) and isinstance(row["epoch"], (int, float))]
        if points:
            series[str(name)] = ([e for e, _ in points], [v for _, v in points])
    return series


def curves_svg(history: Sequence[Mapping], width: int = 330) -> str | None:
    """Each loss per epoch on its own row, scaled to its own range (the losses of one run differ
    by orders of magnitude), with its last value; ``None`` when there is no history to draw."""
    series = loss_series(history)
    if not series:
        return None
    epochs = [e for es, _ in series.values() for e in es]
    first, last = min(epochs), max(epochs)
    to_x = _scale(first, last, NAME_PX, width - VALUE_PX)
    rows = [_loss_row(row, name, xs, values, to_x, width)
            for row, (name, (xs, values)) in enumerate(series.items())]
    height = len(series) * ROW_PX + FOOTER_PX
    footer = (f'<text x="{NAME_PX}" y="{height - 3}" fill="#777">epoch {first:g}</text>'
              f'<text x="{width - VALUE_PX}" y="{height - 3}" fill="#777" text-anchor="end">{last:g}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="training losses per epoch" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'style="font: 11px sans-serif; max-width: 100%; height: auto">{"".join(rows)}{footer}</svg>')


def _scale(low: float, high: float, to_low: float, to_high: float):
    """The linear map from ``[low, high]`` onto ``[to_low, to_high]`` (a point range maps to ``to_low``)."""
    spread = (high - low) or 1.0
    return lambda v: to_low + (v - low) / spread * (to_high - to_low)


def _loss_row(row: int, name: str, xs: list, values: list, to_x, width: int) -> str:
    """One loss: its name, its line (a dot for one epoch), its last value; ``<title>`` lists all."""
    top, colour = row * ROW_PX, COLOURS[row % len(COLOURS)]
    to_y = _scale(min(values), max(values), top + ROW_PX - 4, top + 4)  # larger values higher up
    points = [(to_x(x), to_y(v)) for x, v in zip(xs, values, strict=True)]
    if len(points) > 1:
        shown = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        line = f'<polyline points="{shown}" fill="none" stroke="{colour}" stroke-width="1.5"/>'
    else:
        line = f'<circle cx="{points[0][0]:.1f}" cy="{points[0][1]:.1f}" r="2" fill="{colour}"/>'
    pairs = ", ".join(f"epoch {x:g} {v:.4g}" for x, v in zip(xs, values, strict=True))
    tip, label, baseline = html.escape(f"{name[:40]}: {pairs}"), html.escape(name[:24]), top + ROW_PX - 7
    return (f'<g><title>{tip}</title><text x="0" y="{baseline}" fill="{colour}">{label}</text>'
            f'{line}<text x="{width}" y="{baseline}" text-anchor="end">{values[-1]:.4g}</text></g>')
