"""A short run of ``bench.load``: two viewers using the shipped models at once, no errors shown.
The run starts after the browser tests, and this test runs last (``tests/background_runs.py``)."""

from __future__ import annotations

import json

import pytest

from bench.load import report
from tests import background_runs

pytestmark = pytest.mark.browser

LOAD_SMOKE_TIMEOUT_S = 300


def test_two_viewers_at_once_see_no_errors(request):
    folder = background_runs.output(request.config, background_runs.LOAD_SMOKE, LOAD_SMOKE_TIMEOUT_S)
    result = json.loads((folder / "load.json").read_text())
    print(report(result, background_runs.LOAD_SMOKE_VIEWERS, background_runs.LOAD_SMOKE_SECONDS))
    assert result["log"]["errors"] == [] and result["log"]["failed"] == []
    done = sum(len(times) for times in result["log"]["latency"].values())
    assert done >= background_runs.LOAD_SMOKE_VIEWERS * background_runs.LOAD_SMOKE_ACTIONS
