"""Training curves from a checkpoint's metadata: each recorded loss per epoch, as a small chart."""

from __future__ import annotations

import plotly.graph_objects as go

# History columns that are settings or probabilities, not losses.
NOT_LOSSES = {"epoch", "lr", "lr_d", "d_real", "d_fake"}


def loss_series(training: dict) -> dict[str, tuple[list[int], list[float]]]:
    """``{loss name: (epochs, values)}`` of the run's history (empty when it has none)."""
    history = [row for row in training.get("history", []) if isinstance(row, dict) and "epoch" in row]
    names = dict.fromkeys(k for row in history for k in row if k not in NOT_LOSSES)
    series = {}
    for name in names:
        points = [(row["epoch"], row[name]) for row in history if isinstance(row.get(name), (int, float))]
        if points:
            series[name] = ([e for e, _ in points], [v for _, v in points])
    return series


def curves_figure(training: dict, height: int = 170) -> go.Figure | None:
    """Each loss per epoch, one line each; ``None`` when there is no history to draw."""
    series = loss_series(training)
    if not series:
        return None
    fig = go.Figure()
    for name, (epochs, values) in series.items():
        mode = "lines+markers" if len(epochs) < 3 else "lines"
        fig.add_trace(go.Scatter(x=epochs, y=values, mode=mode, name=name,
                                 hovertemplate=f"{name} · epoch %{{x}}: %{{y:.3f}}<extra></extra>"))
    fig.update_layout(height=height, margin={"l": 0, "r": 0, "t": 4, "b": 0}, showlegend=True,
                      legend={"orientation": "h", "y": -0.25, "font": {"size": 10}},
                      xaxis={"title": None, "tickfont": {"size": 9}}, yaxis={"tickfont": {"size": 9}})
    return fig
