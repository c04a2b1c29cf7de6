#!/usr/bin/env python3
"""What choosing among drafts buys and costs, from run folders: slots kept, writer calls, wall time, and the
offline critics' scores of the kept draft against the first one (the draft a one-draft writer would have sent).

    .venv/bin/python bench/bench_drafts.py RUN [RUN ...]

Per run: text slots kept of requested, the emotion writer's calls, output tokens and summed latency, the run's
wall time (summary.json). For runs with several drafts per slot (`--drafts N`: the writer's `output` events list
every draft with each rule critic's score), per slot and attempt: how often the first draft and the kept draft
passed every rule critic, and the mean `offline_emotion` score (the target's probability) and `offline_strength`
score (1 / (1 + e^(clear_below - strength))) of each.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from statistics import mean

CRITICS = ("offline_emotion", "offline_strength")


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def describe(run: Path) -> None:
    events = lines(run / "events.jsonl")
    personas = lines(run / "personas.jsonl")
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    requested = sum(p.get("texts", {}).get("requested", 0) for p in personas)
    kept = sum(p.get("texts", {}).get("accepted", 0) for p in personas)
    calls = [e for e in events if e["type"] == "llm_call" and e["agent"] == "emotion_writer"]
    wall = summary.get("wall_s")
    print(f"{run.name}: kept {kept} of {requested} slots; writer calls {len(calls)}, "
          f"{sum(e.get('tokens_out') or 0 for e in calls)} output tokens, "
          f"{sum(e.get('latency_s') or 0 for e in calls):.0f} s; run wall time {wall} s")
    rows = [d for e in events if e["type"] == "output" and e["agent"] == "emotion_writer"
            for d in e["data"] if d.get("drafts")]
    if not rows:
        print("  one draft per slot (no drafts recorded)")
        return
    first = [r["drafts"][0] for r in rows]
    chosen = [next(d for d in r["drafts"] if d["text"] == r["text"]) for r in rows]
    print(f"  {len(rows)} slot attempts with {mean(len(r['drafts']) for r in rows):.1f} drafts each")
    for name, picked in (("first draft", first), ("kept draft", chosen)):
        passed = sum(d["passed"] for d in picked)
        scores = "; ".join(f"{c} {mean(d['scores'][c] for d in picked if c in d.get('scores', {})):.2f}"
                           for c in CRITICS if any(c in d.get("scores", {}) for d in picked))
        print(f"  {name:11}: passed the rule critics {passed} of {len(picked)} ({passed / len(picked):.0%}); "
              f"mean scores: {scores}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", type=Path)
    for run in p.parse_args().runs:
        describe(run)


if __name__ == "__main__":
    main()
