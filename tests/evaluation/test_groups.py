"""Per-group figures of the evaluation: acceptance, judged and classifier label agreement per gender and age band,
and the kept texts' demographic mix per emotion against the sampled personas, on a run the pipeline wrote."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from typer.testing import CliRunner

from personagen.cli import app
from personagen.evaluation.groups import group_metrics
from personagen.evaluation.label_accuracy import first_answers
from personagen.evaluation.report import render_report
from personagen.labelling import read_labels
from personagen.runformat.lines import iter_jsonl
from tests.evaluation.conftest import TEXTS
from tests.evaluation.pipeline_runs import CRITICS, pipeline_run

JOY, ANGER = TEXTS["joy"], TEXTS["anger"]


def rows(folder: Path, name: str) -> list[dict]:
    return list(iter_jsonl(folder / name))


def test_groups_count_what_the_critics_kept_and_what_people_judged(tmp_path: Path) -> None:
    # every anger text reads as "other" to the emotion judge: all anger slots are dropped, every joy slot kept
    critics = {"critics": {"enable": [*CRITICS, "offline_emotion"]}}
    run = pipeline_run(tmp_path, "g", {"joy": JOY, "anger": ANGER}, personas=6, unreadable=frozenset(ANGER),
                       settings=critics)
    result = CliRunner().invoke(app, ["label", str(run), "--sample", "6", "--labeller", "ann"], input="1111o1q")
    assert result.exit_code == 0, result.output
    personas, records = rows(run, "personas.jsonl"), rows(run, "records.jsonl")
    found = group_metrics(personas, records, first_answers(read_labels(run)), ["joy", "anger"])
    assert found is not None and not found["several_locales"]
    genders = Counter(p["base"]["gender"] for p in personas)
    by_gender = found["attributes"]["gender"]
    assert {g: c["personas"] for g, c in by_gender.items()} == dict(genders)
    gender_of = {p["id"]: p["base"]["gender"] for p in personas}
    kept = Counter(gender_of[r["persona_id"]] for r in records)
    assert records and all(r["emotion"] == "joy" for r in records)  # anger never kept
    for gender, cell in by_gender.items():
        assert cell["requested"] == 2 * cell["personas"] and cell["kept"] == kept[gender]
        assert cell["acceptance"]["share"] == round(kept[gender] / cell["requested"], 4)
    assert sum(c["kept"] for c in found["attributes"]["age_band"].values()) == len(records)
    # the kept joy texts answered joy but one ("other"): judged agreement n - 1 of n over the groups
    judged = [c["judged_agreement"] for c in by_gender.values()]
    assert sum(j["n"] for j in judged) == min(6, len(records)) and sum(j["k"] for j in judged) == sum(
        j["n"] for j in judged) - 1
    read = [c["classifier_agreement"] for c in by_gender.values()]  # offline_emotion read each kept joy text
    assert sum(r["n"] for r in read) == len(records) and sum(r["k"] for r in read) >= len(records) - 1
    # the kept joy texts' mix against every persona's joy slots; anger kept nothing
    joy = found["mix"]["joy"]["gender"]
    assert joy["kept"] == {g: round(n / len(records), 4) for g, n in sorted(kept.items())}
    assert joy["sampled"] == {g: round(n / len(personas), 4) for g, n in sorted(genders.items())}
    assert joy["tvd"] == round(0.5 * sum(abs(kept[g] / len(records) - genders[g] / len(personas))
                                         for g in genders), 4)
    assert found["mix"]["anger"]["gender"]["kept"] == {} and found["mix"]["anger"]["gender"]["tvd"] is None
    page = render_report({"run_id": "g", "labels": {}, "groups": found}, {})
    assert "Per group" in page and "By age band" in page and "judged agreement" in page


def test_a_persona_row_without_base_persona_means_no_groups(tmp_path: Path) -> None:
    run = pipeline_run(tmp_path, "g", {"joy": JOY[:2]}, personas=2)
    records = rows(run, "records.jsonl")
    assert group_metrics([], records, []) is None
    found = group_metrics(rows(run, "personas.jsonl"), records, [])
    assert found is not None
    assert all(c["judged_agreement"]["n"] == 0 for c in found["attributes"]["gender"].values())
    assert json.dumps(found)  # metrics.json material
