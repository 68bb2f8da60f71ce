"""The Latent Map's plotly figures: one Scattergl trace per class, plus star markers; or points
coloured by a score; and the points a linked map lights up."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui.text import plotly_text

MARKER_SIZE = 5
FEW_LIT = 50


MARKER_COLOURS = ("black", "#d62728")
BENEATH_COLOUR = "rgba(0, 0, 0, 0.2)"  # dark: the class colours include a light grey


def map_figure(coords: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...],
               markers: dict[str, np.ndarray] | None = None) -> go.Figure:
    """Scatter coordinates ``[N, 2]`` coloured by label; ``customdata`` holds each point's index.

    Each of ``markers`` (a name -> ``[2]``: the Explore latent, the user's own image) is drawn
    as a large star after the data traces.
    """
    fig = go.Figure()
    for label in np.unique(labels):
        idx = np.flatnonzero(labels == label)
        name = plotly_text(class_names[label]) if 0 <= label < len(class_names) else "sampled latents"
        fig.add_trace(go.Scattergl(x=coords[idx, 0], y=coords[idx, 1], mode="markers", name=name,
                                   customdata=idx, marker={"size": MARKER_SIZE, "opacity": 0.75},
                                   hovertemplate=f"{name} · #%{{customdata}}<extra></extra>"))
    for (marker, xy), colour in zip((markers or {}).items(), MARKER_COLOURS, strict=False):
        name = plotly_text(marker)
        fig.add_trace(go.Scatter(x=[xy[0]], y=[xy[1]], mode="markers", name=name,
                                 marker={"symbol": "star", "size": 22, "color": colour,
                                         "line": {"width": 2, "color": "white"}},
                                 hovertemplate=f"{name}<extra></extra>"))
    # No explicit dragmode: Streamlit then makes a click select a point; lasso and box are one
    # click away in the mode bar.
    fig.update_layout(height=620, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      legend={"itemsizing": "constant", "orientation": "h", "y": -0.02, "yanchor": "top"},
                      xaxis={"visible": False}, yaxis={"visible": False})
    return fig


def add_beneath(fig: go.Figure, coords: np.ndarray, name: str, marker: dict | None = None) -> None:
    """Draw points ``[M, 2]`` beneath ``fig``'s points, as context (in dark grey unless ``marker``
    says otherwise): no hover, and no ``customdata``, so a selection never picks them."""
    label = plotly_text(name)
    fig.add_trace(go.Scattergl(x=coords[:, 0], y=coords[:, 1], mode="markers", name=label, hoverinfo="skip",
                               marker=marker or {"size": MARKER_SIZE, "color": BENEATH_COLOUR}))
    fig.data = (fig.data[-1], *fig.data[:-1])


def score_figure(coords: np.ndarray, scores: np.ndarray, title: str) -> go.Figure:
    """Scatter coordinates ``[N, 2]`` coloured by ``scores`` ``[N]`` in [0, 1] (low: red), one trace;
    ``customdata`` holds each point's index."""
    name = plotly_text(title)
    fig = go.Figure(go.Scattergl(
        x=coords[:, 0], y=coords[:, 1], mode="markers", name=name, customdata=np.arange(len(coords)),
        marker={"size": MARKER_SIZE, "opacity": 0.8, "color": scores, "cmin": 0, "cmax": 1,
                "colorscale": "RdYlBu", "colorbar": {"title": {"text": name}, "thickness": 12}},
        hovertemplate=f"#%{{customdata}} · {name} %{{marker.color:.2f}}<extra></extra>"))
    fig.update_layout(height=620, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      xaxis={"visible": False}, yaxis={"visible": False})
    return fig


def light_up(fig: go.Figure, coords: np.ndarray, lit: list[int], name: str) -> None:
    """Dim ``fig``'s points and draw the ``lit`` ones (indices into ``coords`` ``[N, 2]``) on top as
    ringed markers, whose ``customdata`` is their index too, so they can be selected in turn."""
    if not lit:
        return
    fig.update_traces(marker_opacity=0.25)
    label = plotly_text(name)
    few = len(lit) <= FEW_LIT  # a few rings stand out; hundreds of thick ones would merge into a blot
    fig.add_trace(go.Scattergl(x=coords[lit, 0], y=coords[lit, 1], mode="markers", name=label,
                               customdata=np.asarray(lit),
                               marker={"size": MARKER_SIZE + (4 if few else 2), "color": "rgba(0,0,0,0)",
                                       "line": {"width": 2 if few else 0.75, "color": "black"}},
                               hovertemplate=f"{label} · #%{{customdata}}<extra></extra>"))


def selected_indices(event, point_traces: int) -> list[int]:
    """Data indices of the selected points (marker traces come after the ``point_traces`` data
    traces and are skipped)."""
    if not event:
        return []
    points = event.get("selection", {}).get("points", [])
    return sorted({int(_custom(p)) for p in points
                   if p.get("curve_number", 0) < point_traces and _custom(p) is not None})


def _custom(point: dict):
    value = point.get("customdata")
    return value[0] if isinstance(value, list) else value
