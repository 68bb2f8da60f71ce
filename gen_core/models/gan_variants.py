"""GAN families that keep the DCGAN generator and change the discriminator it trains against, or
the game it plays.

The shipped file holds only the generator, so these differ in what ``build_discriminator``
returns and in the trainer the CLI pairs them with (see ``gen_core.train.cli.PRESETS``).
"""

from __future__ import annotations

from gen_core.models.dcgan import DCGAN
from gen_core.models.registry import register


@register
class WGAN(DCGAN):
    """Wasserstein GAN with weight clipping (Arjovsky et al. 2017); the critic is the DCGAN one."""

    family = "wgan"
    kind_name = "WGAN"


@register
class WGANGP(DCGAN):
    """WGAN with a gradient penalty (Gulrajani et al. 2017): a layer-normalized critic, no batch norm."""

    family = "wgan-gp"
    kind_name = "WGAN-GP"
    discriminator_norm = "layer"


@register
class SNGAN(DCGAN):
    """Spectrally normalized GAN (Miyato et al. 2018): every discriminator layer 1-Lipschitz."""

    family = "sngan"
    kind_name = "SN-GAN"
    discriminator_norm = "none"
    spectral_discriminator = True


@register
class FGAN(DCGAN):
    """f-GAN (Nowozin, Cseke & Tomioka 2016): the DCGAN pair trained to minimize a chosen
    f-divergence through its variational bound; the divergence is a training option."""

    family = "f-gan"
    kind_name = "f-GAN"
