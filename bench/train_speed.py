"""Training speed: our VAE loop against the pytorch/examples VAE loop, same architecture and data.

The reference is a plain re-implementation of pytorch/examples ``vae/main.py``: 784-400-20 MLP,
batch 128, Adam 1e-3, a ``DataLoader`` over ``torchvision.datasets.MNIST`` with ``ToTensor`` (one
PIL conversion per sample). Ours is ``VAETrainer.train_epoch`` on the same weights shape, indexing
in-memory tensors. The floor is the arithmetic alone: the same model's loss, backward pass and
Adam step, as many times as an epoch has batches, on one fixed batch (no data, no indexing, no
logging), so no loop over this data can beat it. Runs alternate so machine noise hits all three;
medians and their ratios are printed.

    python -m bench.train_speed --data-root DATA [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torchvision import datasets, transforms

from gen_core.data import load_dataset, resolve_data_root
from gen_core.models import build_model
from gen_core.models.vae import VAEConfig
from gen_core.train.distributed import DistContext
from gen_core.train.loop import RunConfig
from gen_core.train.vae_trainer import VAETrainer

BATCH, MNIST_TRAIN_IMAGES = 128, 60_000


class ExamplesVAE(nn.Module):
    """The pytorch/examples VAE, layer for layer."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def forward(self, x):
        h = F.relu(self.fc1(x.view(-1, 784)))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def examples_epoch(root: Path, model: ExamplesVAE, optimizer) -> float:
    loader = torch.utils.data.DataLoader(
        datasets.MNIST(str(root), train=True, download=False, transform=transforms.ToTensor()),
        batch_size=BATCH, shuffle=True)
    started = time.perf_counter()
    model.train()
    for data, _ in loader:
        optimizer.zero_grad()
        recon, mu, logvar = model(data)
        bce = F.binary_cross_entropy(recon, data.view(-1, 784), reduction="sum")
        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        (bce + kld).backward()
        optimizer.step()
    return time.perf_counter() - started


def ours_epoch(root: Path, epoch: int) -> float:
    started = time.perf_counter()  # loading the tensors counts against us, as the DataLoader does
    train = load_dataset("mnist", train=True, data_root=root, download=False)
    trainer = VAETrainer(mlp_vae(), train, None, RunConfig(batch_size=BATCH, lr=1e-3), DistContext(),
                         Path("runs") / "bench")
    trainer.train_epoch(epoch)
    return time.perf_counter() - started


def mlp_vae():
    return build_model("vae", VAEConfig(arch="mlp", hidden=(400,), latent_dim=20))


def floor_epoch(steps: int) -> float:
    model = mlp_vae()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batch = torch.rand(BATCH, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    model.train()
    started = time.perf_counter()
    for _ in range(steps):
        loss = model(batch)["loss"]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    root = resolve_data_root(args.data_root)
    reference = ExamplesVAE()
    optimizer = torch.optim.Adam(reference.parameters(), lr=1e-3)
    steps = -(-MNIST_TRAIN_IMAGES // BATCH)
    times: dict[str, list[float]] = {"pytorch/examples loop": [], "gen_core VAETrainer": [],
                                     "floor: the arithmetic alone": []}
    for repeat in range(args.repeats):
        times["pytorch/examples loop"].append(examples_epoch(root, reference, optimizer))
        times["gen_core VAETrainer"].append(ours_epoch(root, repeat))
        times["floor: the arithmetic alone"].append(floor_epoch(steps))
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"MNIST VAE 784-400-20, batch 128, {args.repeats} epochs each, torch threads "
          f"{torch.get_num_threads()}\n")
    print("| loop | median s/epoch | epochs/s | runs (s) |\n| --- | --- | --- | --- |")
    for name, values in times.items():
        print(f"| {name} | {medians[name]:.2f} | {1 / medians[name]:.3f} | "
              f"{', '.join(f'{v:.2f}' for v in values)} |")
    ratio = medians["pytorch/examples loop"] / medians["gen_core VAETrainer"]
    ceiling = medians["pytorch/examples loop"] / medians["floor: the arithmetic alone"]
    overhead = medians["gen_core VAETrainer"] / medians["floor: the arithmetic alone"]
    print(f"\nspeed-up (epochs/s, ours / examples): {ratio:.2f}x; the most any loop could reach "
          f"(floor / examples): {ceiling:.2f}x; ours takes {overhead:.2f}x the floor's time")


if __name__ == "__main__":
    main()
