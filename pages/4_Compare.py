"""Compare: 2-4 models side by side on the same seed, the same real images, and their metrics."""

from __future__ import annotations

import pandas as pd
import streamlit as st
import torch

from gen_core.latent import seed_latent
from ui.cached import dataset_name, eval_images
from ui.catalog import catalog, get_model
from ui.page import guarded, start_page
from ui.render import LARGE_PX, show_images
from ui.state import MAX_SEED, get_view, write_url

RECONSTRUCTED = 6


@torch.no_grad()
def samples_row(stems: list[str], seed: int) -> None:
    """One large image per model; models sharing the first one's latent spec get the same latent."""
    reference = get_model(stems[0]).latent_spec
    z = seed_latent(get_model(stems[0]), seed)
    for stem, column in zip(stems, st.columns(len(stems)), strict=True):
        model = get_model(stem)
        with column:
            if model.latent_spec == reference:
                note = "same latent as the others" if len(stems) > 1 else ""
                image = model.decode(z[None])
            else:
                note = (f"latent spec differs ({model.latent_dim} dims vs {len(reference)}): "
                        f"its own latent from seed {seed}")
                image = model.decode(seed_latent(model, seed)[None])
            show_images(image, nrow=1, target_px=LARGE_PX * 2 // len(stems), caption=stem)
            st.caption(note)


@torch.no_grad()
def reconstructions(stems: list[str]) -> None:
    """The same real images through each VAE, with each image's mean squared error."""
    vaes = [s for s in stems if get_model(s).has_encoder]
    st.subheader("Reconstructions")
    if not vaes:
        st.info("None of the chosen models has an encoder (GANs cannot reconstruct images).")
        return
    for dataset in dict.fromkeys(dataset_name(s) for s in vaes):
        group = [s for s in vaes if dataset_name(s) == dataset]
        images = eval_images(group[0], RECONSTRUCTED)
        show_images(images, nrow=RECONSTRUCTED, target_px=LARGE_PX * 2, caption=f"{dataset} originals")
        errors = {}
        for stem in group:
            model = get_model(stem)
            recon = model.decode(model.encode(images)[0])
            errors[stem] = ((recon - images) ** 2).flatten(1).mean(1).tolist()
            show_images(recon, nrow=RECONSTRUCTED, target_px=LARGE_PX * 2, caption=f"{stem} reconstructions")
        table = pd.DataFrame(errors, index=[f"image {i + 1}" for i in range(RECONSTRUCTED)]).T
        st.caption("Mean squared pixel error per image (lower is closer to the original)")
        st.dataframe(table.style.format("{:.4f}"), width="stretch")


def metrics_table(stems: list[str]) -> None:
    st.subheader("Metrics from each checkpoint")
    rows = {}
    for stem in stems:
        model, meta = get_model(stem), get_model(stem).metadata
        rows[stem] = {"family": model.family, "arch": model.arch, "dataset": dataset_name(stem),
                      "latent size": model.latent_dim, "parameters": model.parameter_count(),
                      "file MiB": round(catalog()[stem].path.stat().st_size / 2**20, 2),
                      "epochs": meta.get("training", {}).get("epochs"), **meta.get("metrics", {})}
    st.dataframe(pd.DataFrame(rows).T.astype(str), width="stretch")


@guarded
def compare() -> None:
    stems = start_page("compare", "Compare", multi=True)
    if not stems:
        return
    if len(stems) < 2:
        st.info("Choose 2 to 4 models in the sidebar to compare them side by side.")
    seed = st.number_input("Seed", 0, MAX_SEED, get_view(stems[0])["seed"], key="compare_seed")
    samples_row(stems, seed)
    reconstructions(stems)
    metrics_table(stems)
    write_url(model=stems, seed=seed)


compare()
