"""Label accuracy measured by people: what RUN/labels.jsonl (written by `personagen label`) says about a run.

Input: the run folder. Output: a dict (`metrics.json` key `human_labels`, and the dataset card's figures), or
None when nobody labelled the run. For the run's kept texts: how often the labeller's answer was the text's target
emotion, overall and per target emotion, each a share with its 95% Wilson score interval, and how often the
answer was "no clear emotion" or "other"; for the controls (real texts with human labels mixed in, unknown to the
labeller): how often the answer agreed with the real label, the same way. A labeller answering one item twice
(two sessions at once) counts once, the first answer. Cheap: no model, no extra.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from personagen.labelling import NO_EMOTION, OTHER, LabelRow, read_labels

Z95 = 1.959964  # the normal quantile of a two-sided 95% interval


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of k successes in n trials (Wilson 1927; (0, 1) when n is 0)."""
    if n == 0:
        return 0.0, 1.0
    p, z2 = k / n, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def rate(k: int, n: int) -> dict[str, Any]:
    """k of n as a share with its 95% Wilson interval."""
    low, high = wilson(k, n)
    return {"k": k, "n": n, "share": round(k / n, 4) if n else None, "low": round(low, 4), "high": round(high, 4)}


def agreement(rows: list[LabelRow]) -> dict[str, Any]:
    """How often the answers were the truth, overall and per true label, and how often none was given."""
    truths = sorted({r.truth for r in rows})
    return {
        "overall": rate(sum(r.answer == r.truth for r in rows), len(rows)),
        "per_emotion": {t: rate(sum(r.answer == r.truth for r in rows if r.truth == t),
                                sum(r.truth == t for r in rows)) for t in truths},
        "no_clear_emotion": rate(sum(r.answer == NO_EMOTION for r in rows), len(rows)),
        "other": rate(sum(r.answer == OTHER for r in rows), len(rows)),
    }


def first_answers(rows: list[LabelRow]) -> list[LabelRow]:
    seen: set[tuple[str, str]] = set()
    out = []
    for row in rows:
        if (row.labeller, row.item) not in seen:
            seen.add((row.labeller, row.item))
            out.append(row)
    return out


def label_accuracy(folder: Path, warnings: list[str] | None = None) -> dict[str, Any] | None:
    """The measured label accuracy of the run in `folder` (see the module doc), or None without labels."""
    rows = first_answers(read_labels(folder, warnings))
    if not rows:
        return None
    texts = [r for r in rows if r.kind == "text"]
    controls = [r for r in rows if r.kind == "control"]
    return {
        "source": str(folder / "labels.jsonl"),
        "labellers": sorted({r.labeller for r in rows}),
        "texts": agreement(texts) if texts else None,
        "controls": agreement(controls) if controls else None,
    }


def interval(r: dict[str, Any]) -> str:
    """'19% [9%-34%] (7/37)', or '-' for no answers."""
    if not r or not r["n"]:
        return "-"
    return f"{r['share']:.0%} [{r['low']:.0%}-{r['high']:.0%}] ({r['k']}/{r['n']})"


def section_html(summary: dict[str, Any], table: Callable[[list[str], list[list[Any]]], str]) -> str:
    """The report's section (rendered with the report's own `table`)."""
    out = [f"<h2>Label accuracy measured by people</h2><p class=note>From {html.escape(summary['source'])}, "
           f"labelled blind by {html.escape(', '.join(summary['labellers']))}; 95% Wilson intervals.</p>"]
    for key, title, head in (("texts", "Kept texts: answer = target emotion", "target"),
                             ("controls", "Controls (real labelled texts): answer = real label", "real label")):
        found = summary.get(key)
        if not found:
            continue
        rows = [[name, interval(r)] for name, r in found["per_emotion"].items()]
        rows += [["all", interval(found["overall"])], ["answered 'no clear emotion'",
                                                      interval(found["no_clear_emotion"])]]
        out.append(f"<h3>{title}</h3>" + table([head, "agreement [95% interval] (k/n)"], rows))
    return "".join(out)
