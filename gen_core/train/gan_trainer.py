"""DCGAN training (Radford et al. 2016) with the non-saturating generator loss (Goodfellow 2014).

Adam with beta1 = 0.5 as the DCGAN paper recommends. Real and fake batches go through the
discriminator in separate forward/backward passes, as in pytorch/examples, which also keeps
DistributedDataParallel's one-forward-one-backward rule.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from gen_core.train.loop import Trainer


class GANTrainer(Trainer):
    def setup(self) -> None:
        self.disc = self.model.build_discriminator().to(self.ctx.device)
        betas = (0.5, 0.999)
        self.opt_g = torch.optim.Adam(self.model.generator.parameters(), lr=self.run.lr, betas=betas)
        self.opt_d = torch.optim.Adam(self.disc.parameters(), lr=self.run.lr, betas=betas)
        wrap = DistributedDataParallel if self.ctx.is_distributed else (lambda m: m)
        self.gen_net, self.disc_net = wrap(self.model.generator), wrap(self.disc)

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"generator": self.opt_g, "discriminator": self.opt_d}

    def training_modules(self) -> dict[str, nn.Module]:
        return {"discriminator": self.disc}

    def train_step(self, batch: torch.Tensor) -> dict[str, float]:
        real = batch * 2 - 1  # the generator's tanh range
        z = torch.randn(real.shape[0], self.model.latent_dim, device=real.device)
        fake = self.gen_net(z)

        self.opt_d.zero_grad(set_to_none=True)
        real_logits = self.disc_net(real)
        loss_real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
        loss_real.backward()
        fake_logits = self.disc_net(fake.detach())
        loss_fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        loss_fake.backward()
        self.opt_d.step()

        # Non-saturating loss: maximize log D(G(z)) rather than minimize log(1 - D(G(z))).
        self.opt_g.zero_grad(set_to_none=True)
        gen_logits = self.disc_net(fake)
        loss_g = F.binary_cross_entropy_with_logits(gen_logits, torch.ones_like(gen_logits))
        loss_g.backward()
        self.opt_g.step()
        return {
            "loss_d": (loss_real + loss_fake).item(), "loss_g": loss_g.item(),
            "d_real": torch.sigmoid(real_logits).mean().item(),
            "d_fake": torch.sigmoid(fake_logits).mean().item(),
        }
