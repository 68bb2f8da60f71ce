"""GAN inversion and to_latent: images back to latents for every family."""

import subprocess
import sys

import pytest
import torch

from gen_core.latent.encoding import encode_means, to_latent
from gen_core.latent.inversion import LatentAdam, invert
from tests.app_support import ROOT
from tests.conftest import tiny_model


def _varied(model):
    """Weights large enough that different latents draw clearly different images."""
    gen = torch.Generator().manual_seed(4)
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(torch.randn(param.shape, generator=gen) * 0.5)
    return model


def test_inverting_a_models_own_images_finds_latents_that_redraw_them():
    model = _varied(tiny_model("dcgan"))
    z = model.sample_latent(3, torch.Generator().manual_seed(1))
    with torch.no_grad():
        images = model.decode(z)
        unrelated = model.decode(model.sample_latent(3, torch.Generator().manual_seed(9)))
    found = invert(model, images, steps=150, restarts=3, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        error = (model.decode(found) - images).pow(2).mean().item()
    baseline = (unrelated - images).pow(2).mean().item()
    assert error < 0.2 * baseline


def test_categorical_and_uniform_codes_end_whole_and_in_their_support():
    model = tiny_model("infogan")
    with torch.no_grad():
        images = model.decode(model.sample_latent(4, torch.Generator().manual_seed(2)))
    found = invert(model, images, steps=20, restarts=2, generator=torch.Generator().manual_seed(0))
    spec = model.latent_spec
    assert torch.equal(found[:, 0], found[:, 0].round()) and found[:, 0].min() >= 0
    assert found[:, 0].max() <= len(spec[0].classes) - 1
    assert found[:, 1:3].abs().max() <= 1.0  # the two uniform codes


def test_progress_reports_each_step_and_ends_at_one():
    model = tiny_model("dcgan")
    seen: list[float] = []
    invert(model, torch.rand(1, 1, 8, 8), steps=5, restarts=1, progress=seen.append)
    assert seen == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])


def test_features_term_is_used_when_given():
    model = tiny_model("dcgan")
    calls = []

    def features(x):
        calls.append(x.shape[0])
        return x.flatten(1)[:, :4]

    invert(model, torch.rand(2, 1, 8, 8), steps=3, restarts=2, features=features)
    assert calls and calls[0] == 4  # the targets, once per candidate


def test_wrong_image_shape_is_a_clear_error():
    with pytest.raises(ValueError, match=r"images must be \[B, 1, 8, 8\]"):
        invert(tiny_model("dcgan"), torch.rand(2, 1, 28, 28), steps=1)


def test_to_latent_uses_the_encoder_where_there_is_one_and_inversion_otherwise():
    vae, gan = tiny_model("vae"), tiny_model("dcgan")
    images = torch.rand(2, 1, 8, 8)
    assert torch.equal(to_latent(vae, images), encode_means(vae, images))
    z = to_latent(gan, images, generator=torch.Generator().manual_seed(0))
    assert z.shape == (2, gan.latent_dim)


def test_inversion_searches_even_when_called_under_no_grad():
    model = tiny_model("dcgan")
    with torch.no_grad():
        z = invert(model, torch.rand(1, 1, 8, 8), steps=2, restarts=1)
    assert z.shape == (1, model.latent_dim)


def test_inversion_leaves_the_shared_model_untouched():
    model = tiny_model("dcgan")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    invert(model, torch.rand(2, 1, 8, 8), steps=3, restarts=2)
    assert all(p.grad is None for p in model.parameters())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_latent_adam_takes_the_steps_torch_adam_takes():
    start = [torch.randn(4, 3, generator=torch.Generator().manual_seed(1)), torch.randn(4, 1)]
    ours = [p.clone().requires_grad_() for p in start]
    theirs = [p.clone().requires_grad_() for p in start]
    adam, reference = LatentAdam(ours, lr=0.05), torch.optim.Adam(theirs, lr=0.05)
    for _ in range(25):
        adam.step(torch.autograd.grad(sum((p ** 3).sum() for p in ours), ours))
        reference.zero_grad()
        sum((p ** 3).sum() for p in theirs).backward()
        reference.step()
    for mine, expected in zip(ours, theirs, strict=True):
        torch.testing.assert_close(mine, expected)
    assert not torch.equal(ours[0], start[0])


def test_inversion_with_a_classifier_imports_no_compiler_stack(digits_classifier_file):
    # torch.optim's first step imports torch._dynamo, and to_empty on meta tensors sympy: over
    # 170 MiB of server memory together, for a viewer's first upload.
    probe = ("import sys, torch; from gen_core.latent.inversion import invert; "
             "from gen_core.eval.classifier import load_classifier; from tests.conftest import tiny_model; "
             f"c = load_classifier({str(digits_classifier_file)!r}); m = tiny_model('dcgan'); "
             "invert(m, torch.rand(1, *m.image_shape), steps=2, restarts=1); "
             "print(*(name in sys.modules for name in ('torch._dynamo', 'sympy')))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split()[-2:] == ["False", "False"]
