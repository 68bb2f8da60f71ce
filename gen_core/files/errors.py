"""The one error a model file, an upload or a link that cannot be used raises."""

from __future__ import annotations

from pathlib import Path


class CheckpointError(Exception):
    """A model file cannot be used; the message names the file and what is wrong."""

    def __init__(self, path: str | Path, problem: str) -> None:
        super().__init__(f"{Path(path).name}: {problem}")
        self.path = Path(path)
        self.problem = problem
