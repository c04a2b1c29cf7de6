"""A price before the run (`personagen run ... --estimate`): a pilot of the same configuration, then a projection.

The pilot is the run itself, cut to its first personas (`--pilot K`, default 10 or the concurrency if larger):
a real run folder that the full run continues from (`personagen run --resume RUN -n N`: persona i's seed depends
only on the run seed and i, so nothing is paid twice and the dataset is the one a full run would write).

Input: the pilot's folder (events.jsonl: each model call with its persona, tokens and cost; summary.json: its wall
time) and the persona count of the whole run. Output: calls, tokens, cost and wall time for the whole run, each
with a range: what the pilot spent, plus the remaining personas at the pilot's mean per persona, plus or minus
t x the standard error of that mean (t for 95% with K - 1 degrees of freedom); the wall time scales the pilot's
rate to the run's concurrency, with the cost's relative range (at least 25%).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from personagen.agents.events import LlmCallEvent
from personagen.runformat.folder import iter_events
from personagen.runformat.lines import iter_jsonl

T95 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26, 10: 2.23, 15: 2.13,
       20: 2.09, 30: 2.04}  # two-sided 95% Student t by degrees of freedom
DEFAULT_PILOT = 10
MIN_WALL_SPREAD = 0.25


def t95(dof: int) -> float:
    return T95[max(d for d in T95 if d <= dof)] if dof >= 1 else T95[1]


@dataclass
class Range:
    low: float
    mid: float
    high: float


@dataclass
class Estimate:
    personas: int
    pilot: int
    calls: Range
    tokens: Range
    cost: Range | None
    wall_s: Range

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def per_persona(folder: Path, done: set[str]) -> dict[str, list[float]]:
    """calls, tokens and cost of each finished persona of the pilot (cost empty when unpriced)."""
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    priced = True
    for e in iter_events(folder / "events.jsonl"):
        if not isinstance(e, LlmCallEvent) or e.persona_id not in done:
            continue
        t = totals[e.persona_id]
        t["calls"] += 1
        t["tokens"] += (e.tokens_in or 0) + (e.tokens_out or 0)
        t["cost"] += e.cost or 0.0
        priced = priced and e.cost is not None
    keys = ("calls", "tokens", "cost") if priced else ("calls", "tokens")
    return {k: [totals[p][k] for p in sorted(done)] for k in keys}


def project(values: list[float], remaining: int) -> Range:
    """The pilot's total plus `remaining` personas at its mean, with the t-interval of that mean."""
    k = len(values)
    mean = statistics.fmean(values)
    half = remaining * t95(k - 1) * (statistics.stdev(values) / math.sqrt(k) if k > 1 else mean)
    done, mid = sum(values), sum(values) + remaining * mean
    return Range(max(done, mid - half), mid, mid + half)


def estimate(folder: Path, personas: int, concurrency: int, summary: dict[str, Any]) -> Estimate:
    """The whole run's projection from its pilot (folder written by the real pipeline)."""
    done = {row["id"] for row in iter_jsonl(folder / "personas.jsonl")}
    if not done:
        raise ValueError("the pilot finished no persona: nothing to project from")
    values = per_persona(folder, done)
    remaining = max(0, personas - len(done))
    calls, tokens = project(values["calls"], remaining), project(values["tokens"], remaining)
    cost = project(values["cost"], remaining) if "cost" in values else None
    spread = max(MIN_WALL_SPREAD, (calls.high - calls.mid) / calls.mid if calls.mid else 0.0)
    pilot_parallel = min(len(done), concurrency)
    wall = summary["wall_s"] * (1 + remaining / len(done) * pilot_parallel / concurrency)
    return Estimate(personas, len(done), calls, tokens, cost,
                    Range(wall * (1 - spread), wall, wall * (1 + spread)))


def lines(e: Estimate) -> list[str]:
    """The estimate as the terminal shows it."""
    def n(r: Range) -> str:
        return f"{r.mid:,.0f} ({r.low:,.0f} - {r.high:,.0f})"

    cost = (f"${e.cost.mid:.4f} (${e.cost.low:.4f} - ${e.cost.high:.4f})" if e.cost
            else "not priced (docs/costs.md)")
    w = e.wall_s
    return [f"estimate for {e.personas} personas, from a pilot of {e.pilot} (95% ranges):",
            f"  model calls  {n(e.calls)}", f"  tokens       {n(e.tokens)}", f"  cost         {cost}",
            f"  wall time    {w.mid / 60:.1f} min ({w.low / 60:.1f} - {w.high / 60:.1f})"]
