"""The UI benchmark's figures: values per repeat for both apps, their medians, a table and JSON."""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import statistics
from pathlib import Path

OURS, FLOOR = "ours", "floor"
DRAG_TARGET_PER_S, DRAG_TARGET_SHARE = 30, 0.75  # the goal for figure 4: either will do


@dataclasses.dataclass
class Figure:
    """One row of the table: a value per repeat for Latent Atlas and, where measured, the floor."""

    label: str
    unit: str
    ours: list[float] = dataclasses.field(default_factory=list)
    floor: list[float] = dataclasses.field(default_factory=list)

    def add(self, side: str, value: float) -> None:
        getattr(self, side).append(value)

    def median(self, side: str) -> float | None:
        values = getattr(self, side)
        return statistics.median(values) if values else None

    def ratio(self) -> float | None:
        ours, floor = self.median(OURS), self.median(FLOOR)
        return ours / floor if ours is not None and floor else None

    def cell(self, side: str) -> str:
        """The median and, over several repeats, the range: ``9.04 (8.81–9.30)``."""
        values = getattr(self, side)
        if not values:
            return "–"
        spread = f" ({fmt(min(values))}–{fmt(max(values))})" if len(values) > 1 else ""
        return fmt(statistics.median(values)) + spread

    def as_json(self) -> dict:
        return {"label": self.label, "unit": self.unit, "ours": self.ours, "floor": self.floor or None,
                "ours_median": self.median(OURS), "floor_median": self.median(FLOOR),
                "ratio": self.ratio()}


def fmt(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


def declare_figures(models: list[str]) -> dict[str, Figure]:
    """Every figure, keyed by a stable name, in the order of the table."""
    figures = {
        "gallery_paint_s": Figure("1a. launch → gallery painted", "s"),
        "gallery_paint_healthy_s": Figure("1b. gallery first paint, fresh server, opened once healthy", "s"),
        "map_first_paint_s": Figure("2a. Latent Map first paint, fresh server, opened once healthy", "s"),
        "map_first_paint_idle_s": Figure("2b. Latent Map first paint, fresh server, opened once its "
                                         "start-up work is done", "s"),
        "key_press_p50_ms": Figure("3. key press → new picture (server), p50", "ms"),
        "key_press_p95_ms": Figure("3. key press → new picture (server), p95", "ms"),
    }
    for model in models:
        figures[f"drag_in_page_per_s:{model}"] = Figure(f"4a. {model}: in-page drag", "pictures/s")
        figures[f"drag_mouse_per_s:{model}"] = Figure(f"4b. {model}: mouse drag", "pictures/s")
    figures["server_rss_mib"] = Figure("5. server RSS after every page with every model", "MiB")
    for model in models:
        figures[f"decode_browser_per_s:{model}"] = Figure(f"6. {model}: decodes in the browser", "1/s")
        figures[f"decode_torch_per_s:{model}"] = Figure(f"6. {model}: torch decodes on the server", "1/s")
    return figures


def markdown_table(figures: dict[str, Figure]) -> str:
    rows = ["| figure | Latent Atlas | floor app | ratio |", "| --- | --- | --- | --- |"]
    for figure in figures.values():
        ratio = figure.ratio()
        rows.append(f"| {figure.label} ({figure.unit}) | {figure.cell(OURS)} | {figure.cell(FLOOR)} | "
                    f"{'–' if ratio is None else f'{ratio:.2f}×'} |")
    return "\n".join(rows)


def drag_target_note(figures: dict[str, Figure], models: list[str]) -> str:
    """How many models meet figure 4's target in each kind of drag."""
    parts = []
    for kind, name in (("in_page", "in-page"), ("mouse", "mouse")):
        met = [m for m in models if meets_drag_target(figures[f"drag_{kind}_per_s:{m}"])]
        parts.append(f"{len(met)} of {len(models)} models in the {name} drag")
    return (f"Figure 4 target: ≥ {DRAG_TARGET_PER_S} pictures/s or ≥ {DRAG_TARGET_SHARE}× the "
            f"canvas-only page; met by {' and '.join(parts)}.")


def decoding_table(figures: dict[str, Figure], models: list[str], drag_s: float) -> str:
    """Per model: decodes/s in the page against torch on one thread, and the mouse drag."""
    rows = ["| model | page (1/s) | torch, 1 thread (1/s) | page / torch | mouse drag (pictures/s) | "
            f"pictures in a {drag_s:g}-s mouse drag |", "| --- | --- | --- | --- | --- | --- |"]
    for model in models:
        page, torch = (figures[f"decode_{side}_per_s:{model}"].median(OURS) for side in ("browser", "torch"))
        mouse = figures[f"drag_mouse_per_s:{model}"].median(OURS)
        rows.append(f"| {model} | {fmt(page)} | {fmt(torch)} | {page / torch:.2f}× | {fmt(mouse)} | "
                    f"{mouse * drag_s:.0f} |")
    return "\n".join(rows)


def meets_drag_target(figure: Figure) -> bool:
    ours, ratio = figure.median(OURS), figure.ratio()
    return ours >= DRAG_TARGET_PER_S or (ratio is not None and ratio >= DRAG_TARGET_SHARE)


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown")
    return {"cpu": cpu, "cores": os.cpu_count(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def footer(run: dict) -> str:
    host = run["machine"]
    return (f"Ratio: Latent Atlas / floor app; for 4 the floor column is the canvas-only page (the drag "
            f"ceiling of this browser). {repeats(run['repeats'])}\n"
            f"{host['cpu']}, {host['cores']} cores, torch threads {run['torch_threads']} · "
            f"Chromium {run['chromium']} · {host['date']} · "
            f"`{run['command']}`")


def repeats(count: int) -> str:
    return "One repeat." if count == 1 else f"Medians of {count} repeats, their range in brackets."


def write_json(path: Path, run: dict, figures: dict[str, Figure]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {**run, "figures": {key: figure.as_json() for key, figure in figures.items()}}
    path.write_text(json.dumps(document, indent=2) + "\n")
