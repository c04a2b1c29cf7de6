#!/usr/bin/env python3
"""How evenly a run covers the scenario space: balanced (stratified) scenario slots vs independent draws.

    .venv/bin/python bench/bench_coverage.py --personas 200 --seeds 1,2,3

For each seed, the same run twice against the repo's stub (`personagen run -n N -e default -k 1`): once with the
default `[coverage] balance` (every scenario attribute balanced over the persona indices), once with
`balance = []` (every slot drawn independently, as before balancing existed). Prints, per attribute, the
entropy of the values over the personas' first scenario drafts (what the sampler controls) and over the accepted
texts, normalised by log(vocabulary size) so that a value never drawn counts against it (1 = every value of the
vocabulary equally often), the spread of draft counts per value (max - min, zeros included), and the thin cells
(emotion x vocabulary value with fewer than 2 texts, empty ones included), as medians [min-max] over the seeds.
Stub texts are word salad: only the coverage figures mean something here.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.stub_process import start_stub  # noqa: E402
from personagen.agents.events import OutputEvent, ScenarioData  # noqa: E402
from personagen.inspection.coverage import SCENARIO_FIELDS, THIN  # noqa: E402
from personagen.personas.vocab import SLOTS, load_vocab  # noqa: E402
from personagen.pipeline import execute  # noqa: E402
from personagen.runformat.folder import iter_events  # noqa: E402
from personagen.runformat.lines import iter_jsonl  # noqa: E402
from personagen.settings import CoverageSettings, load_settings  # noqa: E402

VOCAB = load_vocab()
SAMPLINGS = {"balanced": CoverageSettings(), "independent": CoverageSettings(balance=[])}


def first_drafts(folder: Path) -> list[dict]:
    """The slots each persona's first scenario draft was given (from the scenario designer's output events)."""
    return [e.data.model_dump(mode="json") for e in iter_events(folder / "events.jsonl")
            if isinstance(e, OutputEvent) and e.attempt == 1 and isinstance(e.data, ScenarioData)]


def entropy(counts: Counter, values: tuple[str, ...]) -> float:
    """Shannon entropy over the vocabulary's values divided by log(vocabulary size): 1 = every value equally."""
    total = sum(counts[v] for v in values)
    h = -sum(counts[v] / total * math.log(counts[v] / total) for v in values if counts[v])
    return h / math.log(len(values))


def attribute_figures(name: str, values: tuple[str, ...], drafts: list[dict], records: list[dict]) -> dict:
    per_value = Counter(d[name] for d in drafts)
    cells = Counter((r["emotion"], r["scenario"][name]) for r in records if r.get("scenario"))
    emotions = sorted({r["emotion"] for r in records})
    return {f"{name}: drafts entropy": entropy(per_value, values),
            f"{name}: drafts max-min per value": max(per_value[v] for v in values) - min(per_value[v] for v in values),
            f"{name}: texts entropy": entropy(Counter(v for _, v in cells.elements()), values),
            f"{name}: thin cells (< {THIN} texts) of {len(emotions) * len(values)}":
                sum(1 for e in emotions for v in values if cells[(e, v)] < THIN)}


def one_run(runs: Path, url: str, personas: int, seed: int, sampling: str) -> dict:
    settings = load_settings(None, run={"personas": personas, "emotions": "default", "texts_per_emotion": 1,
                                        "seed": seed, "curate": False}, models={"base_url": url, "model": "stub"})
    settings = settings.model_copy(update={"coverage": SAMPLINGS[sampling]})
    folder = execute(settings, runs, f"{sampling}-{seed}").folder
    drafts = first_drafts(folder)
    records = list(iter_jsonl(folder / "records.jsonl"))
    row = {"sampling": sampling, "seed": seed, "personas": len(drafts), "texts": len(records)}
    for key, name in SLOTS.items():
        if name in SCENARIO_FIELDS:
            row.update(attribute_figures(name, getattr(VOCAB, key), drafts, records))
    return row


def spread(values: list[float]) -> str:
    fmt = (lambda v: f"{v:.3f}") if any(isinstance(v, float) for v in values) else str
    return f"{fmt(statistics.median(values))} [{fmt(min(values))}-{fmt(max(values))}]"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--personas", type=int, default=200)
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--json-out", type=Path)
    args = p.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    with tempfile.TemporaryDirectory() as tmp, start_stub(latency=0.0) as (_, url):
        rows = [one_run(Path(tmp), url, args.personas, seed, sampling) for seed in seeds for sampling in SAMPLINGS]
    keys = [k for k in rows[0] if k not in ("sampling", "seed")]
    print(f"| (median [min-max] over seeds {args.seeds}, {args.personas} personas) | "
          + " | ".join(SAMPLINGS) + " |")
    print("|---|" + "---|" * len(SAMPLINGS))
    for key in keys:
        cells = [spread([r[key] for r in rows if r["sampling"] == s]) for s in SAMPLINGS]
        print(f"| {key} | " + " | ".join(cells) + " |")
    if args.json_out:
        args.json_out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
