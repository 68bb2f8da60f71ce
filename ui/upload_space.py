"""Where what derives from an uploaded model lives, and for how long.

An upload's bytes stay in its browser tab's session. What the app derives from them (the preview
grid, map projections, the decoder the browser downloads) is never written beside the operator's
checkpoints: previews and maps go to a private temporary folder of this server process, and
browser decoders to ``static/decoders/uploads/`` (the browser must fetch them from the static
route). Both are emptied when the server stops (``remove_uploads``, from the server's lifespan:
a server stopped by a signal exits without running ``atexit``), and the decoders again when it
starts, after a server that was killed. Both are evicted whenever a model is
uploaded: entries older than ``MAX_AGE_S``, then the oldest until the rest fit ``MAX_BYTES``.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from gen_core.cache import evict

ROOT = Path(__file__).resolve().parents[1]
UPLOADED_DECODERS = ROOT / "static" / "decoders" / "uploads"
MAX_BYTES = 256 * 2**20  # in each of the two folders
MAX_AGE_S = 3600.0


@functools.cache
def artifact_folder() -> Path:
    """This process's private folder (mode 0700) for uploads' previews and maps."""
    folder = Path(tempfile.mkdtemp(prefix="latent-atlas-uploads-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # a process that is not the server
    return folder


def evict_uploads() -> None:
    """Apply the age and size caps to both folders."""
    evict(artifact_folder(), MAX_BYTES, MAX_AGE_S)
    evict(UPLOADED_DECODERS, MAX_BYTES, MAX_AGE_S)


def forget_earlier_uploads() -> None:
    """At server start: no session survives a restart, so no uploaded decoder is needed any more."""
    evict(UPLOADED_DECODERS, 0, 0.0)


def remove_uploads() -> None:
    """At server stop: remove everything derived from this process's uploads."""
    if artifact_folder.cache_info().currsize:  # made only once a model was uploaded
        shutil.rmtree(artifact_folder(), ignore_errors=True)
        artifact_folder.cache_clear()
    forget_earlier_uploads()
