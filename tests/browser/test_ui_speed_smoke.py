"""The UI benchmark's smoke mode runs end to end, measures every figure (no time is judged) and
sees no page show an error. The run starts when the tests are collected (``tests/background_runs.py``)."""

from __future__ import annotations

import json
import math

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WITH_FLOOR = {"gallery_paint_s", "gallery_paint_healthy_s", "map_first_paint_s", "map_first_paint_idle_s",
              "key_press_p50_ms", "key_press_p95_ms", "server_rss_mib"}
PER_MODEL_WITH_CEILING = ("drag_in_page_per_s", "drag_mouse_per_s")
PER_MODEL = ("decode_browser_per_s", "decode_torch_per_s")


def test_the_smoke_run_measures_every_figure(ui_speed_smoke):
    result = json.loads(ui_speed_smoke.read_text())
    models = result["models"]
    with_floor = WITH_FLOOR | {f"{kind}:{m}" for kind in PER_MODEL_WITH_CEILING for m in models}
    ours_only = {f"{kind}:{m}" for kind in PER_MODEL for m in models}
    assert len(models) == 2
    assert set(result["figures"]) == with_floor | ours_only
    for name, figure in result["figures"].items():
        assert math.isfinite(figure["ours_median"]) and figure["ours_median"] > 0, name
        if name in with_floor:
            assert math.isfinite(figure["floor_median"]) and figure["floor_median"] > 0, name
            assert math.isfinite(figure["ratio"]), name
    assert result["chromium"] and result["machine"]["cores"] >= 1
    assert result["details"]["page_errors"] == []  # every page with every model, no error shown
