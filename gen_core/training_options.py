"""Each trainer's options: the training choices a run records in its checkpoint.

They live outside ``gen_core.train`` so that reports (``gen_core.eval.zoo_table``) can tell a run's
non-default choices without importing any trainer.
"""

from __future__ import annotations

import dataclasses

GAN_LOSSES = ("non-saturating", "hinge")
DIVERGENCE_NAMES = ("kl", "reverse-kl", "pearson", "squared-hellinger", "js", "gan")


def option(default, help: str, choices: tuple[str, ...] | None = None, kind: type | None = None):
    """A field whose ``help`` (and ``choices``) becomes its ``python -m gen_core.train`` flag;
    ``kind`` is the flag's type where the default (``None``) cannot say it."""
    return dataclasses.field(default=default, metadata={"help": help, "choices": choices, "kind": kind})


@dataclasses.dataclass(frozen=True)
class VAEOptions:
    binarize: bool = option(False, "VAE: resample each batch as Bernoulli(pixel), "
                                   "dynamically binarized MNIST")
    iwae_samples: int = option(1, "VAE: train on the importance-weighted bound with k samples per image "
                                  "(Burda et al. 2015); 1 is the ELBO")

    def __post_init__(self) -> None:
        if not 1 <= self.iwae_samples <= 5000:
            raise ValueError(f"iwae_samples must lie in [1, 5000], got {self.iwae_samples}")


@dataclasses.dataclass(frozen=True)
class GANOptions:
    """Salimans et al. 2016, "Improved techniques for training GANs"."""

    feature_matching: bool = option(False, "GAN: G matches the mean discriminator features of data "
                                           "(Salimans et al. 2016 sec. 3.1)")
    minibatch_discrimination: bool = option(False, "GAN: D sees how alike a batch's samples are "
                                                   "(Salimans et al. 2016 sec. 3.2)")
    label_smoothing: float = option(1.0, "GAN: D's target for real images; 0.9 is one-sided smoothing "
                                         "(Salimans et al. 2016 sec. 3.4)")
    gan_loss: str = option("non-saturating", "GAN: the adversarial loss, non-saturating (Goodfellow 2014) "
                                             "or hinge (Lim & Ye 2017; Miyato et al. 2018)", GAN_LOSSES)

    def __post_init__(self) -> None:
        if self.gan_loss not in GAN_LOSSES:
            raise ValueError(f"gan_loss must be one of {GAN_LOSSES}, got {self.gan_loss!r}")
        if not 0.5 < self.label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must lie in (0.5, 1], got {self.label_smoothing}")


@dataclasses.dataclass(frozen=True)
class InfoGANOptions(GANOptions):
    categorical_weight: float = option(1.0, "InfoGAN: lambda for the categorical code (Chen et al. sec. 7)")
    # Smaller, so L_I for continuous codes matches the GAN loss's scale.
    continuous_weight: float = option(0.1, "InfoGAN: lambda for the continuous codes")


@dataclasses.dataclass(frozen=True)
class WGANOptions:
    n_critic: int = option(5, "WGAN: critic updates per generator update")
    clip_value: float = option(0.01, "WGAN: critic weights are clipped to [-c, c]")


@dataclasses.dataclass(frozen=True)
class WGANGPOptions:
    n_critic: int = option(5, "WGAN: critic updates per generator update")
    gp_weight: float = option(10.0, "WGAN-GP: gradient penalty weight, lambda of Gulrajani et al. eq. 3")


@dataclasses.dataclass(frozen=True)
class EBGANOptions:
    # The energy is a mean over pixels of squared errors between images in [-1, 1], so it lies in
    # [0, 4]. The margin is how far above the data's energy (about 0.05 to 0.2 while the autoencoder
    # learns) generated images are pushed. At 1 (an RMS error of half the range) the discriminator
    # pushed them so far that its reconstructions of them no longer looked like data, and the
    # generator, pulled toward those reconstructions, drew noise; at 0.3 digits formed within an
    # epoch. (The paper tunes m per experiment, for a norm over the whole image.)
    margin: float = option(0.3, "EBGAN: the energy margin m")
    pull_away_weight: float = option(0.1, "EBGAN: weight of the pull-away term, lambda_PT "
                                          "(Zhao et al. sec. 2.4)")

    def __post_init__(self) -> None:
        if self.margin <= 0 or self.pull_away_weight < 0:
            raise ValueError("EBGAN needs margin > 0 and pull_away_weight >= 0")


@dataclasses.dataclass(frozen=True)
class FGANOptions:
    # Which f-divergence (gen_core.train.divergences.DIVERGENCES). Jensen-Shannon by default: its
    # f*(g_f(v)) = softplus(v) - log 2 grows linearly, where KL's exp(v - 1) can overflow early on.
    divergence: str = option("js", "f-GAN: the f-divergence to minimize", DIVERGENCE_NAMES)

    def __post_init__(self) -> None:
        if self.divergence not in DIVERGENCE_NAMES:
            raise ValueError(f"divergence must be one of {sorted(DIVERGENCE_NAMES)}, got {self.divergence!r}")


