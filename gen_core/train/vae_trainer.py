"""Training a VAE by maximizing the ELBO (Kingma & Welling 2014), beta-weighted KL (Higgins 2017).

With ``binarize``, every batch is resampled as Bernoulli(pixel intensity): the dynamically
binarized MNIST of Burda et al. 2015, whose log-likelihoods are comparable across papers. The
test set is then binarized once, with a fixed seed, so every evaluation sees the same bits.
"""

from __future__ import annotations

import dataclasses

import torch
from torch.nn.parallel import DistributedDataParallel

from gen_core.data import ImageData
from gen_core.models.vae import VAE
from gen_core.train.loop import Trainer


@dataclasses.dataclass(frozen=True)
class VAEOptions:
    binarize: bool = False  # dynamic binarization of each training batch


def fixed_binarization(data: ImageData, seed: int = 0) -> ImageData:
    """One Bernoulli draw per pixel of ``data`` (images ``[N, C, H, W]`` in [0, 1]), reproducibly."""
    bits = torch.bernoulli(data.images, generator=torch.Generator().manual_seed(seed))
    return dataclasses.replace(data, images=bits)


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
        terms = self.net(batch)
        self.optimizer.zero_grad(set_to_none=True)
        terms["loss"].backward()
        self.optimizer.step()
        return {k: v.item() for k, v in terms.items()}

    def evaluate(self) -> dict[str, float]:
        return {f"test_{k}": v for k, v in vae_test_loss(self.model, self.test_data).items()}


@torch.no_grad()
def vae_test_loss(model: VAE, data: ImageData | None, batch_size: int = 1000,
                  seed: int = 0) -> dict[str, float]:
    """Mean per-image ``neg_elbo``, ``bce`` and ``kl`` in nats over ``data`` (one z draw per image).

    The global RNG is saved and restored so evaluation never perturbs a training run.
    """
    if data is None:
        return {}
    model.eval()
    rng = torch.get_rng_state()
    torch.manual_seed(seed)
    totals = {"neg_elbo": 0.0, "bce": 0.0, "kl": 0.0}
    for chunk in data.images.split(batch_size):
        terms = model.loss(chunk.to(model.device))
        for k in totals:
            totals[k] += terms[k].item() * chunk.shape[0]
    torch.set_rng_state(rng)
    return {k: v / len(data) for k, v in totals.items()}
