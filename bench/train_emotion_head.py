"""Train the offline emotion critic's classifier head: logistic regression on MiniLM embeddings of GoEmotions-6.

Input: the GoEmotions-6 splits (`train.tsv`, `dev.tsv`, `test.tsv`: text, label, id; default
../shared/data/goemotions6 beside the repository). Output: `agents/critics/assets/emotion_head.json` (the six
labels, a 6 x 384 weight matrix and biases, the rejection threshold `reject_below`, and the figures below), and
a printout of accuracy, macro-F1 and per-emotion precision/recall on the test split.

Deterministic: the embeddings are the int8 MiniLM's (one onnxruntime thread), the solver is lbfgs from zeros
(no random state involved), and the weights are rounded to 6 decimals before they are written.
- C (inverse regularisation) is picked on dev (accuracy) from a small grid, then the model is refit on train.
- The threshold: the critic rejects a text written for emotion t when the head gives t a probability below
  `reject_below` (it is then >= 1 - reject_below sure the text carries another emotion). On dev every text is
  correctly labelled, so a dev text rejected under its own label is a false rejection; `reject_below` is the
  highest value whose false-rejection rate on dev is at most MAX_FALSE_REJECTIONS (the stricter the critic, the
  more correct texts it sends back for a rewrite). Per value, the script also prints the share of mislabelled
  pairs (a dev text under each of the 5 labels it does not have) that are caught. This rule caught 82% of them
  at 5% false rejections on dev, where "reject when the top emotion is another one with probability >= x"
  caught 54%: probability spread over two wrong emotions still rejects.
- The strength threshold: offline_strength rejects a text whose logit for its target emotion is below
  `clear_below` (a flat text is weak on all six). GoEmotions-6 has no neutral texts, so the value is the quantile
  of the correct dev texts' own logits at MAX_WEAK_REJECTIONS: it rejects that share of real, correctly labelled
  texts (the price); what it catches is measured on labelled model drafts by bench/bench_flat_texts.py.

Needs scikit-learn (the `eval` extra); the critic itself needs only onnxruntime, tokenizers and the model package.

    .venv/bin/python bench/train_emotion_head.py [--data DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "goemotions6"
OUT = ROOT / "agents" / "critics" / "assets" / "emotion_head.json"
sys.path.insert(0, str(ROOT))

from personagen.agents.sentence_embedder import MINILM_ID, SentenceEmbedder  # noqa: E402

LABELS = ("sadness", "joy", "love", "anger", "fear", "surprise")
C_GRID = (0.3, 1.0, 3.0, 10.0, 30.0)
THRESHOLDS = tuple(round(0.01 * i, 2) for i in range(1, 31))  # reject_below: 0.01 .. 0.30
MAX_FALSE_REJECTIONS = 0.05
STRENGTH_SHARES = (0.05, 0.10, 0.15, 0.20, 0.25, 0.30)  # shares of correct dev texts offline_strength may reject
MAX_WEAK_REJECTIONS = 0.20


def read_split(path: Path) -> tuple[list[str], np.ndarray]:
    """Texts and label indices of a `text<TAB>label[<TAB>id]` file with a header (split on tabs, never CSV)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    rows = [line.split("\t") for line in lines[1:]]
    rows = [r for r in rows if len(r) > 1 and r[header.index("text")].strip()]
    texts = [r[header.index("text")].strip() for r in rows]
    labels = np.array([LABELS.index(r[header.index("label")].strip()) for r in rows])
    return texts, labels


def fit(x: np.ndarray, y: np.ndarray, c: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, solver="lbfgs", max_iter=2000, tol=1e-6).fit(x, y)


def softmax(x: np.ndarray, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    logits = x @ weights.T + bias
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)


def rejection_curve(probs: np.ndarray, y: np.ndarray) -> list[dict[str, float]]:
    """Per `reject_below` value: the share of correct pairs rejected (false rejections) and of mislabelled pairs
    caught (a text under one of the 5 labels it does not have, rejected when that label's probability is below)."""
    rows = []
    own = probs[np.arange(len(y)), y]
    for threshold in THRESHOLDS:
        caught = sum(int(np.sum((probs[:, t] < threshold) & (y != t))) for t in range(len(LABELS)))
        pairs = sum(int(np.sum(y != t)) for t in range(len(LABELS)))
        rows.append({"reject_below": threshold, "false_rejections": round(float(np.mean(own < threshold)), 4),
                     "mislabelled_caught": round(caught / pairs, 4)})
    return rows


