"""The gallery's training curves: one row per loss, drawn from the checkpoint's history."""

from __future__ import annotations

import re

from ui.curves import curves_svg, loss_series

HISTORY = [{"epoch": 1, "loss_d": 1.2, "loss_g": 0.9, "d_real": 0.6, "lr": 2e-4},
                       {"epoch": 2, "loss_d": 1.0, "loss_g": 1.4, "d_real": 0.7, "lr": 2e-4},
                       {"epoch": 3, "loss_d": 0.8, "loss_g": 1.1, "d_real": 0.7, "lr": 2e-4}]


def test_losses_only_in_recorded_order():
    series = loss_series(HISTORY)
    assert list(series) == ["loss_d", "loss_g"]  # settings and probabilities are not losses
    assert series["loss_g"] == ([1, 2, 3], [0.9, 1.4, 1.1])


def test_one_line_per_loss_each_scaled_to_its_own_range():
    svg = curves_svg(HISTORY, width=300)
    lines = re.findall(r'<polyline points="([^"]+)"', svg)
    assert len(lines) == 2
    for row, points in enumerate(lines):
        ys = [float(p.split(",")[1]) for p in points.split()]
        xs = [float(p.split(",")[0]) for p in points.split()]
        assert xs == sorted(xs) and xs[0] < xs[-1]
        # each series spans its row: its largest value on top, its smallest at the bottom
        assert min(ys) >= row * 22 and max(ys) <= (row + 1) * 22
        assert max(ys) - min(ys) > 10
    assert ">1.1</text>" in svg  # the last value of loss_g
    assert ">epoch 1</text>" in svg and ">3</text>" in svg


def test_no_history_draws_nothing():
    assert curves_svg([]) is None
    assert curves_svg([{"epoch": 1, "lr": 1e-3}, "garbage", {"loss": 2.0}]) is None


def test_one_epoch_and_a_constant_loss_are_drawn_without_dividing_by_zero():
    svg = curves_svg([{"epoch": 4, "loss": 2.0}])
    assert "<circle" in svg and "nan" not in svg
    flat = curves_svg([{"epoch": 1, "loss": 2.0}, {"epoch": 2, "loss": 2.0}])
    assert "<polyline" in flat and "nan" not in flat


def test_names_from_a_file_are_escaped():
    svg = curves_svg([{"epoch": 1, "<script>x</script>": 1.0}, {"epoch": 2, "<script>x</script>": 0.5}])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
