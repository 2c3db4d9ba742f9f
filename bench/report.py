"""Figures (median, min, max of several runs), targets, the table and ``BENCHMARKS.md``."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

SIZES = ("small", "medium", "large")


@dataclass
class Figure:
    """One measurement at one size: the value of every run (ratios: one per run pair)."""

    key: str
    size: str
    label: str
    unit: str
    values: list[float] = field(default_factory=list)
    note: str = ""
    target: str = ""  # e.g. "≤ 3.0"; judged on the median
    met: bool | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def low(self) -> float:
        return min(self.values) if self.values else float("nan")

    @property
    def high(self) -> float:
        return max(self.values) if self.values else float("nan")


class Results:
    """Every figure of a bench run, in the order measured."""

    def __init__(self) -> None:
        self.figures: list[Figure] = []
        self.checks: dict[str, dict[str, Any]] = {}  # size -> consistency checks
        self.details: dict[str, dict[str, Any]] = {}  # size -> anything worth keeping

    def add(self, key: str, size: str, label: str, unit: str, values: Iterable[float],
            note: str = "") -> Figure:
        fig = Figure(key, size, label, unit, [float(v) for v in values], note)
        self.figures.append(fig)
        return fig

    def get(self, key: str, size: str) -> Figure | None:
        return next((f for f in self.figures if f.key == key and f.size == size), None)


def ratios(a: list[float], b: list[float]) -> list[float]:
    """Per-run ratios a[i] / b[i] of runs measured side by side."""
    return [x / y for x, y in zip(a, b, strict=False) if y]


# --- targets --------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    key: str
    size: str | None  # None: judged at every size measured (summary: the largest)
    test: Callable[[float], bool]
    text: str


TARGETS = [
    Target("full refresh at large ≤ 3× the limit", "ratio.full_vs_limit", "large",
           lambda v: v <= 3.0, "≤ 3×"),
    Target("incremental refresh at large ≤ 15% of full", "ratio.incremental_vs_full", "large",
           lambda v: v <= 0.15, "≤ 0.15"),
    Target("incremental refresh at large ≤ 3× the small one", "ratio.incremental_large_vs_small",
           "large", lambda v: v <= 3.0, "≤ 3×"),
    Target("dashboard page data p95 ≤ 200 ms at large (cold)", "dashboard.cold.p95", "large",
           lambda v: v <= 200.0, "≤ 200 ms"),
    Target("dashboard page data p95 ≤ 200 ms at large (warm)", "dashboard.warm.p95", "large",
           lambda v: v <= 200.0, "≤ 200 ms"),
    Target("executive KPIs ≥ 20× faster than on the OLTP store at large",
           "ratio.oltp_vs_warehouse", "large", lambda v: v >= 20.0, "≥ 20×"),
    Target("import ≥ 50,000 lines/s (SQLite)", "import.sqlite.lines", None,
           lambda v: v >= 50_000, "≥ 50,000"),
    Target("import ≥ 50,000 lines/s (PostgreSQL)", "import.postgres.lines", None,
           lambda v: v >= 50_000, "≥ 50,000"),
    Target("form write p95 ≤ 50 ms (PostgreSQL)", "write.p95", None,
           lambda v: v <= 50.0, "≤ 50 ms"),
]


def judge(results: Results) -> list[dict[str, Any]]:
    """Mark each figure a target applies to; return one summary line per target."""
    summary = []
    for t in TARGETS:
        sizes = [t.size] if t.size else list(SIZES)
        judged = []
        for size in sizes:
            fig = results.get(t.key, size)
            if fig is None or not fig.values:
                continue
            fig.target, fig.met = t.text, t.test(fig.median)
            judged.append(fig)
        if t.size and not judged:
            # Not measured at the size the target names: say so, and judge the largest size run.
            for size in reversed(SIZES):
                fig = results.get(t.key, size)
                if fig is not None and fig.values:
                    fig.target = f"{t.text} (at large)"
                    summary.append({"target": t.name, "figure": fig, "met": None,
                                    "note": f"not measured at large; at {size}: "
                                            f"{fmt(fig.median, fig.unit)} "
                                            f"({'within' if t.test(fig.median) else 'outside'})"})
                    break
            else:
                summary.append({"target": t.name, "figure": None, "met": None,
                                "note": "not measured"})
            continue
        if not judged:
            summary.append({"target": t.name, "figure": None, "met": None, "note": "not measured"})
            continue
        fig = judged[-1]
        summary.append({"target": t.name, "figure": fig, "met": fig.met,
                        "note": f"at {fig.size}: {fmt(fig.median, fig.unit)}"})
    return summary


# --- formatting -----------------------------------------------------------------------------


def fmt(value: float, unit: str) -> str:
    if value != value:  # NaN
        return "—"
    if unit in {"rows/s", "lines/s", "orders/s"}:
        return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"
    if unit == "×":
        return f"{value:.2f}" if value < 10 else f"{value:,.1f}"
    if unit == "ms":
        return f"{value:.1f}" if value < 100 else f"{value:,.0f}"
    if unit == "MB":
        return f"{value:,.0f}"
    if unit == "s":
        return f"{value:.2f}" if value < 10 else f"{value:,.1f}"
    return f"{value:.3g}"


HEADER = ("measurement", "size", "median", "min", "max", "runs", "unit", "target", "met?")


def rows(results: Results) -> list[tuple[str, ...]]:
    out = []
    for f in results.figures:
        met = "" if f.met is None else ("yes" if f.met else "NO")
        label = f.label + (f" ({f.note})" if f.note else "")
        out.append((label, f.size, fmt(f.median, f.unit), fmt(f.low, f.unit),
                    fmt(f.high, f.unit), str(len(f.values)), f.unit, f.target, met))
    return out


def markdown_table(header: tuple[str, ...], body: list[tuple[str, ...]]) -> str:
    right = {"median", "min", "max", "runs", "seconds"}
    lines = ["| " + " | ".join(header) + " |",
             "| " + " | ".join("---:" if h in right else "---" for h in header) + " |"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in body]
    return "\n".join(lines)


def text_table(header: tuple[str, ...], body: list[tuple[str, ...]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *body, strict=False)]
    right = {"median", "min", "max", "runs"}

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.rjust(w) if h in right else c.ljust(w)
            for c, w, h in zip(cells, widths, header, strict=False)
        ).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), sep, *(line(r) for r in body)])
