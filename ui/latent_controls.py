"""One control per latent dimension, built from the model's ``latent_spec`` alone."""

from __future__ import annotations

import streamlit as st
import torch

from gen_core.latent import INACTIVE_KL_NATS
from gen_core.models import LatentDim

SLIDER_STEP = 0.05
CONTROLS_HEIGHT_PX = 520


def dim_control(dim: LatentDim, value: float, key: str, note: str = "") -> float:
    """A slider over the dimension's range (gaussian ±3σ, uniform support) or a class select."""
    label = f"{dim.name}{note}"
    if dim.kind == "categorical":
        index = st.selectbox(label, range(len(dim.classes)), index=int(value), key=key,
                             format_func=lambda c: dim.classes[c])
        return float(index)
    return float(st.slider(label, float(dim.low), float(dim.high), float(value), SLIDER_STEP, key=key))


def latent_controls(stem: str, spec: list[LatentDim], view: dict,
                    kl: torch.Tensor | None, active: list[int], inactive: list[int]) -> list[float]:
    """Draw the controls (most informative first) and return the latent ``[D]`` they set.

    ``kl`` (VAEs) labels each dimension with its mean KL; ``inactive`` dimensions, which carry
    almost no information, go under a closed expander.
    """
    z = list(view["z"])

    def control(i: int) -> None:
        note = f" · KL {kl[i]:.2f}" if kl is not None else ""
        key = f"z_{stem}_{view['version']}_{i}"
        z[i] = dim_control(spec[i], z[i], key, note)

    with st.container(height=CONTROLS_HEIGHT_PX):
        for i in active:
            control(i)
        if inactive:
            with st.expander(f"{len(inactive)} inactive dimensions (mean KL < {INACTIVE_KL_NATS} nats)"):
                st.caption("The decoder ignores these (posterior collapse); moving them changes little.")
                for i in inactive:
                    control(i)
    return z
