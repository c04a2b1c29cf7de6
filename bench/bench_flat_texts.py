#!/usr/bin/env python3
"""Which score tells a flat text from an emotional one: the offline classifier's scores against human labels.

    .venv/bin/python bench/bench_flat_texts.py [--data ../shared/data/goemotions6] [--labels FILE] [--vader LEXICON]

Two held-out sets, neither used to train the head or to set its thresholds:
- real emotional texts: GoEmotions-6 test (638 Reddit comments, each carrying its one label): the share that each
  critic rejects under its own label (false rejections: the price);
- model drafts read by a person: bench/offline_emotion_labels.jsonl (80 drafts of the embedded model, labelled
  blind as joy, anger, another emotion, or "none": no clear emotion): the ROC AUC of each score for "carries its
  target" against not, and for "emotional" (any label but none) against flat; then, at the shipped thresholds, how
  many drafts are kept and how many of them carry their target (precision, with a 95% Wilson interval).
GoEmotions-6 has no neutral texts, so there is no real flat text to test on: flat is measured on the drafts.

Scores: the target's probability (what offline_emotion thresholds), the top probability (a margin), the
log-sum-exp of the logits (an "energy" intensity score of any emotion), the target's logit (its strength: what
offline_strength thresholds), and, with --vader, the VADER lexicon's affect intensity (sum of |valence| of the
words found, over the square root of the word count; the lexicon is in the MIT-licensed `vaderSentiment` package
on PyPI, C.J. Hutto 2014: `pip download vaderSentiment==3.3.2`, vaderSentiment/vader_lexicon.txt).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.train_emotion_head import DATA, LABELS, read_split  # noqa: E402
from personagen.agents.critics.emotion_classifier import default_reader, softmax  # noqa: E402
from personagen.evaluation.label_accuracy import interval, rate  # noqa: E402

DRAFTS = ROOT / "bench" / "offline_emotion_labels.jsonl"


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """The probability that a random positive scores above a random negative (ties count half)."""
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def vader_scores(texts: list[str], lexicon: Path) -> np.ndarray:
    valence = {}
    for line in lexicon.read_text(encoding="utf-8").splitlines():
        word, value, *_ = line.split("\t")
        valence[word] = abs(float(value))
    out = []
    for text in texts:
        words = re.findall(r"[a-z']+", text.lower())
        out.append(sum(valence.get(w, 0.0) for w in words) / (len(words) ** 0.5 or 1.0))
    return np.array(out)


def scores(logits: np.ndarray, targets: np.ndarray) -> dict[str, np.ndarray]:
    probs, rows = softmax(logits), np.arange(len(targets))
    return {"target probability": probs[rows, targets], "top probability": probs.max(axis=1),
            "intensity (log-sum-exp)": np.log(np.exp(logits).sum(axis=1)),
            "target strength (logit)": logits[rows, targets]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--labels", type=Path, default=DRAFTS)
    p.add_argument("--vader", type=Path, help="vader_lexicon.txt, to score the lexicon too")
    args = p.parse_args()
    reader = default_reader()
    head = reader.head
    test_texts, test_y = read_split(args.data / "test.tsv")
    test_logits = reader.logits_now(test_texts)
    own = test_logits[np.arange(len(test_y)), test_y]
    print(f"GoEmotions-6 test, {len(test_y)} real texts, rejected under their own label:")
    print(f"  offline_emotion (target probability < {head.reject_below}): "
          f"{np.mean(softmax(test_logits)[np.arange(len(test_y)), test_y] < head.reject_below):.1%}")
    print(f"  offline_strength (target strength < {head.clear_below}): {np.mean(own < head.clear_below):.1%}")

    rows = [json.loads(line) for line in args.labels.open(encoding="utf-8")]
    texts = [r["text"] for r in rows]
    targets = np.array([LABELS.index(r["target"]) for r in rows])
    found = scores(reader.logits_now(texts), targets)
    if args.vader:
        found["VADER affect intensity"] = vader_scores(texts, args.vader)
    carry = np.array([r["label"] == r["target"] for r in rows])
    flat = np.array([r["label"] == "none" for r in rows])
    print(f"\n{args.labels.name}: {len(rows)} drafts, {carry.sum()} carry their target, {flat.sum()} flat")
    print(f"  {'score':26} AUC carry-vs-not  AUC emotional-vs-flat")
    for name, s in found.items():
        print(f"  {name:26} {auc(s[carry], s[~carry]):16.2f}  {auc(s[~flat], s[flat]):20.2f}")
    emotion_ok = found["target probability"] >= head.reject_below
    strong = found["target strength (logit)"] >= head.clear_below
    for name, kept in (("all drafts", np.ones(len(rows), bool)), ("offline_emotion alone", emotion_ok),
                       ("offline_emotion + offline_strength", emotion_ok & strong)):
        n = int(kept.sum())
        print(f"  {name:36} kept {n:2d}: carry their target {interval(rate(int(carry[kept].sum()), n))}, "
              f"flat {interval(rate(int(flat[kept].sum()), n))}")
    caught = ~strong & flat
    print(f"  offline_strength rejects {int((~strong).sum())} drafts: {int(caught.sum())} of the {int(flat.sum())} "
          f"flat ones (precision {interval(rate(int(caught.sum()), int((~strong).sum())))} flat)")


if __name__ == "__main__":
    main()
