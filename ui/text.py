"""Text that came from a file, an upload or a link, made safe to show: it stays text.

Streamlit renders labels, captions and messages as Markdown (with links, images, colours,
icons and LaTeX), and Plotly renders legend and hover text as a subset of HTML (with links). A
model's name, its class names, an error quoting a value from the file or a link: any of them
could otherwise put a clickable external link, or an image fetched from elsewhere, into the page.
"""

from __future__ import annotations

import html
import re

# Every ASCII punctuation character may be backslash-escaped in CommonMark, and an escaped one is
# never markup: no link, image, emphasis, autolink (``https\:``), directive (``\:red[``) or LaTeX.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
MAX_SHOWN = 300  # characters of one piece of outside text shown


def plain(text: object, limit: int = MAX_SHOWN) -> str:
    """``text`` as Markdown that renders exactly as written, on one line, at most ``limit``
    characters (an ellipsis marks a cut)."""
    flat = " ".join(str(text).split())
    if len(flat) > limit:
        flat = flat[:limit - 1] + "…"
    return _PUNCTUATION.sub(r"\\\1", flat)


def plotly_text(text: object, limit: int = MAX_SHOWN) -> str:
    """``text`` for a Plotly legend, title or hover template: HTML-escaped, and ``%`` as an entity
    so that a name holding ``%{x}`` is not read as a template variable."""
    flat = " ".join(str(text).split())[:limit]
    return html.escape(flat).replace("%", "&#37;")
