"""Two linked maps in a real Chromium: a point clicked in one lights up the same image in the other."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.app_support import CONV_VAE, VAE
from tests.browser.test_e2e import IMAGE, PAGE_TIMEOUT_MS, open_and_settle, settle

pytestmark = pytest.mark.browser

PLOTS = ".js-plotly-plot"
# Where the first point of the first map's first trace is on screen, and which image it is.
FIRST_POINT = """() => {
    const gd = document.querySelectorAll('.js-plotly-plot')[0];
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
    const trace = gd._fullData[0];
    return [box.left + xa._offset + xa.c2p(trace.x[0]), box.top + ya._offset + ya.c2p(trace.y[0]),
            Number(trace.customdata[0])];
}"""
LIT_IN_SECOND = """() => {
    const gd = document.querySelectorAll('.js-plotly-plot')[1];
    const lit = gd._fullData.find((t) => t.name === 'linked');
    return lit ? Array.from(lit.customdata, Number) : null;
}"""


def test_a_point_clicked_in_one_map_lights_up_in_the_other(page, app_url, artifacts):
    open_and_settle(page, f"{app_url}/Latent_Map?model={VAE}&model2={CONV_VAE}", PLOTS)
    expect(page.locator(PLOTS)).to_have_count(2)
    assert page.evaluate(LIT_IN_SECOND) is None
    x, y, index = page.evaluate(FIRST_POINT)
    page.mouse.move(x - 4, y)
    page.mouse.move(x, y)  # plotly picks the clicked point from its hover state
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    settle(page, IMAGE)
    page.wait_for_function(f"({LIT_IN_SECOND})() !== null", timeout=PAGE_TIMEOUT_MS)
    assert page.evaluate(LIT_IN_SECOND) == [index]
    expect(page.get_by_text("chosen images")).to_be_visible()
    page.screenshot(path=artifacts / "linked_maps.png", full_page=True)
