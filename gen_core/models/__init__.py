"""Model families. Importing this package registers every family in ``registry.FAMILIES``."""

# Imported to register the families.
from gen_core.models import (  # noqa: F401
    aae,
    dcgan,
    ebgan,
    foreign,
    gan_variants,
    infogan,
    mode_regularized,
    vae,
    vae_gan,
)
from gen_core.models.base import EncoderModel, GenerativeModel, LatentDim
from gen_core.models.registry import FAMILIES, build_model

__all__ = ["FAMILIES", "EncoderModel", "GenerativeModel", "LatentDim", "build_model"]
