"""Model families. Importing this package registers every family in ``registry.FAMILIES``."""

# Imported to register the families.
from gen_core.models import aae, dcgan, ebgan, foreign, gan_variants, infogan, vae, vae_gan  # noqa: F401
from gen_core.models.base import EncoderModel, GenerativeModel, LatentDim
from gen_core.models.registry import FAMILIES, build_model

__all__ = ["FAMILIES", "EncoderModel", "GenerativeModel", "LatentDim", "build_model"]
