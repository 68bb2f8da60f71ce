"""Compare: 2-4 models side by side on the same seed, the same real images, and their metrics."""

from __future__ import annotations

import pandas as pd
import streamlit as st
import torch

from gen_core.eval.report import METRICS, best_models, headline
from gen_core.files.card import model_facts
from gen_core.latent.encoding import pixel_errors, reconstruct
from gen_core.latent.operations import seed_latent
from ui.cached import dataset_name, probe
from ui.catalog import get_model, model_ref
from ui.page import guarded, start_page
from ui.render import LARGE_PX, show_images
from ui.state import MAX_SEED, get_view, write_url
from ui.text import plain
from ui.user_image import own_image_input, own_latent

RECONSTRUCTED = 6
BEST_STYLE = "background-color: rgba(33, 195, 84, 0.25)"


@torch.no_grad()
def samples_row(stems: list[str], seed: int) -> None:
    """One large image per model; models with one latent spec get the same latent, seed's draw."""
    specs = {stem: get_model(stem).latent_spec for stem in stems}
    first = stems[0]
    for stem, column in zip(stems, st.columns(len(stems)), strict=True):
        model = get_model(stem)
        alike = [other for other in stems if specs[other] == specs[stem]]
        z = seed_latent(get_model(alike[0]), seed)
        others = ", ".join(plain(other) for other in alike if other != stem)
        if specs[stem] == specs[first]:
            note = f"the same latent as {others}" if others else ""
        else:
            note = (f"latent spec differs from {plain(first)}'s ({model.latent_dim} dims vs "
                    f"{len(specs[first])}): its own latent from seed {seed}")
            note += f", the same as {others}'s" if others else ""
        with column:
            show_images(model.decode(z[None]), nrow=1, target_px=LARGE_PX * 2 // len(stems), caption=stem)
            st.caption(note)


def own_image_row(stems: list[str]) -> None:
    """The user's own picture through every chosen model (encoder or inversion), with its error."""
    st.subheader("Your own image")
    shape = get_model(stems[0]).image_shape
    with st.expander("A photo or a drawing, reconstructed by each model", icon=":material/draw:"):
        image = own_image_input("compare_own", shape)
    if image is None:
        st.caption("Add a picture above to see how each model redraws it (GANs by inversion).")
        return
    for stem, column in zip(stems, st.columns(len(stems)), strict=True):
        model = get_model(stem)
        with column:
            if model.image_shape != shape:
                st.caption(f"{plain(stem)}: other image size {model.image_shape}")
                continue
            z = own_latent(stem, image)
            with torch.no_grad():
                redrawn = model.decode(z[None])
            error = pixel_errors(image, redrawn).item()
            how = "encoded" if model.has_encoder else "inverted"
            show_images(redrawn, nrow=1, target_px=LARGE_PX * 2 // len(stems),
                        caption=f"{stem} ({how}) · squared error {error:.4f}")


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
        found = probe(group[0])
        if found is None:
            st.info(f"No images of {plain(dataset or 'their dataset')} on this server for "
                    f"{plain(', '.join(group))}: upload pictures on the Latent Map to reconstruct them.")
            continue
        images = found.data.images[:RECONSTRUCTED]
        show_images(images, nrow=len(images), target_px=LARGE_PX * 2, caption=f"{found.data.name} originals")
        errors = {}
        for stem in group:
            recon = reconstruct(get_model(stem), images)
            errors[stem] = pixel_errors(images, recon).tolist()
            show_images(recon, nrow=len(images), target_px=LARGE_PX * 2, caption=f"{stem} reconstructions")
        table = pd.DataFrame(errors, index=[f"image {i + 1}" for i in range(len(images))]).T
        st.caption("Mean squared pixel error per image (lower is closer to the original)")
        st.dataframe(table.style.format("{:.4f}"), width="stretch")


def metrics_table(stems: list[str]) -> None:
    """Facts and metrics with one column per model; the best value of each score row is highlighted."""
    st.subheader("Metrics from each checkpoint")
    facts, scores = {}, {}
    for stem in stems:
        model = get_model(stem)
        facts[stem] = model_facts(model.card, model_ref(stem).size)
        scores[stem] = model.card.metrics
    st.dataframe(pd.DataFrame(facts), width="stretch")
    table = pd.DataFrame({stem: headline(m) for stem, m in scores.items()})
    if table.empty:
        st.info("None of these models has been evaluated yet (`python -m gen_core.eval.evaluate`).")
        return
    if len({dataset_name(s) for s in stems}) > 1:
        st.caption("These models were trained on different datasets: their metrics are not comparable.")
    st.caption("Green: the best of the chosen models on that row. FD, precision and recall are measured "
               "in the features of the dataset's classifier; NLL bounds in nats on the test set.")
    st.dataframe(styled(table.reindex([m.label for m in METRICS]).dropna(how="all"), best_models(scores)),
                 width="stretch")


def styled(table: pd.DataFrame, best: dict[str, str]):
    """Each row written with its metric's digits (a dash where unmeasured); ``best`` highlighted.

    The cells become strings here: Streamlit draws a missing number as "None" whatever a styler
    says, and a column mixing numbers and text cannot go to Arrow.
    """
    infos = {m.label: m for m in METRICS}
    text = pd.DataFrame({column: [infos[label].format(None if pd.isna(value) else value)
                                  for label, value in table[column].items()] for column in table},
                        index=table.index)
    styler = text.style
    for info in METRICS:
        if info.key in best:
            styler = styler.map(lambda _: BEST_STYLE, subset=pd.IndexSlice[[info.label], [best[info.key]]])
    return styler


@guarded
def compare() -> None:
    stems = start_page("compare", "Compare", multi=True)
    if not stems:
        return
    if len(stems) < 2:
        st.info("Choose 2 to 4 models in the sidebar to compare them side by side.")
    seed = st.number_input("Seed", 0, MAX_SEED, get_view(stems[0]).seed, key="compare_seed")
    samples_row(stems, seed)
    reconstructions(stems)
    own_image_row(stems)
    metrics_table(stems)
    write_url(model=stems, seed=seed)


compare()
