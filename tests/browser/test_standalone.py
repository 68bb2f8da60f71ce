"""The standalone demo opened from disk, with no server running: its page decodes as torch does,
and a slider moves the picture."""

from __future__ import annotations

import pytest
import torch

from gen_core.media.browser_decoder import export_decoder
from tests.conftest import tiny_model
from ui.standalone_demo import standalone_html

pytestmark = pytest.mark.browser
PICTURE = "canvas[data-role=picture]"


def test_the_file_opens_offline_decodes_like_torch_and_its_slider_moves_the_picture(page, tmp_path):
    torch.manual_seed(0)
    model = tiny_model("dcgan")
    with torch.no_grad():  # weights large enough that the picture follows the latent
        for layer in model.modules():
            if isinstance(layer, (torch.nn.Linear, torch.nn.ConvTranspose2d)):
                torch.nn.init.normal_(layer.weight, std=0.5)
    z = [0.3, -1.2, 0.8, 2.0]
    demo = tmp_path / "demo.html"
    demo.write_text(standalone_html("tiny", export_decoder(model), model.latent_spec,
                                    tuple(model.image_shape), [("start", z)]))
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(demo.as_uri())
    page.wait_for_selector(f"{PICTURE}[data-frames]")
    in_page = page.evaluate("(z) => Array.from(window.latentAtlasDemo.decode(z))", z)
    with torch.no_grad():
        expected = model.decode(torch.tensor([z]))[0].flatten()
    assert torch.allclose(torch.tensor(in_page), expected, atol=1e-3)
    before = page.eval_on_selector(PICTURE, "c => c.toDataURL()")
    slider = page.locator("input[type=range][data-dim='3']")
    box = slider.bounding_box()
    page.mouse.move(box["x"] + box["width"] - 4, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 4, box["y"] + box["height"] / 2, steps=10)
    page.mouse.up()
    page.wait_for_function(f"() => Number(document.querySelector('{PICTURE}').dataset.frames) > 1")
    assert page.eval_on_selector(PICTURE, "c => c.toDataURL()") != before
    assert "z=" in page.url  # the view is in the file's own link
    assert all(url.startswith("file://") for url in requests)  # nothing fetched from anywhere
