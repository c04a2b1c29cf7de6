#!/usr/bin/env python3
"""The offline emotion critic against human labels, on the drafts a model actually wrote.

    .venv/bin/python bench/bench_offline_labels.py                       # the table of docs/critics.md
    .venv/bin/python bench/bench_offline_labels.py --recorded            # the verdicts the runs recorded
    .venv/bin/python bench/bench_offline_labels.py --extract RUN [RUN ...] --out drafts.jsonl

--extract collects, from run folders, every draft the emotion writer made that reached `offline_emotion` (its
`output` events), with the critic's verdict and the target's probability (its `verdict` events), shuffled, with an
empty `label` for a reader to fill in blind (joy, anger, ..., "other" for another emotion, "none" for no clear
emotion). Without --extract it reads a labelled file (default: bench/offline_emotion_labels.jsonl, 80 drafts of
three embedded-model runs, `personagen run -n 6 -e joy,anger --seed 5/6/7`, labelled by one reader) and prints how
often the drafts carry their target emotion: all of them, those the critic kept, those it rejected, per emotion,
at stricter thresholds of the target's probability, the ROC AUC of that probability, and the verdicts' agreement
with the labels (kept and carrying the target, or rejected and not). The verdicts are the shipped classifier's
(model and head of this checkout, read again); --recorded reports those the runs recorded instead (an older head).
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from pathlib import Path

from personagen.agents.events import OutputEvent, VerdictEvent
from personagen.runformat.folder import iter_events

LABELS = Path(__file__).resolve().parent / "offline_emotion_labels.jsonl"


def extract(runs: list[Path], out: Path) -> None:
    drafts = []
    for run in runs:
        events = list(iter_events(run / "events.jsonl"))
        verdicts = {(e.persona_id, e.emotion, e.slot, e.attempt): e.data for e in events
                    if isinstance(e, VerdictEvent) and e.data.critic == "offline_emotion"}
        for e in events:
            if not isinstance(e, OutputEvent) or e.agent != "emotion_writer" or not isinstance(e.data, list):
                continue
            for c in e.data:
                verdict = verdicts.get((e.persona_id, c.emotion, c.slot, c.attempt))
                if verdict is not None:
                    drafts.append({"run": run.name, "persona_id": e.persona_id, "target": c.emotion,
                                   "slot": c.slot, "attempt": c.attempt, "text": c.text,
                                   "passed": verdict.passed, "target_probability": verdict.score, "label": ""})
    random.Random(1).shuffle(drafts)
    out.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in drafts), encoding="utf-8")
    print(f"{len(drafts)} drafts written to {out}; fill in `label` without looking at target, passed, probability")


def share(rows: list[dict]) -> str:
    hits = sum(r["label"] == r["target"] for r in rows)
    return f"{hits} of {len(rows)} ({hits / len(rows):.0%})" if rows else "-"


def auc(rows: list[dict]) -> float:
    pos = [r["target_probability"] for r in rows if r["label"] == r["target"]]
    neg = [r["target_probability"] for r in rows if r["label"] != r["target"]]
    return sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))


def rescore(rows: list[dict]) -> None:
    """Replace each draft's recorded verdict and target probability by the shipped classifier's."""
    from personagen.agents.critics.emotion_classifier import default_reader

    reader = default_reader()
    probs = reader.read_now([r["text"] for r in rows])
    for row, p in zip(rows, probs, strict=True):
        row["target_probability"] = float(p[reader.head.labels.index(row["target"])])
        row["passed"] = row["target_probability"] >= reader.head.reject_below


def report(path: Path, recorded: bool = False) -> None:
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    if not recorded:
        rescore(rows)
    print(f"{path.name}: {len(rows)} drafts; carry their target emotion:")
    print(f"  all drafts            {share(rows)}")
    print(f"  kept by the critic    {share([r for r in rows if r['passed']])}")
    print(f"  rejected by it        {share([r for r in rows if not r['passed']])}")
    for emotion in sorted({r["target"] for r in rows}):
        mine = [r for r in rows if r["target"] == emotion]
        print(f"  {emotion}: all {share(mine)}, kept {share([r for r in mine if r['passed']])}")
    for threshold in (0.2, 0.3, 0.4):
        kept = [r for r in rows if r["target_probability"] >= threshold]
        print(f"  target probability >= {threshold}: kept {share(kept)}")
    print(f"  labels: {dict(sorted(Counter(r['label'] for r in rows).items()))}")
    print(f"  ROC AUC of the target's probability: {auc(rows):.2f}")
    agree = sum(r["passed"] == (r["label"] == r["target"]) for r in rows)
    print(f"  verdicts agreeing with the labels: {agree} of {len(rows)} ({agree / len(rows):.0%})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--extract", nargs="+", type=Path, metavar="RUN")
    p.add_argument("--out", type=Path, default=Path("drafts.jsonl"))
    p.add_argument("--labels", type=Path, default=LABELS)
    p.add_argument("--recorded", action="store_true", help="the verdicts recorded by the runs, not read again")
    args = p.parse_args()
    if args.extract:
        extract(args.extract, args.out)
    else:
        report(args.labels, args.recorded)


if __name__ == "__main__":
    main()
