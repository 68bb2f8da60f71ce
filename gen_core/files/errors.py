"""The one error that input which cannot be used raises: a model file, an upload, a picture, a
bookmarks file or a link. Pages catch ``InputError`` and show its message; anything else escaping
a reader is a bug."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)


class InputError(Exception):
    """Input from a file, an upload or a link cannot be used; the message says what is wrong."""


class CheckpointError(InputError):
    """A model file cannot be used; the message names the file and what is wrong."""

    def __init__(self, path: str | Path, problem: str) -> None:
        super().__init__(f"{Path(path).name}: {problem}")
        self.path = Path(path)
        self.problem = problem


@contextlib.contextmanager
def refused_if_malformed(where: Path, what: str = "file",
                         named: tuple[type[Exception], ...] = ()) -> Iterator[None]:
    """Make any exception but ``InputError`` raised while reading ``where`` a ``CheckpointError``.

    The readers check what they know to check and name it (``named``: a reader's own error types,
    whose message is kept as it is); a fault no check foresaw (an index past an end, a type nobody
    expected) must still reach the viewer as one refusal of one file, ``malformed {what} (…)``,
    never as a traceback that breaks a page for every model. It is logged with its traceback, for
    the developers."""
    try:
        yield
    except InputError:
        raise
    except named as err:
        raise CheckpointError(where, str(err)) from None
    except Exception as err:
        log.warning("unforeseen fault reading %s", where.name, exc_info=True)
        raise CheckpointError(where, f"malformed {what} ({type(err).__name__}: {str(err)[:160]})") from None
