"""The floor app's model: a fixed-seed ``nn.Linear(8, 784)`` and a sigmoid, as small as a decoder gets."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch
from torch import nn

LATENT_DIM, SIDE = 8, 28


@st.cache_resource
def tiny_decoder() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(LATENT_DIM, SIDE * SIDE), nn.Sigmoid()).eval()


@torch.no_grad()
def decode(z: torch.Tensor) -> np.ndarray:
    """One latent ``[8]`` into a uint8 picture ``[28, 28]``."""
    return (tiny_decoder()(z[None])[0].reshape(SIDE, SIDE) * 255).to(torch.uint8).numpy()
