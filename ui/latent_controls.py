"""One control per latent dimension, built from the model's ``latent_spec`` alone."""

from __future__ import annotations

import math

import streamlit as st
import torch

from gen_core.eval.metric_keys import CATEGORY_AGREEMENT, CATEGORY_MAJORITY
from gen_core.latent.encoding import INACTIVE_KL_NATS
from gen_core.models import GenerativeModel, LatentDim
from ui.state import View
from ui.text import plain

SLIDER_STEP = 0.05
CONTROLS_HEIGHT_PX = 520


def category_labels(model: GenerativeModel) -> dict[int, tuple[str, ...]]:
    """Names for the values of a model's first categorical latent, by what each draws.

    ``gen_core.eval.evaluate`` measured, with the dataset classifier, which class most samples of each
    value are read as; an InfoGAN's value "1" may well draw a 0, so it is labelled that way.
    """
    metrics, names = model.card.metrics, model.card.class_names
    majority, shares = metrics.get(CATEGORY_MAJORITY), metrics.get(CATEGORY_AGREEMENT)
    column = next((i for i, d in enumerate(model.latent_spec) if d.kind == "categorical"), None)
    if column is None or not majority or not shares:
        return {}
    classes = model.latent_spec[column].classes
    if not len(majority) == len(shares) == len(classes) or not all(0 <= m < len(names) for m in majority):
        return {}
    return {column: tuple(f"{c}: draws mostly {names[m]} ({share:.0%})"
                          for c, m, share in zip(classes, majority, shares, strict=True))}


def dim_control(dim: LatentDim, value: float, key: str, note: str = "",
                labels: tuple[str, ...] | None = None) -> float:
    """A slider over the dimension's range (gaussian ±3σ, uniform support) or a class select."""
    label = f"{plain(dim.name)}{note}"
    if dim.kind == "categorical":
        shown = labels or dim.classes
        index = st.selectbox(label, range(len(dim.classes)), index=int(value), key=key,
                             format_func=lambda c: shown[c])
        return float(index)
    return float(st.slider(label, float(dim.low), float(dim.high), float(value), SLIDER_STEP, key=key))


def code_rms(kl: float) -> float:
    """A dimension's "KL" where the codes are points (half their mean square) as their rms."""
    return math.sqrt(2 * kl)


def dimension_note(model: GenerativeModel, kl: torch.Tensor | None, i: int) -> str:
    """What a dimension's control label adds to its name: its mean KL in nats (a posterior), or
    for one code per image (``codes_are_points``) the codes' root mean square, which the same
    figure measures there (half the mean squared code); nothing without ``kl``."""
    if kl is None:
        return ""
    if model.codes_are_points:
        return f" · rms {code_rms(float(kl[i])):.2f}"
    return f" · KL {float(kl[i]):.2f}"


def inactive_texts(model: GenerativeModel, count: int) -> tuple[str, str]:
    """The title and note of the group of ``count`` inactive dimensions (mean KL or, for codes,
    half the mean squared code under ``INACTIVE_KL_NATS``)."""
    if model.codes_are_points:
        return (f"{count} dimensions the encoder leaves near 0 (rms < {code_rms(INACTIVE_KL_NATS):.2f})",
                "Images' codes hardly move along these; pictures drawn from the prior may still use them.")
    return (f"{count} inactive dimensions (mean KL < {INACTIVE_KL_NATS} nats)",
            "The decoder ignores these (posterior collapse); moving them changes little.")


def latent_controls(stem: str, model: GenerativeModel, view: View,
                    kl: torch.Tensor | None, active: list[int], inactive: list[int]) -> list[float]:
    """Draw the controls (most informative first) and return the latent ``[D]`` they set.

    ``kl`` (models with an encoder) labels each dimension (``dimension_note``); ``inactive``
    dimensions, which carry almost no information, go under a closed expander.
    """
    z, spec, labels = list(view.z), model.latent_spec, category_labels(model)

    def control(i: int) -> None:
        key = f"z_{stem}_{view.version}_{i}"
        z[i] = dim_control(spec[i], z[i], key, dimension_note(model, kl, i), labels.get(i))

    with st.container(height=CONTROLS_HEIGHT_PX):
        for i in active:
            control(i)
        if inactive:
            title, note = inactive_texts(model, len(inactive))
            with st.expander(title):
                st.caption(note)
                for i in inactive:
                    control(i)
    return z
