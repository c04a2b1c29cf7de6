"""One definition of a kept text (personagen/kept.py): accepted by every enforced critic and not set aside by
curation. On a run whose texts hold real near-duplicates (tests/runformat/test_resume_signature.py), summary.json,
export, the Python API and the dataset card all count the same kept texts, and a `--texts` run's quota counts them
too."""

from __future__ import annotations

import json

import personagen
from personagen.export import export_run, select_records
from personagen.kept import is_kept, kept_records
from tests.runformat.scripted_runs import rows, write_run
from tests.runformat.test_resume_signature import TEXTS


def test_summary_export_api_and_card_count_the_same_kept_texts(tmp_path):
    folder = write_run(tmp_path, "k", TEXTS, {"personas": 5})
    summary = json.loads((folder / "summary.json").read_text())
    set_aside = {r["id"] for r in rows(folder / "curation.jsonl")}
    records = rows(folder / "records.jsonl")
    assert len(set_aside) == 4 and summary["texts"]["accepted"] == len(records) == 10
    assert summary["texts"]["kept"] == 6 == len(kept_records(records, set_aside))
    exported = export_run(folder, "jsonl", tmp_path / "k.jsonl")
    assert len(rows(tmp_path / "k.jsonl")) == 6 and exported.left_out == 4
    assert len(personagen.load(folder).rows()) == 6 and len(personagen.load(folder).rows(all=True)) == 10
    export_run(folder, "hf", tmp_path / "hf")
    card = (tmp_path / "hf" / "README.md").read_text()
    assert "4 of 10 accepted texts were set aside as near-duplicates" in card


def test_a_text_a_critic_blocks_is_never_kept(tmp_path):
    folder = write_run(tmp_path, "b", TEXTS, {"personas": 2, "curate": False})
    record = rows(folder / "records.jsonl")[0]
    assert is_kept(record) and not is_kept(record, {record["id"]})
    blocked = {**record, "verdicts": [{**record["verdicts"][0], "passed": False, "advisory": False}]}
    advised = {**record, "verdicts": [{**record["verdicts"][0], "passed": False, "advisory": True}]}
    assert not is_kept(blocked) and is_kept(advised)
    assert select_records(folder, curated=False)[0] == rows(folder / "records.jsonl")


def test_a_texts_run_counts_kept_texts_in_its_quota(tmp_path):
    folder = write_run(tmp_path, "q", TEXTS, {"texts": 4})
    quota = json.loads((folder / "summary.json").read_text())["quota"]
    kept = kept_records(rows(folder / "records.jsonl"), {r["id"] for r in rows(folder / "curation.jsonl")})
    for emotion, counted in quota["per_emotion"].items():
        assert counted["counted"] == sum(r["emotion"] == emotion for r in kept) >= counted["quota"]
