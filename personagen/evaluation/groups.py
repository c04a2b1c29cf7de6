"""Per group: do the critics drop some groups' texts more, and are some groups' labels less right?

Input: the run's personas (personas.jsonl rows: the base persona, text slots requested and kept), its records
(the kept texts, each with its persona and verdicts) and the labels people gave (labels.jsonl). Output: a dict
(`metrics.json` key `groups`) and a report section:
- per gender and per age band (the age bands of the persona's locale table; with personas of several locales,
  per locale too, e.g. "jp / female"): personas, text slots requested, kept, the acceptance rate (kept /
  requested, 95% Wilson interval), the judged label agreement (kept texts a person labelled with their target, of
  those labelled: `personagen label`) and the classifier's agreement (kept texts whose `offline_emotion` verdict
  read the target as the top emotion, of those it judged);
- the demographic mix of the kept texts per emotion against the sampled personas (the personas that reached the
  writer, weighted by their text slots of that emotion): the shares per group and the total variation distance.
Personas dropped before the writer have no text slots and count only in `personas`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from functools import cache
from typing import Any

from personagen.evaluation.label_accuracy import interval, rate
from personagen.evaluation.population import OTHER, age_band_of, normalise, tvd
from personagen.label_quality import reads_target
from personagen.labelling import LabelRow
from personagen.personas.locale import TableError, load_locale
from personagen.personas.models import Verdict

CLASSIFIER = "offline_emotion"
ATTRIBUTES = ("gender", "age_band")


@cache
def _band(locale: str) -> Callable[[Any], str]:
    try:
        return age_band_of(load_locale(locale))
    except TableError:
        return lambda age: OTHER


def group_of(base: dict[str, Any], attribute: str, several_locales: bool) -> str:
    """The persona's group for `attribute` ('female', '25-34', ...), prefixed by its locale when there are several."""
    locale = str(base.get("locale") or "")
    value = _band(locale)(base.get("age")) if attribute == "age_band" else str(base.get(attribute) or OTHER)
    return f"{locale} / {value}" if several_locales else value


class Cells:
    """Counts per (attribute, group)."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], Counter] = defaultdict(Counter)

    def add(self, groups: dict[str, str], **counts: int) -> None:
        for attribute, group in groups.items():
            self.counts[(attribute, group)].update(counts)

    def to_json(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for (attribute, group), c in sorted(self.counts.items()):
            out.setdefault(attribute, {})[group] = {
                "personas": c["personas"], "requested": c["requested"], "kept": c["kept"],
                "acceptance": rate(c["kept"], c["requested"]),
                "judged_agreement": rate(c["judged_agree"], c["judged"]),
                "classifier_agreement": rate(c["read_agree"], c["read"]),
            }
        return out


def classifier_reading(record: dict[str, Any]) -> bool | None:
    """Whether the record's offline_emotion verdict read its target as the top emotion (None: not judged)."""
    for verdict in record.get("verdicts") or []:
        if verdict.get("critic") == CLASSIFIER:
            return reads_target(Verdict.model_validate(verdict), str(record.get("emotion")))
    return None


def group_metrics(personas: list[dict[str, Any]], records: list[dict[str, Any]], labels: list[LabelRow],
                  emotions: list[str] | None = None) -> dict[str, Any] | None:
    """The per-group figures of the module doc (`emotions`: the run's, else those of the records), or None when
    no persona row has a base persona."""
    bases = {p["id"]: p["base"] for p in personas if isinstance(p.get("base"), dict) and p.get("id")}
    if not bases:
        return None
    several = len({b.get("locale") for b in bases.values()}) > 1
    groups = {pid: {a: group_of(b, a, several) for a in ATTRIBUTES} for pid, b in bases.items()}
    emotions = list(emotions or dict.fromkeys(str(r["emotion"]) for r in records))
    cells, slots = Cells(), defaultdict(Counter)
    for p in personas:
        if p.get("id") not in groups:
            continue
        requested = int((p.get("texts") or {}).get("requested") or 0)
        cells.add(groups[p["id"]], personas=1, requested=requested)
        if requested and p.get("status") == "accepted":
            for emotion in emotions:  # every emotion has the same number of slots per persona
                slots[emotion].update(groups[p["id"]].items())
    judged = {r.item: r for r in labels if r.kind == "text"}
    kept_mix: dict[str, Counter] = defaultdict(Counter)
    for record in records:
        found = groups.get(str(record.get("persona_id")))
        if found is None:
            continue
        label, reading = judged.get(str(record.get("id"))), classifier_reading(record)
        cells.add(found, kept=1, judged=label is not None, judged_agree=bool(label and label.answer == label.truth),
                  read=reading is not None, read_agree=bool(reading))
        kept_mix[str(record["emotion"])].update(found.items())
    return {"attributes": cells.to_json(), "several_locales": several,
            "mix": {e: mix(kept_mix[e], slots[e]) for e in emotions}}


def mix(kept: Counter, sampled: Counter) -> dict[str, Any]:
    """Per attribute: the kept texts' shares per group, the sampled personas' shares, and their TVD."""
    out = {}
    for attribute in ATTRIBUTES:
        have = normalise(Counter({g: n for (a, g), n in kept.items() if a == attribute}))
        want = normalise(Counter({g: n for (a, g), n in sampled.items() if a == attribute}))
        out[attribute] = {"kept": _round(have), "sampled": _round(want),
                          "tvd": round(tvd(have, want), 4) if have and want else None}
    return out


def _round(d: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in sorted(d.items())}


def section_html(g: dict[str, Any], table: Callable[[list[str], list[list[Any]]], str]) -> str:
    """The report's section (rendered with the report's own `table`)."""
    out = ["<h2>Per group</h2><p class=note>Acceptance: kept texts of the text slots requested; judged: kept texts "
           "a person labelled with their target (personagen label), of those labelled; classifier: kept texts "
           f"{CLASSIFIER} read as their target, of those it judged. 95% Wilson intervals.</p>"]
    for attribute, rows in g["attributes"].items():
        body = [[group, c["personas"], c["requested"], c["kept"], interval(c["acceptance"]),
                 interval(c["judged_agreement"]), interval(c["classifier_agreement"])] for group, c in rows.items()]
        out.append(f"<h3>By {attribute.replace('_', ' ')}</h3>" + table(
            ["group", "personas", "slots", "kept", "acceptance", "judged agreement", "classifier agreement"], body))
    for attribute in ATTRIBUTES:
        body = []
        for emotion, found in g["mix"].items():
            m = found[attribute]
            names = sorted(set(m["kept"]) | set(m["sampled"]))
            shares = "; ".join(f"{n} {m['kept'].get(n, 0):.0%} vs {m['sampled'].get(n, 0):.0%}" for n in names)
            body.append([emotion, shares, m["tvd"]])
        out.append(f"<h3>Kept texts by {attribute.replace('_', ' ')}, per emotion, against the sampled personas"
                   "</h3>" + table(["emotion", "kept vs sampled", "TVD"], body))
    return "".join(out)
