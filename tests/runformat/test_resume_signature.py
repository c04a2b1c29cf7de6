"""A resume keys on the dataset signature, `curate` included (issue 21, part 6): it keeps `--no-curate`, it
counts a `--texts` run's texts as the run began to, and it refuses a changed `curate`. The texts hold real
near-duplicates (one word added to a sentence), so curated and uncurated counts differ."""

from __future__ import annotations

import json

from tests.runformat.scripted_runs import resume, rows, write_run

JOY = "I finally got the keys to my first flat today and I cannot stop smiling about it"
ANGER = "They cancelled my train again without a word and I have been standing here for an hour"
TEXTS = {  # persona i writes the i-th text of each emotion; 0 and 1 are near-duplicates, as are 2 and 3
    "joy": [JOY + ".", JOY + " at all.", "My sister called to say the baby is here and everyone is healthy.",
            "My sister called to say the baby is here and everyone is healthy and well.",
            "We won the match in the last minute and the whole pub sang."],
    "anger": [ANGER + ".", ANGER + " in the rain.", "Someone scratched my car in the car park and drove off.",
              "Someone scratched my car in the car park and just drove off.",
              "The landlord kept the whole deposit for a stain that was there before."],
}


def curation(folder):
    path = folder / "curation.json"
    return json.loads(path.read_text()) if path.exists() else None


def test_a_resume_keeps_no_curate(tmp_path):
    stopped = write_run(tmp_path, "nc", TEXTS, {"personas": 5, "curate": False}, stop_after=2)
    assert json.loads((stopped / "summary.json").read_text())["status"] == "interrupted"
    result = resume(stopped, TEXTS)
    assert result.exit_code == 0, result.output
    assert len(rows(stopped / "personas.jsonl")) == 5 and len(rows(stopped / "records.jsonl")) == 10
    assert curation(stopped) is None  # --no-curate was kept: the finished run is not curated
    assert json.loads((stopped / "config.json").read_text())["settings"]["run"]["curate"] is False


def test_a_curated_run_resumed_sets_aside_what_an_uninterrupted_one_does(tmp_path):
    whole = write_run(tmp_path, "whole", TEXTS, {"personas": 5})
    stopped = write_run(tmp_path, "cut", TEXTS, {"personas": 5}, stop_after=2)
    result = resume(stopped, TEXTS)
    assert result.exit_code == 0, result.output
    removed = {r["id"] for r in rows(stopped / "curation.jsonl")}
    assert removed == {r["id"] for r in rows(whole / "curation.jsonl")}
    assert len(removed) == 4  # one of each near-duplicate pair, per emotion


def test_a_changed_curate_is_refused_with_the_setting_named(tmp_path):
    stopped = write_run(tmp_path, "nc", TEXTS, {"personas": 5, "curate": False}, stop_after=2)
    result = resume(stopped, TEXTS, "--curate")
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "run.curate: False -> True" in said and "Traceback" not in said
    assert len(rows(stopped / "personas.jsonl")) == 2  # nothing ran


def test_a_texts_run_counts_its_texts_the_same_way_after_a_resume(tmp_path):
    """--texts 4 --no-curate: the first round (two personas) meets the quota with near-duplicates counted; a
    resume that forgot --no-curate would count one text per emotion and plan another round."""
    whole = write_run(tmp_path, "whole", TEXTS, {"texts": 4, "curate": False})
    stopped = write_run(tmp_path, "cut", TEXTS, {"texts": 4, "curate": False}, stop_after=1)
    assert len(rows(stopped / "personas.jsonl")) == 1
    result = resume(stopped, TEXTS)
    assert result.exit_code == 0, result.output
    quota = json.loads((stopped / "quota.json").read_text())
    assert quota == json.loads((whole / "quota.json").read_text())
    assert len(quota["rounds"]) == 1 and quota["counted"] == {"joy": 2, "anger": 2} and not quota["curated"]
    assert rows(stopped / "records.jsonl") == rows(whole / "records.jsonl")
