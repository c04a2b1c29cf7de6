"""Coverage of a run's dataset: accepted texts per emotion x scenario attribute and x demographic band.

Input: a run folder (records.jsonl, read through `personagen.runformat.lines.iter_jsonl` by `personagen.export`).
Output: a `Coverage`: for each attribute (scenario location, partner, medium, language style; persona age band,
gender, occupation major group) the counts per emotion and value, the normalised entropy of the attribute's
values (0 = one value only, 1 = every value seen equally often) and the thin cells (count below a threshold,
empty ones included: for scenario attributes also the vocabulary's values no record has,
listed as `unseen`). The curated view is used when the run's curation is current (near-duplicates left out,
as `personagen export` does); otherwise every record, and `records` says which. Nothing is curated here.
Records without a scenario (a `--stages base` or `base+socio` run) give no scenario attributes and a note.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from personagen.evaluation.population import OTHER, major_group
from personagen.export import ExportError, read_records, select_records
from personagen.personas.vocab import SLOTS, load_vocab
from personagen.runformat.folder import RunFolder

SCENARIO_FIELDS = ("location", "partner", "medium", "language_style")
AGE_BANDS = ((0, 24, "<25"), (25, 34, "25-34"), (35, 44, "35-44"), (45, 54, "45-54"), (55, 64, "55-64"))
THIN = 2
NO_SCENARIO = "no scenario: the records have none (a run with --stages base or base+socio)"


@dataclass
class Attribute:
    """One attribute's table: counts[emotion][value]."""

    name: str
    source: str  # "scenario" or "persona"
    counts: dict[str, dict[str, int]]
    values: list[str]
    entropy: float
    thin: list[tuple[str, str, int]]  # (emotion, value, count) with count < threshold
    unseen: list[str] = field(default_factory=list)  # vocabulary values no record has (in `values`, at the end)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source, "values": self.values, "counts": self.counts, "entropy": round(self.entropy, 4),
            "thin": [{"emotion": e, "value": v, "count": n} for e, v, n in self.thin], "unseen": self.unseen,
        }


@dataclass
class Coverage:
    """The coverage tables of one run."""

    run: str
    records: str  # "curated" or "all"
    note: str
    n_records: int
    threshold: int
    emotions: list[str]
    attributes: list[Attribute] = field(default_factory=list)
    scenario_note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run, "records": self.records, "note": self.note, "n_records": self.n_records,
            "threshold": self.threshold, "emotions": self.emotions, "scenario": self.scenario_note,
            "attributes": {a.name: a.to_json() for a in self.attributes},
        }


def age_band(age: Any) -> str:
    """Coverage age band (<25, 25-34, ..., 65+): ten-year bands, coarser than the locale's census rows so that
    cells of a small run are not all thin."""
    if not isinstance(age, int | float) or isinstance(age, bool):
        return OTHER
    for low, high, label in AGE_BANDS:
        if low <= age <= high:
            return label
    return "65+"


def persona_values(persona: dict[str, Any]) -> dict[str, str]:
    """The demographic bands of a record's persona (occupation group as population fidelity derives it)."""
    return {
        "age_band": age_band(persona.get("age")),
        "gender": str(persona.get("gender") or OTHER),
        "occupation_major_group": major_group(persona.get("occupation_code")),
    }


def scenario_values(scenario: dict[str, Any] | None) -> dict[str, str]:
    """The scenario attributes of a record; {} without a scenario."""
    if not isinstance(scenario, dict):
        return {}
    return {name: str(scenario.get(name) or OTHER) for name in SCENARIO_FIELDS}


def normalised_entropy(counts: Counter) -> float:
    """Shannon entropy of the counts divided by its maximum, log(number of values seen): 0..1 (0 with <2 values)."""
    total, k = sum(counts.values()), sum(1 for n in counts.values() if n > 0)
    if k < 2:
        return 0.0
    h = -sum(n / total * math.log(n / total) for n in counts.values() if n > 0)
    return h / math.log(k)


def attribute_table(name: str, source: str, pairs: list[tuple[str, str]], emotions: list[str],
                    threshold: int, known: tuple[str, ...] = ()) -> Attribute:
    """One attribute from (emotion, value) pairs: counts, entropy, thin cells (every emotion x value seen, and
    x each `known` value no record has: the vocabulary's values never drawn)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for emotion, value in pairs:
        counts[emotion][value] += 1
    marginal = Counter(value for _, value in pairs)
    unseen = [v for v in known if v not in marginal]
    values = sorted(marginal, key=lambda v: (-marginal[v], v)) + unseen
    thin = [(e, v, counts[e][v]) for e in emotions for v in values if counts[e][v] < threshold]
    return Attribute(name, source, {e: {v: counts[e][v] for v in values} for e in emotions}, values,
                     normalised_entropy(marginal), thin, unseen)


def coverage_of(records: list[dict[str, Any]], run: str = "", records_kind: str = "all", note: str = "",
                threshold: int = THIN, vocabulary: dict[str, tuple[str, ...]] | None = None) -> Coverage:
    """Coverage tables of these records; `vocabulary` (scenario attribute -> the run's values) adds the values
    never drawn as empty cells."""
    emotions = sorted({str(r.get("emotion")) for r in records})
    rows = [(str(r.get("emotion")), scenario_values(r.get("scenario")), persona_values(r.get("persona") or {}))
            for r in records]
    result = Coverage(run, records_kind, note, len(records), threshold, emotions)
    with_scenario = [(e, s) for e, s, _ in rows if s]
    if with_scenario:
        for name in SCENARIO_FIELDS:
            pairs = [(e, s[name]) for e, s in with_scenario]
            known = (vocabulary or {}).get(name, ())
            result.attributes.append(attribute_table(name, "scenario", pairs, emotions, threshold, known))
        if len(with_scenario) < len(rows):
            result.scenario_note = f"{len(rows) - len(with_scenario)} of {len(rows)} records have no scenario"
    else:
        result.scenario_note = NO_SCENARIO
    for name in ("age_band", "gender", "occupation_major_group"):
        pairs = [(e, p[name]) for e, _, p in rows]
        result.attributes.append(attribute_table(name, "persona", pairs, emotions, threshold))
    return result


def dataset_records(folder: Path) -> tuple[list[dict[str, Any]], str, str]:
    """(records, "curated" or "all", a note saying which): the curated view when the run's curation is current."""
    try:
        records, left_out, _ = select_records(folder, curated=True, curate=lambda _folder: None)
    except ExportError:
        return list(read_records(folder)), "all", "all records (no current curation: run `personagen curate`)"
    return records, "curated", f"curated view ({left_out} near-duplicates left out)"


def run_coverage(folder: Path, run_id: str | None = None, threshold: int = THIN) -> Coverage:
    """Coverage of a run folder's dataset."""
    if not (folder / "records.jsonl").is_file():
        return coverage_of([], run_id or folder.name, "all", "no records.jsonl yet", threshold)
    records, kind, note = dataset_records(folder)
    return coverage_of(records, run_id or folder.name, kind, note, threshold, run_vocabulary(folder))


def run_vocabulary(folder: Path) -> dict[str, tuple[str, ...]] | None:
    """The scenario values the run could draw (its locale's vocabulary with its overrides), by attribute; None
    when config.json does not say (a run from an older version, a hand-made folder)."""
    try:
        settings = RunFolder(folder).settings()  # RunFormatError (a ValueError) when it has none it can read
        vocab = load_vocab(settings.scenario_vocab, locale=settings.run.locale, language=settings.run.language)
    except ValueError:
        return None
    return {attribute: getattr(vocab, key) for key, attribute in SLOTS.items()}
