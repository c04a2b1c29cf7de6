#!/usr/bin/env python3
"""What a rewrite's feedback is worth: the same seeded run with `[critics] feedback` on and off.

    .venv/bin/python bench/bench_feedback.py --personas 50 [--embedded]

Against the repo's stub (or, with --embedded, the embedded model), with one extra rule critic, `banned_word`,
that rejects a text using one of a few words and names the word in its reason ("uses the banned word 'rain'").
The stub heeds reasons the way an instruction-following model would (bench/stub_replies.py `lexicon_for`: words
quoted in a prompt's "Why:" lines are not used), so with feedback a rejected text's rewrite avoids the word;
without it the rewrite is another draw. The stub's random emotion judge is disabled (its verdicts are noise).
Prints, per setting: texts accepted and dropped, acceptance of texts at attempt 1, 2, 3, calls per accepted text,
wall time per accepted text.

With --embedded the critics are the embedded model's defaults (the enforced `offline_emotion` included: it is the
emotion check there) without the advisory LLM judge `emotion_fidelity`, and a third run, feedback on without
`offline_emotion`, prices that critic: its wall time per accepted text is the difference to the feedback-on run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.stub_process import start_stub  # noqa: E402
from personagen.critics import Candidate, Stage, Verdict, accept, critic, isolated_registry, reject  # noqa: E402
from personagen.pipeline import execute  # noqa: E402
from personagen.settings import load_settings  # noqa: E402

BANNED = ("rain", "train", "city", "window", "street")


def banned_word(candidate: Candidate) -> Verdict:
    words = set(candidate.expression.text.lower().replace(".", " ").split())
    found = [w for w in BANNED if w in words]
    return reject(*(f"uses the banned word '{w}'" for w in found)) if found else accept("no banned word")


def attempts_of(folder: Path) -> Counter[str]:
    """Accepted texts by the attempt that produced them, and dropped texts."""
    counts: Counter[str] = Counter()
    for line in (folder / "records.jsonl").read_text().splitlines():
        counts[f"attempt {json.loads(line)['attempt']}"] += 1
    for line in (folder / "personas.jsonl").read_text().splitlines():
        counts["dropped"] += json.loads(line)["texts"]["dropped"]
    return counts


def one_run(runs: Path, name: str, feedback: bool, models: dict, personas: int,
            disabled: tuple[str, ...] = ("emotion_fidelity", "offline_emotion")) -> dict:
    settings = load_settings(None, run={"personas": personas, "emotions": "joy,anger,sadness",
                                        "texts_per_emotion": 2, "seed": 5},
                             models=models, critics={"disable": list(disabled)})
    settings = settings.model_copy(update={"critics": settings.critics.model_copy(update={"feedback": feedback})})
    result = execute(settings, runs, name)
    s, counts = result.summary, attempts_of(result.folder)
    texts = s["texts"]["accepted"]
    return {"feedback": feedback, "disabled": list(disabled), "texts": texts, "dropped": counts["dropped"],
            **{k: counts[k] for k in ("attempt 1", "attempt 2", "attempt 3")},
            "calls_per_text": s["calls_per_text"], "wall_s": round(s["wall_s"], 1),
            "wall_per_text_s": round(s["wall_s"] / texts, 1) if texts else None,
            **{f"{c}_verdicts": s["critics"].get(c) for c in ("banned_word", "offline_emotion", "duplicates")}}


def embedded_rows(runs: Path, personas: int) -> list[dict]:
    """Feedback off and on with the embedded defaults (LLM judge off), then on without `offline_emotion`."""
    judge = ("emotion_fidelity",)
    return [one_run(runs, "fb-False", False, {}, personas, judge), one_run(runs, "fb-True", True, {}, personas, judge),
            one_run(runs, "fb-True-no-offline", True, {}, personas, (*judge, "offline_emotion"))]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--personas", type=int, default=50)
    p.add_argument("--embedded", action="store_true", help="the embedded model instead of the stub")
    args = p.parse_args()
    with isolated_registry(), tempfile.TemporaryDirectory() as tmp:
        critic("banned_word", stage=Stage.EXPRESSION, description="bench: rejects a few words")(banned_word)
        if args.embedded:
            rows = embedded_rows(Path(tmp), args.personas)
        else:
            with start_stub(latency=0.0) as (_, url):
                models = {"base_url": url, "model": "stub"}
                rows = [one_run(Path(tmp), f"fb-{on}", on, models, args.personas) for on in (False, True)]
    for row in rows:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
