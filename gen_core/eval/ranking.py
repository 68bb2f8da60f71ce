"""The zoo's quality rank: which model a newcomer should see first.

Models are ranked by FD in their dataset classifier's features (``gen_core.eval.evaluate``), divided
by the lowest FD among the models of the same dataset, so the best model of each dataset scores
1.0 and datasets of different difficulty interleave fairly. A mode-collapse flag doubles the
score (a model that skips classes misleads however sharp its samples are); ties go to the higher
recall. Models not yet evaluated come last, in name order.
"""

from __future__ import annotations

import dataclasses
import math

from gen_core.eval.metric_keys import FD, MODE_COLLAPSE, RECALL

MODE_COLLAPSE_PENALTY = 2.0
BASIS = ("FD in the dataset classifier's features relative to the best of its dataset (lower first; "
         "a mode-collapse flag counts double)")


@dataclasses.dataclass(frozen=True)
class Ranked:
    """A model's place: ``rank`` from 1, and ``score`` (``inf`` when not evaluated)."""

    name: str
    rank: int
    score: float

    @property
    def basis(self) -> str:
        if math.isinf(self.score):
            return "not evaluated yet"
        return f"rank {self.rank} · {self.score:.2f}× the best FD of its dataset"


def rank_models(models: dict[str, tuple[str, dict]]) -> list[Ranked]:
    """``{name: (dataset, metrics)}`` -> the models best first."""
    best_fd: dict[str, float] = {}
    for dataset, metrics in models.values():
        if isinstance(metrics.get(FD), (int, float)):
            best_fd[dataset] = min(best_fd.get(dataset, math.inf), metrics[FD])

    def key(name: str) -> tuple[float, float, str]:
        dataset, metrics = models[name]
        fd = metrics.get(FD)
        if not isinstance(fd, (int, float)) or best_fd.get(dataset, 0) <= 0:
            return math.inf, 0.0, name
        score = fd / best_fd[dataset] * (MODE_COLLAPSE_PENALTY if metrics.get(MODE_COLLAPSE) else 1.0)
        return score, -float(metrics.get(RECALL) or 0.0), name

    ordered = sorted(models, key=key)
    return [Ranked(name, i + 1, key(name)[0]) for i, name in enumerate(ordered)]
