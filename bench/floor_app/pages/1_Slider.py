"""One slider decoding on the server inside a fragment, so a move reruns only the fragment."""

from __future__ import annotations

import streamlit as st
import torch
from decoder import LATENT_DIM, decode


@st.fragment
def slider_picture() -> None:
    z = torch.zeros(LATENT_DIM)
    z[0] = st.slider("z0", -3.0, 3.0, 0.0, 0.05)
    st.image(decode(z), width=448)


st.title("Slider")
slider_picture()
