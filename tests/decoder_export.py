"""Reads an exported browser decoder back, as the page's runtime does: the tests' oracle."""

from __future__ import annotations

import json
import struct

import numpy as np


def read_export(data: bytes) -> tuple[dict, np.ndarray]:
    """``(header, float32 weights)`` of a decoder written by ``gen_core.media.browser_decoder``."""
    (length,) = struct.unpack_from("<I", data)
    header = json.loads(data[4:4 + length])
    return header, np.frombuffer(data, dtype="<f4", offset=4 + length)
