"""The one error that input which cannot be used raises: a model file, an upload, a picture, a
bookmarks file or a link. Pages catch ``InputError`` and show its message; anything else escaping
a reader is a bug."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Input from a file, an upload or a link cannot be used; the message says what is wrong."""


class CheckpointError(InputError):
    """A model file cannot be used; the message names the file and what is wrong."""

    def __init__(self, path: str | Path, problem: str) -> None:
        super().__init__(f"{Path(path).name}: {problem}")
        self.path = Path(path)
        self.problem = problem
