"""Model families. Importing this package registers every family in ``registry.FAMILIES``."""

from gen_core.models import dcgan, gan_variants, infogan, vae  # noqa: F401  (imported to register the families)
from gen_core.models.base import EncoderModel, GenerativeModel, LatentDim
from gen_core.models.registry import FAMILIES, build_model

__all__ = ["FAMILIES", "EncoderModel", "GenerativeModel", "LatentDim", "build_model"]
