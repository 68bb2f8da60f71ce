"""Latent spaces: operations on latents, encoding images, GAN inversion, named directions."""