@dataclasses.dataclass(frozen=True)
class VAEGANOptions:
    # gamma weighs the decoder's reconstruction (L_llike) against fooling the discriminator. The
    # paper's 1e-6 was set for its 64x64 faces. Here L_llike sums 0.5 * squared error over the
    # 3,136 features of a 28x28 discriminator (64 channels x 7 x 7): about 250 to 1,400 nats per
    # image over the first MNIST steps, against a decoder GAN loss (two non-saturating terms) of
    # about 2 to 12. With 1e-6 the decoder would be a plain GAN generator the encoder must chase;
    # 1e-2 puts gamma * L_llike at a few nats, the GAN loss's order: reconstructions still pull
    # the decoder while the GAN term keeps its images sharp.
    gamma: float = option(1e-2, "VAE-GAN: weight of the feature reconstruction in the decoder's loss")
    # The decoder's batch norm keeps one set of running statistics for both kinds of code. Decoded
    # in two passes, each kind is normalized in training by its own batch's statistics while the
    # running averages, which every decode after training uses, mix the two; decoded in one pass,
    # training normalizes both by the statistics the running averages then hold.
    joint_decoder_batch: bool = option(False, "VAE-GAN: decode the posterior samples and the prior "
                                              "samples in one batch, so training normalizes them by "
                                              "the batch-norm statistics decoding keeps")

    def __post_init__(self) -> None:
        if self.gamma < 0:
            raise ValueError(f"gamma must be >= 0, got {self.gamma}")


@dataclasses.dataclass(frozen=True)
class ModeRegularizedOptions:
    """Che et al. 2017, "Mode Regularized Generative Adversarial Networks", sec. 3.1-3.2.

    The geometric term d(x, G(E(x))) is the mean squared pixel error in the generator's [-1, 1]
    range; the mode term -log D(G(E(x))) is a non-saturating GAN loss, of order 1. The encoder
    minimizes only these two, so their ratio decides whether it learns to reconstruct or only to
    find latents that fool D. On MNIST (batch 64, lr 2e-4), steps 201-300 averaged a geometric term
    of 0.20 with weights (1.0, 0.2) against 0.49 with (0.2, 0.4), where it had stalled; after
    about 500 steps the first pair reconstructed test digits to a pixel MSE of 0.025 in [0, 1].
    Hence the defaults: reconstruction leads, the mode term steers G(E(x)) toward what D takes
    for data.
    """

    lambda_geometric: float = option(1.0, "Mode-regularized GAN: weight lambda_1 of the geometric "
                                          "regularizer, the pixel MSE d(x, G(E(x))) (Che et al. 2017 "
                                          "sec. 3.1)")
    lambda_mode: float = option(0.2, "Mode-regularized GAN: weight lambda_2 of the mode regularizer "
                                     "-log D(G(E(x))) (Che et al. 2017 sec. 3.2)")

    manifold_diffusion: bool = option(False, "Mode-regularized GAN: train as MDGAN (Che et al. 2017 "
                                             "sec. 3.3): D matches G(E(x)) to x, a second D matches "
                                             "G(z) to G(E(x))")
    plain_discriminator: bool = option(False, "Mode-regularized GAN: D tells x from G(z) only, as "
                                              "Algorithm 1 prints it (default: G(E(x)) is a fake for D "
                                              "too, as in the authors' code)")
    # The MDGAN's two discriminators won soon after 30 MNIST epochs at every rate tried
    # (docs/zoo.md); R1 damps a discriminator's gradient on the data it is sure of, which keeps it
    # from winning without changing what it is trained to tell apart.
    r1_weight: float = option(0.0, "Mode-regularized GAN: gamma of an R1 penalty, gamma/2 "
                                   "E||grad D(real)||^2 (Mescheder et al. 2018), on each "
                                   "discriminator's real inputs (0: none)")

    def __post_init__(self) -> None:
        if self.lambda_geometric < 0 or self.lambda_mode < 0:
            raise ValueError("lambda_geometric and lambda_mode must be >= 0")
        if self.r1_weight < 0:
            raise ValueError(f"r1_weight must be >= 0, got {self.r1_weight}")


# By trainer class name, as a checkpoint's training summary records it.
OPTIONS_BY_TRAINER: dict[str, type] = {
    "VAETrainer": VAEOptions, "GANTrainer": GANOptions, "InfoGANTrainer": InfoGANOptions,
    "WGANTrainer": WGANOptions, "WGANGPTrainer": WGANGPOptions, "EBGANTrainer": EBGANOptions,
    "FGANTrainer": FGANOptions, "VAEGANTrainer": VAEGANOptions,
    "ModeRegularizedGANTrainer": ModeRegularizedOptions,
}
