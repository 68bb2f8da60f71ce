"""The standalone demo opened from disk, with the network blocked, in either engine: its page
decodes as torch does, and a slider moves the picture to the slider's last value."""

from __future__ import annotations

import pytest
import torch

from gen_core.media.browser_decoder import export_decoder
from gen_core.media.onnx_decoder import export_onnx_decoder
from tests.conftest import tiny_model
from ui.standalone_demo import standalone_html

pytestmark = pytest.mark.browser
PICTURE = "canvas[data-role=picture]"
OPEN_MS = 30_000  # the ONNX Runtime demo (20 MB) opened in about 1.2 s here
# True once the picture's job has drawn the latent the sliders hold: it writes the link right after.
LINK_HOLDS_SLIDERS = """() => {
  const z = Array.from(document.querySelectorAll("[data-dim]"), (input) => Number(input.value));
  return location.hash === `#z=${z.map((v) => Number(v.toFixed(4))).join(",")}`;
}"""
# Whether the picture is the sliders' latent, decoded and drawn afresh.
PICTURE_SHOWS_SLIDERS = f"""async () => {{
  const picture = document.querySelector("{PICTURE}");
  const shape = JSON.parse(document.getElementById("demo-data").textContent).image_shape;
  const z = Array.from(document.querySelectorAll("[data-dim]"), (input) => Number(input.value));
  const fresh = document.createElement("canvas");
  Object.assign(fresh, {{ width: picture.width, height: picture.height }});
  DecoderRuntime.draw(fresh.getContext("2d"), await window.latentAtlasDemo.decode(z), shape, 0, 0,
                      picture.width / shape[2]);
  return fresh.toDataURL() === picture.toDataURL();
}}"""


@pytest.mark.parametrize(("export", "suffix"), [(export_decoder, ".bin"), (export_onnx_decoder, ".onnx")],
                         ids=["compact", "onnx-runtime"])
def test_the_file_opens_offline_decodes_like_torch_and_its_slider_moves_the_picture(page, tmp_path, export,
                                                                                     suffix):
    torch.manual_seed(0)
    model = tiny_model("dcgan")
    with torch.no_grad():  # weights large enough that the picture follows the latent
        for layer in model.modules():
            if isinstance(layer, (torch.nn.Linear, torch.nn.ConvTranspose2d)):
                torch.nn.init.normal_(layer.weight, std=0.5)
    z = [0.3, -1.2, 0.8, 2.0]
    demo = tmp_path / "demo.html"
    demo.write_text(standalone_html("tiny", export(model), model.latent_spec, tuple(model.image_shape),
                                    [("start", z)], decoder_suffix=suffix))
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://")
               else route.abort())  # the network blocked: the file must not need it
    page.goto(demo.as_uri())
    page.wait_for_selector(f"{PICTURE}[data-frames]", timeout=OPEN_MS)
    in_page = page.evaluate("async (z) => Array.from(await window.latentAtlasDemo.decode(z))", z)
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
    page.wait_for_function(LINK_HOLDS_SLIDERS)  # the view is in the file's own link
    assert page.eval_on_selector(PICTURE, "c => c.toDataURL()") != before
    assert page.evaluate(PICTURE_SHOWS_SLIDERS)  # the last value is drawn, not one passed meanwhile
    assert all(url.startswith("file://") for url in requests)  # nothing fetched from anywhere
