"""The Latent Map's plotly figure: one Scattergl trace per class, plus the Explore latent."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

MARKER_SIZE = 5


def map_figure(coords: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...],
               marker: np.ndarray | None = None) -> go.Figure:
    """Scatter coordinates ``[N, 2]`` coloured by label; ``customdata`` holds each point's index.

    ``marker`` ``[2]`` is drawn as a large star (the latent currently set on Explore).
    """
    fig = go.Figure()
    for label in np.unique(labels):
        idx = np.flatnonzero(labels == label)
        name = class_names[label] if 0 <= label < len(class_names) else "sampled latents"
        fig.add_trace(go.Scattergl(x=coords[idx, 0], y=coords[idx, 1], mode="markers", name=name,
                                   customdata=idx, marker={"size": MARKER_SIZE, "opacity": 0.75},
                                   hovertemplate=f"{name} · #%{{customdata}}<extra></extra>"))
    if marker is not None:
        fig.add_trace(go.Scatter(x=[marker[0]], y=[marker[1]], mode="markers", name="Explore latent",
                                 marker={"symbol": "star", "size": 22, "color": "black",
                                         "line": {"width": 2, "color": "white"}},
                                 hovertemplate="latent set on Explore<extra></extra>"))
    # No explicit dragmode: Streamlit then makes a click select a point; lasso and box are one
    # click away in the mode bar.
    fig.update_layout(height=620, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      legend={"itemsizing": "constant", "orientation": "h", "y": -0.02, "yanchor": "top"},
                      xaxis={"visible": False}, yaxis={"visible": False})
    return fig


def selected_indices(event, point_traces: int) -> list[int]:
    """Data indices of the selected points (the Explore marker trace is not data, so it is skipped)."""
    if not event:
        return []
    points = event.get("selection", {}).get("points", [])
    return sorted({int(_custom(p)) for p in points
                   if p.get("curve_number", 0) < point_traces and _custom(p) is not None})


def _custom(point: dict):
    value = point.get("customdata")
    return value[0] if isinstance(value, list) else value
