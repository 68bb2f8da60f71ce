"""VAE-GAN training (Larsen et al. 2016, Algorithm 1).

With x~ = Dec(z), z ~ q(z|x), and x_p = Dec(z_p), z_p ~ p(z):

- L_prior = KL(q(z|x) || p(z)), as in a VAE;
- L_llike = -log N(Dis_l(x); Dis_l(x~), I): the reconstruction error in the features of the
  discriminator's last hidden layer instead of pixels;
- L_GAN = log D(x) + log(1 - D(x~)) + log(1 - D(x_p)).

The encoder minimizes L_prior + L_llike, the decoder gamma * L_llike - L_GAN (as the
non-saturating -log D(x~) - log D(x_p), like every GAN here), the discriminator -L_GAN. RMSprop,
as in the paper. The discriminator normalizes per image (``VAEGAN.discriminator_norm``), so an
image's scores and features do not depend on the batch it is passed in.
"""

from __future__ import annotations

import torch
from torch import nn

from gen_core.eval.metrics import reconstruction_mse
from gen_core.models.posterior import DiagonalGaussian
from gen_core.train.distributed import broadcast_weights, synced_step
from gen_core.train.gan_trainer import discriminator_loss, generator_loss
from gen_core.train.loop import Trainer
from gen_core.training_options import VAEGANOptions


def feature_reconstruction_nll(recon_features: torch.Tensor, real_features: torch.Tensor) -> torch.Tensor:
    """-log N(Dis_l(x); Dis_l(x~), I) per image, from features ``[B, F]`` of x~ and of x, in nats.

    0.5 * ||Dis_l(x) - Dis_l(x~)||^2 summed over features, averaged over the batch; the constant
    (F / 2) log(2 pi) is left out (it moves no gradient).
    """
    return 0.5 * (recon_features - real_features).pow(2).sum() / real_features.shape[0]


class VAEGANTrainer(Trainer):
    options_class = VAEGANOptions

    def setup(self) -> None:
        self.disc = self.model.build_discriminator().to(self.ctx.device)
        broadcast_weights([self.model, self.disc], self.ctx)
        self.encoder_params = [*self.model.encoder.parameters(), *self.model.to_stats.parameters()]
        self.decoder_params = list(self.model.generator.parameters())
        rates = self.learning_rates()
        self.opt_enc = torch.optim.RMSprop(self.encoder_params, lr=rates["encoder"])
        self.opt_dec = torch.optim.RMSprop(self.decoder_params, lr=rates["decoder"])
        self.opt_d = torch.optim.RMSprop(self.disc.parameters(), lr=rates["discriminator"])

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"encoder": self.opt_enc, "decoder": self.opt_dec, "discriminator": self.opt_d}

    def learning_rates(self) -> dict[str, float]:
        return {"encoder": self.run.lr, "decoder": self.run.lr, "discriminator": self.run.discriminator_lr}

    def training_modules(self) -> dict[str, nn.Module]:
        return {"discriminator": self.disc}

    def train_step(self, batch: torch.Tensor) -> dict[str, float]:
        posterior = self.model.encode(batch)
        codes, prior_codes = posterior.sample(), torch.randn_like(posterior.mean)
        # Images in tanh range, as the real images below.
        if self.options.joint_decoder_batch:
            recon, prior = self.model.generator(torch.cat([codes, prior_codes])).chunk(2)
        else:
            recon, prior = self.model.generator(codes), self.model.generator(prior_codes)
        real = batch * 2 - 1
        logs = self.discriminator_step(real, recon.detach(), prior.detach())
        logs.update(self.autoencoder_step(real, posterior, recon, prior))
        return logs

    def discriminator_step(self, real: torch.Tensor, recon: torch.Tensor,
                           prior: torch.Tensor) -> dict[str, float]:
        self.opt_d.zero_grad(set_to_none=True)
        scores_real, scores_recon, scores_prior = self.disc(torch.cat([real, recon, prior])).chunk(3)
        loss_d = (discriminator_loss(scores_real, True, "non-saturating")
                  + discriminator_loss(scores_recon, False, "non-saturating")
                  + discriminator_loss(scores_prior, False, "non-saturating"))
        loss_d.backward()
        synced_step(self.opt_d, self.ctx)
        return {"loss_d": loss_d.item(), "d_real": torch.sigmoid(scores_real).mean().item(),
                "d_recon": torch.sigmoid(scores_recon).mean().item(),
                "d_prior": torch.sigmoid(scores_prior).mean().item()}

    def autoencoder_step(self, real: torch.Tensor, posterior: DiagonalGaussian,
                         recon: torch.Tensor, prior: torch.Tensor) -> dict[str, float]:
        # Dis_l(x) is the target, so no gradient flows through it: the real images take a forward
        # pass without a graph, which spares both backward passes below a third of their work. The
        # discriminator normalizes per image, so two passes give what one over all three would.
        with torch.no_grad():
            _, real_features = self.disc(real, with_features=True)
        scores, features = self.disc(torch.cat([recon, prior]), with_features=True)
        scores_recon, scores_prior = scores.chunk(2)
        recon_features, _ = features.chunk(2)
        llike = feature_reconstruction_nll(recon_features, real_features)
        kl = posterior.kl().sum() / real.shape[0]
        loss_gan = (generator_loss(scores_recon, "non-saturating")
                    + generator_loss(scores_prior, "non-saturating"))
        self.opt_enc.zero_grad(set_to_none=True)
        self.opt_dec.zero_grad(set_to_none=True)
        # Each network's own loss through the shared graph: the encoder never sees L_GAN.
        (kl + llike).backward(inputs=self.encoder_params, retain_graph=True)
        (self.options.gamma * llike + loss_gan).backward(inputs=self.decoder_params)
        synced_step(self.opt_enc, self.ctx)
        synced_step(self.opt_dec, self.ctx)
        self.generator_updated()
        return {"kl": kl.item(), "llike": llike.item(), "loss_g": loss_gan.item()}

    def evaluate(self) -> dict[str, float]:
        if self.test_data is None:
            return {}
        return {"test_reconstruction_mse": reconstruction_mse(self.model, self.test_data.images)}
