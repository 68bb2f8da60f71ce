"""Build two Keras 3 decoders the way the Keras tutorials write them, predict, and export to ONNX.

Run as a script (Keras chooses its backend once, at import, from ``KERAS_BACKEND``): ``python -m
tests.keras_decoder OUT_DIR`` writes ``NAME.onnx`` and ``NAME.npz`` (latents and Keras'
predictions) for each decoder. The torch backend exports through ``torch.onnx``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ["KERAS_BACKEND"] = "torch"

import keras
import numpy as np

LATENT = 8


def decoders() -> dict[str, keras.Model]:
    """The Keras VAE example's decoder (Dense, Reshape, Conv2DTranspose, sigmoid) and a DCGAN-style
    generator (Dense, BatchNorm, LeakyReLU, UpSampling2D + Conv2D, tanh), both NHWC."""
    layers = keras.layers
    keras.utils.set_random_seed(0)
    vae = keras.Sequential([
        keras.Input((LATENT,)), layers.Dense(4 * 4 * 8, activation="relu"), layers.Reshape((4, 4, 8)),
        layers.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid")])
    gan = keras.Sequential([
        keras.Input((LATENT,)), layers.Dense(4 * 4 * 8), layers.BatchNormalization(), layers.LeakyReLU(0.2),
        layers.Reshape((4, 4, 8)), layers.UpSampling2D(2), layers.Conv2D(8, 3, padding="same"),
        layers.BatchNormalization(), layers.Activation("relu"), layers.UpSampling2D(2),
        layers.Conv2D(3, 3, padding="same", activation="tanh")])
    return {"keras-vae-decoder": vae, "keras-dcgan": gan}


def main(out: Path) -> None:
    z = np.random.default_rng(0).normal(size=(5, LATENT)).astype("float32")
    for name, model in decoders().items():
        np.savez(out / f"{name}.npz", z=z, images=model.predict(z, verbose=0))
        model.export(str(out / f"{name}.onnx"), format="onnx", verbose=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