def own_logits(x: np.ndarray, y: np.ndarray, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Each text's logit for its own (correct) label: its strength, as offline_strength reads it."""
    return (x @ weights.T + bias)[np.arange(len(y)), y]


def strength_curve(dev: np.ndarray, test: np.ndarray) -> list[dict[str, float]]:
    """Per share of correctly labelled dev texts rejected: the strength threshold (`clear_below`) and the share
    of test texts it rejects."""
    rows = []
    for share in STRENGTH_SHARES:
        threshold = round(float(np.quantile(dev, share)), 2)
        rows.append({"clear_below": threshold, "dev_rejected": round(float(np.mean(dev < threshold)), 4),
                     "test_rejected": round(float(np.mean(test < threshold)), 4)})
    return rows


def pick_threshold(curve: list[dict[str, float]]) -> float:
    return max(r["reject_below"] for r in curve if r["false_rejections"] <= MAX_FALSE_REJECTIONS)


def test_report(probs: np.ndarray, y: np.ndarray) -> dict[str, object]:
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    predicted = probs.argmax(axis=1)
    precision, recall, _, support = precision_recall_fscore_support(y, predicted, labels=range(len(LABELS)),
                                                                    zero_division=0)
    return {"accuracy": round(float(np.mean(predicted == y)), 4),
            "macro_f1": round(float(f1_score(y, predicted, average="macro")), 4),
            "precision": {lb: round(float(p), 4) for lb, p in zip(LABELS, precision, strict=True)},
            "recall": {lb: round(float(r), 4) for lb, r in zip(LABELS, recall, strict=True)},
            "support": {lb: int(s) for lb, s in zip(LABELS, support, strict=True)}}


def train(data: Path) -> dict[str, object]:
    embedder = SentenceEmbedder(threads=1)
    splits = {name: read_split(data / f"{name}.tsv") for name in ("train", "dev", "test")}
    x = {name: embedder.embed(texts) for name, (texts, _) in splits.items()}
    y = {name: labels for name, (_, labels) in splits.items()}
    scores = {c: float(np.mean(fit(x["train"], y["train"], c).predict(x["dev"]) == y["dev"])) for c in C_GRID}
    best_c = max(C_GRID, key=lambda c: (scores[c], -c))
    model = fit(x["train"], y["train"], best_c)
    weights, bias = np.round(model.coef_, 6), np.round(model.intercept_, 6)
    curve = rejection_curve(softmax(x["dev"], weights, bias), y["dev"])
    threshold = pick_threshold(curve)
    test = test_report(softmax(x["test"], weights, bias), y["test"])
    test_curve = {r["reject_below"]: r for r in rejection_curve(softmax(x["test"], weights, bias), y["test"])}
    strength = strength_curve(own_logits(x["dev"], y["dev"], weights, bias),
                              own_logits(x["test"], y["test"], weights, bias))
    clear_below = strength[STRENGTH_SHARES.index(MAX_WEAK_REJECTIONS)]["clear_below"]
    return {"format": 1, "embedding_model": MINILM_ID, "labels": list(LABELS), "reject_below": threshold,
            "clear_below": clear_below, "strength_curve": strength,
            "trained_on": "GoEmotions-6 train (Demszky et al., 2020), C chosen on dev, threshold on dev",
            "c": best_c, "dev_accuracy_by_c": scores, "dev_rejection_curve": curve,
            "test": test | {"at_threshold": test_curve[threshold]}, "n": {k: len(v) for k, v in y.items()},
            "weights": weights.tolist(), "bias": bias.tolist()}


def print_report(head: dict) -> None:
    test = head["test"]
    print(f"C={head['c']} (dev accuracy by C: {head['dev_accuracy_by_c']})")
    print(f"test: accuracy {test['accuracy']:.3f}, macro-F1 {test['macro_f1']:.3f} on {head['n']['test']} texts")
    print("emotion   precision recall support")
    for label in head["labels"]:
        print(f"{label:<9} {test['precision'][label]:9.3f} {test['recall'][label]:6.3f} {test['support'][label]:7d}")
    print("reject_below  dev false rejections  dev mislabelled caught")
    for row in head["dev_rejection_curve"]:
        mark = "  <- chosen" if row["reject_below"] == head["reject_below"] else ""
        print(f"{row['reject_below']:12.2f}  {row['false_rejections']:20.3f}  {row['mislabelled_caught']:22.3f}{mark}")
    at = test["at_threshold"]
    print(f"on test at reject_below {head['reject_below']}: false rejections {at['false_rejections']:.3f}, "
          f"mislabelled caught {at['mislabelled_caught']:.3f}")
    print("offline_strength: clear_below  dev correct texts rejected  test correct texts rejected")
    for row in head["strength_curve"]:
        mark = "  <- chosen" if row["clear_below"] == head["clear_below"] else ""
        print(f"{row['clear_below']:30.2f}  {row['dev_rejected']:26.3f}  {row['test_rejected']:27.3f}{mark}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder with train.tsv, dev.tsv, test.tsv")
    parser.add_argument("--out", type=Path, default=OUT, help="where the head goes (JSON)")
    args = parser.parse_args(argv)
    head = train(args.data)
    print_report(head)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(head, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
