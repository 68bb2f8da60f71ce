"""Server start-up: import what the pages import, and scan the checkpoint folder, before the
server answers its first request.

A fresh server's first page run would otherwise import torch, plotly and the project (about 2 s
here) before it draws anything, while its viewer waits on a page that is already open. ``lifespan``
does that work in a worker thread while uvicorn waits for it: the server answers its health check
(a load balancer's readiness probe) once it can draw every page at full speed, and no page ever
runs beside a half-done import (Python's import locks keep two threads from importing one module
twice, but not code that looks a module up in ``sys.modules`` from running while another thread
is still importing it: plotly's optional pandas check then sees a half-built pandas).

This module imports nothing heavy itself: ``app.py`` imports it when the server starts.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import importlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("latent_atlas")
# One torch thread per rerun: a server's cores are shared by every viewer's reruns, and decoders
# this small lose more to two threads contending than they gain (on a busy 2-core machine a conv
# VAE decoded 3 to 30 times faster with one thread than with two).
SERVER_TORCH_THREADS = 1


def page_scripts(root: Path = ROOT) -> list[Path]:
    """``app.py`` and every page in ``pages/``, the scripts Streamlit runs."""
    return [root / "app.py", *sorted((root / "pages").glob("*.py"))]


def imported_modules(script: Path) -> list[str]:
    """The absolute module names ``script`` imports, in order, without importing anything."""
    names: list[str] = []
    for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module != "__future__":
            names.append(node.module)
    return list(dict.fromkeys(names))


def import_page_modules(scripts: list[Path]) -> list[str]:
    """Import what ``scripts`` import; returns the modules that failed (each logged, never raised:
    a module that cannot be imported fails again, with its message, on the page that needs it)."""
    failed = []
    for name in dict.fromkeys(n for script in scripts for n in imported_modules(script)):
        try:
            importlib.import_module(name)
        except Exception:  # a warm-up must never stop the server
            log.exception("warm-up import of %s failed", name)
            failed.append(name)
    return failed


def warm_up() -> None:
    """Import the pages' modules, remove the decoders of an earlier run's uploads, then read the
    checkpoint folder's headers into the catalog's cache (every page's first run needs the
    catalog; scanning 20 headers took about 0.25 s there)."""
    import_page_modules(page_scripts())
    import torch

    torch.set_num_threads(SERVER_TORCH_THREADS)
    from ui.catalog import catalog
    from ui.upload_space import forget_earlier_uploads

    forget_earlier_uploads()

    # Streamlit warns about every cached call made outside a page run; this one is meant to be.
    quiet = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        catalog()
    except Exception:  # a folder that cannot be read fails again, with its message, on a page
        log.exception("warm-up scan of the checkpoint folder failed")
    finally:
        quiet.setLevel(level)


@contextlib.asynccontextmanager
async def lifespan(_app) -> AsyncIterator[None]:
    """``st.App``'s lifespan hook: the warm-up runs (off the event loop), then the server answers;
    once it has stopped, what uploads left behind is removed."""
    try:
        await asyncio.to_thread(warm_up)
    except Exception:  # a warm-up must never stop the server: each page fails with its own message
        log.exception("warm-up failed")
    yield
    from ui.upload_space import remove_uploads

    remove_uploads()
