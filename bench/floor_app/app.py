"""The floor app: the least a Streamlit app showing torch pictures costs, to set Latent Atlas against.

Three pages, one per thing ``bench/ui_speed.py`` times: this gallery of three pictures, a slider
decoding on the server (``pages/1_Slider.py``) and a 5,000-point WebGL map (``pages/2_Map.py``).
"""

from __future__ import annotations

import streamlit as st
import torch
from decoder import LATENT_DIM, decode

st.title("Gallery")
for column, seed in zip(st.columns(3), range(3), strict=True):
    picture = decode(torch.randn(LATENT_DIM, generator=torch.Generator().manual_seed(seed)))
    column.image(picture, caption=f"seed {seed}", width=280)
