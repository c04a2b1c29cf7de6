"""`personagen curate`, the curation at the end of `run`, and the curated export, on real stub runs."""

from __future__ import annotations

import json
import os
import socket
import sys

from personagen.agents.sentence_embedder import MINILM_ID
from personagen.curation.corpus import read_record_ids, records_key
from personagen.curation.hook import curate_after_run
from tests.curation.conftest import ORIGINAL, VARIANTS, invoke, make_run, plant_group, read_jsonl


def test_a_finished_run_is_curated_at_its_end(stub_run):
    summary = json.loads((stub_run / "curation.json").read_text())
    records = read_jsonl(stub_run / "records.jsonl")
    removed = read_jsonl(stub_run / "curation.jsonl")
    assert summary["records"] == len(records) > 0 and summary["kept"] + summary["removed"] == len(records)
    assert summary["complete"] is True and summary["records_key"] == records_key(read_record_ids(stub_run))
    assert summary["settings"]["embedding_model"] == MINILM_ID
    assert len(removed) == summary["removed"]


def test_duplicates_across_personas_are_set_aside_and_export_leaves_them_out(stub_run, tmp_path):
    ids = plant_group(stub_run)
    result = invoke("curate", stub_run.name, "--runs-dir", stub_run.parent, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    removed = {r["id"]: r for r in read_jsonl(stub_run / "curation.jsonl")}
    assert {ids[1], ids[2], ids[3]} <= set(removed) and not {ids[0], ids[4], ids[5]} & set(removed)
    assert [removed[i]["match"] for i in ids[1:4]] == list(VARIANTS)
    assert all(removed[i]["duplicate_of"] == ids[0] and removed[i]["duplicate_text"] == ORIGINAL for i in ids[1:4])
    assert removed[ids[1]]["emotion"] != removed[ids[1]]["duplicate_emotion"] and summary["label_conflicts"] >= 1
    assert removed[ids[3]]["similarity"] >= 0.95

    out = tmp_path / "d.jsonl"
    exported = invoke("export", stub_run.name, "--runs-dir", stub_run.parent, "--out", out)
    assert exported.exit_code == 0 and "near-duplicates left out" in " ".join(exported.output.split())
    rows = read_jsonl(out)
    assert len(rows) == summary["kept"] and {ids[0], ids[4], ids[5]} <= {r["id"] for r in rows}
    assert not set(removed) & {r["id"] for r in rows}
    invoke("export", stub_run.name, "--runs-dir", stub_run.parent, "--out", out, "--all")
    assert len(read_jsonl(out)) == len(read_jsonl(stub_run / "records.jsonl"))


def test_export_curates_again_when_records_were_added(stub_run, tmp_path):
    before = json.loads((stub_run / "curation.json").read_text())
    ids = plant_group(stub_run)
    out = tmp_path / "d.csv"
    result = invoke("export", stub_run, "--format", "csv", "--out", out)
    assert result.exit_code == 0, result.output
    after = json.loads((stub_run / "curation.json").read_text())
    assert after["records"] == before["records"] + len(ids) and after["removed"] >= before["removed"] + 3
    assert "curating" in result.output


def test_a_run_still_writing_is_curated_as_it_stands(stub_run):
    (stub_run / "run.lock").write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
    with (stub_run / "records.jsonl").open("a") as handle:
        handle.write('{"id": "p000099-joy-0", "text": "half a li')  # a torn line: the writer is mid-append
    result = invoke("curate", stub_run)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "still writing" in text and "torn" in text
    summary = json.loads((stub_run / "curation.json").read_text())
    assert summary["complete"] is False and summary["records"] == len(read_record_ids(stub_run))


def test_no_curate_and_config_turn_it_off(tmp_path, stub_url):
    folder = make_run(tmp_path, "off", stub_url, "--no-curate", personas=2)
    assert not (folder / "curation.json").exists()
    config = tmp_path / "c.toml"
    config.write_text("[run]\ncurate = false\n")
    folder = make_run(tmp_path, "off2", stub_url, "--config", config, personas=2)
    assert not (folder / "curation.json").exists()
    config = json.loads((folder / "config.json").read_text())
    assert config["settings"]["run"]["curate"] is False  # stored: a resume keeps it (tests/runformat)


def test_without_the_extra_curation_is_a_note_and_export_says_what_to_do(stub_run, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "personagen.curation.engine", None)  # as if numpy/datasketch were missing
    notes: list[str] = []
    assert curate_after_run(stub_run, notes.append) is None and "'eval' extra" in notes[0]
    plant_group(stub_run)  # the curation is stale now
    result = invoke("export", stub_run, "--out", tmp_path / "d.jsonl")
    assert result.exit_code == 2 and "--all" in result.output and "Traceback" not in result.output
    assert invoke("export", stub_run, "--out", tmp_path / "d.jsonl", "--all").exit_code == 0


def test_the_readmes_first_install_curates_without_the_eval_extras_packages(stub_run, monkeypatch):
    """The README's first install (`[local]`: numpy and the embedder) has no datasketch, scipy or scikit-learn: the
    lexical pass needs none of them (curation/minhash.py), so the end of the run curates."""
    for name in ("datasketch", "scipy", "sklearn"):
        monkeypatch.setitem(sys.modules, name, None)
    plant_group(stub_run)
    notes: list[str] = []
    result = curate_after_run(stub_run, notes.append)
    assert result is not None and result["removed"] >= 2 and result["settings"]["semantic"]
    assert not [n for n in notes if "skipped" in n]


def test_unknown_run_and_bad_threshold_exit_2(stub_run):
    missing = invoke("curate", "nope", "--runs-dir", stub_run.parent)
    assert missing.exit_code == 2 and "is not a run" in " ".join(missing.output.split())
    bad = invoke("curate", stub_run, "--threshold", "2")
    assert bad.exit_code == 2 and "--threshold" in bad.output


def test_a_repeated_record_is_exported_once(stub_run, tmp_path):
    first = (stub_run / "records.jsonl").read_text().splitlines()[0]
    with (stub_run / "records.jsonl").open("a") as handle:
        handle.write(first + "\n")  # the same record twice (a hand-made concatenation of runs, say)
    result = invoke("curate", stub_run)
    assert result.exit_code == 0 and "appears more than once" in " ".join(result.output.split())
    out = tmp_path / "d.jsonl"
    assert invoke("export", stub_run, "--out", out).exit_code == 0
    ids = [r["id"] for r in read_jsonl(out)]
    assert len(ids) == len(set(ids)) == json.loads((stub_run / "curation.json").read_text())["kept"]


def test_a_failing_curation_never_fails_the_finished_run(stub_run, monkeypatch):
    import personagen.curation.engine as engine

    def broken(*args, **kwargs):
        raise MemoryError("out of memory")

    monkeypatch.setattr(engine, "curate_run", broken)
    notes: list[str] = []
    assert curate_after_run(stub_run, notes.append) is None
    assert "MemoryError" in notes[0] and f"personagen curate {stub_run.name}" in notes[0]
