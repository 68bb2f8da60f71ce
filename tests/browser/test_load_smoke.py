"""A short run of ``bench.load``: two viewers using the shipped models at once, no errors shown."""

from __future__ import annotations

import asyncio

import pytest

from bench.load import measure, report

pytestmark = pytest.mark.browser


def test_two_viewers_at_once_see_no_errors():
    result = asyncio.run(measure(viewers=2, seconds=15, models=["mnist-vae-mlp-binarized", "mnist-dcgan"]))
    print(report(result, 2, 15))
    assert result["log"]["errors"] == [] and result["log"]["failed"] == []
    assert sum(len(times) for times in result["log"]["latency"].values()) >= 4  # the viewers did work
