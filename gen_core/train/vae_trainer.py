"""Training a VAE by maximizing the ELBO (Kingma & Welling 2014), beta-weighted KL (Higgins 2017).

With ``binarize``, every batch is resampled as Bernoulli(pixel intensity): the dynamically
binarized MNIST of Burda et al. 2015, whose log-likelihoods are comparable across papers. The
test set is then binarized once, with a fixed seed, so every evaluation sees the same bits.
"""

from __future__ import annotations

import torch
from torch.nn.parallel import DistributedDataParallel

from gen_core.data import fixed_binarization
from gen_core.eval.metrics import held_out_elbo
from gen_core.train.loop import Trainer
from gen_core.training_options import VAEOptions


class VAETrainer(Trainer):
    options_class = VAEOptions

    def setup(self) -> None:
        if self.options.binarize and self.test_data is not None:
            self.test_data = fixed_binarization(self.test_data)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.run.lr)
        # DDP hooks forward(), which for a VAE returns its loss terms.
        self.net = DistributedDataParallel(self.model) if self.ctx.is_distributed else self.model

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"vae": self.optimizer}

    def train_step(self, batch: torch.Tensor) -> dict[str, float]:
        if self.options.binarize:
            batch = torch.bernoulli(batch)
        terms = self.net(batch, iwae_samples=self.options.iwae_samples)
        self.optimizer.zero_grad(set_to_none=True)
        terms["loss"].backward()
        self.optimizer.step()
        return {k: v.item() for k, v in terms.items()}

    def evaluate(self) -> dict[str, float]:
        if self.test_data is None:
            return {}
        terms = held_out_elbo(self.model, self.test_data.images, torch.Generator().manual_seed(0))
        return {f"test_{k}": v for k, v in terms.items()}
