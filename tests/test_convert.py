"""Recognised public architectures: built as their code writes them, saved, converted, compared."""

import pytest
import torch
from safetensors.torch import save_file

from gen_core.files.checkpoint import CheckpointError, load_model
from gen_core.files.convert import convert_recognised, main
from tests import public_networks as public

TOLERANCE = 1e-5


def _vae_decode(net, z):
    return net.decode(z)


CASES = {
    # name: (network, latent size, its decode from z [B, D], converted family, output range)
    "examples-vae": (public.ExamplesVAE, 20, lambda net, z: net.decode(z).view(-1, 1, 28, 28),
                     "foreign-vae", (0.0, 1.0)),
    "examples-dcgan-full-size": (lambda: public.ExamplesGenerator(nz=100, ngf=64, nc=3), 100,
                                 lambda net, z: net(z.view(-1, 100, 1, 1)), "foreign", (-1.0, 1.0)),
    "examples-dcgan-small": (lambda: public.ExamplesGenerator(nz=8, ngf=4, nc=1), 8,
                             lambda net, z: net(z.view(-1, 8, 1, 1)), "foreign", (-1.0, 1.0)),
    "pytorch-gan-gan": (public.PyTorchGANGenerator, 100, lambda net, z: net(z), "foreign", (-1.0, 1.0)),
    "pytorch-gan-dcgan": (lambda: public.PyTorchGANDCGenerator(latent_dim=16, img_size=16, channels=3), 16,
                          lambda net, z: net(z), "foreign", (-1.0, 1.0)),
    "antixk-vanilla-vae": (lambda: public.VanillaVAE(3, 8, [8, 16, 32]), 8, _vae_decode,
                           "foreign-vae", (-1.0, 1.0)),
}


def _saved(tmp_path, state: dict, suffix: str, nest=None, prefix: str = ""):
    state = {prefix + k: v for k, v in state.items()}
    path = tmp_path / f"weights{suffix}"
    if suffix == ".safetensors":
        save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    else:
        torch.save(nest(state) if nest else state, path)
    return path


def _converted(tmp_path, net, name: str):
    source = _saved(tmp_path, net.state_dict(), ".pt")
    return load_model(convert_recognised(source, tmp_path / f"{name}.safetensors"))


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_a_recognised_state_dict_converts_to_the_same_network(case, suffix, tmp_path):
    build, latent, decode, family, output_range = CASES[case]
    torch.manual_seed(0)
    net = public.with_random_statistics(build())
    out = convert_recognised(_saved(tmp_path, net.state_dict(), suffix), tmp_path / "converted.safetensors")
    model = load_model(out)
    z = torch.randn(3, latent, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = decode(net, z)
        low, high = output_range
        assert (model.decode(z) - (expected - low) / (high - low)).abs().max() <= TOLERANCE
    assert model.card.family == family and model.card.output_range == output_range
    assert model.card.provenance["converted_from"] == f"weights{suffix}"


def test_the_vaes_encoder_is_the_originals(tmp_path):
    torch.manual_seed(0)
    net = public.with_random_statistics(public.VanillaVAE(3, 8, [8, 16, 32]))
    model = _converted(tmp_path, net, "v")
    images = torch.rand(2, 3, 16, 16)
    with torch.no_grad():
        mu, log_var = net.encode(images * 2 - 1)  # a Tanh decoder's data lie in [-1, 1]
        posterior = model.encode(images)
    assert (posterior.mean - mu).abs().max() <= TOLERANCE
    assert (posterior.logvar - log_var).abs().max() <= TOLERANCE
    examples = public.ExamplesVAE()
    model = _converted(tmp_path, examples, "e")
    flat = torch.rand(2, 784)
    mean = model.encode(flat.view(2, 1, 28, 28)).mean
    assert torch.allclose(mean, examples.encode(flat)[0], atol=TOLERANCE)


@pytest.mark.parametrize(("nest", "prefix"), [
    (lambda s: {"state_dict": s}, ""),
    (lambda s: {"model": s, "optimizer": {"state": {}, "param_groups": []}, "epoch": 7}, ""),
    (lambda s: {"netG": s, "netD": public.ExamplesDiscriminator(ndf=4, nc=1).state_dict()}, ""),
    (None, "module."),
    (lambda s: {"netD": public.ExamplesDiscriminator(ndf=4, nc=1).state_dict(), "netG": s}, "module."),
], ids=["state_dict", "model-and-optimizer", "netG-netD", "data-parallel", "netD-first-data-parallel"])
def test_nested_and_data_parallel_state_dicts_convert(nest, prefix, tmp_path):
    torch.manual_seed(0)
    net = public.with_random_statistics(public.ExamplesGenerator(nz=8, ngf=4, nc=1))
    source = _saved(tmp_path, net.state_dict(), ".pth", nest, prefix)
    model = load_model(convert_recognised(source, tmp_path / "g.safetensors"))
    z = torch.randn(2, 8)
    with torch.no_grad():
        assert (model.decode(z) - (net(z.view(2, 8, 1, 1)) + 1) / 2).abs().max() <= TOLERANCE


@pytest.mark.parametrize(("network", "says"), [
    (lambda: public.ExamplesDiscriminator(ndf=4, nc=1), "pytorch/examples DCGAN Discriminator"),
    (public.PyTorchGANDiscriminator, "PyTorch-GAN GAN Discriminator"),
    (public.PyTorchGANDCDiscriminator, "PyTorch-GAN DCGAN Discriminator"),
])
def test_a_discriminator_is_named_and_not_converted(network, says, tmp_path):
    source = _saved(tmp_path, network().state_dict(), ".pt")
    with pytest.raises(CheckpointError, match=f"looks like {says}.*a discriminator"):
        convert_recognised(source, tmp_path / "d.safetensors")


def test_an_unrecognised_state_dict_names_the_pack_command(tmp_path):
    source = _saved(tmp_path, torch.nn.Linear(3, 4).state_dict(), ".pt")
    with pytest.raises(CheckpointError, match=r"2 tensors, keys bias … weight: not an architecture.*"
                                              r"python -m gen_core.pack --module"):
        convert_recognised(source, tmp_path / "x.safetensors")


def test_the_command_line_converts_and_refuses_arbitrary_pickles(tmp_path, capsys):
    net = public.PyTorchGANGenerator(latent_dim=8, img_shape=(1, 8, 8))
    source = _saved(tmp_path, net.state_dict(), ".pt")
    main([str(source), "--out", str(tmp_path / "gan.safetensors"), "--dataset", "mnist"])
    assert "wrote" in capsys.readouterr().out
    assert load_model(tmp_path / "gan.safetensors").card.dataset == "mnist"
    evil = tmp_path / "evil.pt"
    torch.save({"obj": object()}, evil)
    with pytest.raises(SystemExit, match="weights-only"):
        main([str(evil), "--out", str(tmp_path / "evil.safetensors")])
