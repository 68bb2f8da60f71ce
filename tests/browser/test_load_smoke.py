"""A short run of ``bench.load``: two viewers using the shipped models at once, no errors shown."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.load import measure, report

pytestmark = pytest.mark.browser


def test_two_viewers_at_once_see_no_errors():
    # In a thread of its own: the other browser tests' Playwright keeps an event loop on this one.
    models = ["mnist-vae-mlp-binarized", "mnist-dcgan"]
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(lambda: asyncio.run(measure(viewers=2, seconds=10, models=models))).result()
    print(report(result, 2, 10))
    assert result["log"]["errors"] == [] and result["log"]["failed"] == []
    assert sum(len(times) for times in result["log"]["latency"].values()) >= 4  # the viewers did work
