"""A 5,000-point Scattergl map through ``st.plotly_chart``, as the Latent Map draws its points."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

POINTS, CLUSTERS = 5000, 10

st.title("Map")
rng = np.random.default_rng(0)
labels = rng.integers(0, CLUSTERS, POINTS)
centres = rng.normal(0, 6, (CLUSTERS, 2))
xy = centres[labels] + rng.normal(0, 1, (POINTS, 2))
figure = go.Figure(go.Scattergl(x=xy[:, 0], y=xy[:, 1], mode="markers",
                                marker={"color": labels, "colorscale": "Turbo", "size": 5}))
st.plotly_chart(figure)
