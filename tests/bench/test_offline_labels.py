"""bench/bench_offline_labels.py: drafts with the offline critic's verdicts from a real run; the docs' figures."""

from __future__ import annotations

import json

from bench.bench_offline_labels import LABELS, extract, report
from tests.runner.conftest import invoke, read_jsonl


def test_extract_collects_every_judged_draft_with_its_verdict(tmp_path, stub_url) -> None:
    result = invoke("run", "-n", 3, "-e", "joy,anger", "-k", 1, "--model", "stub", "-q", "--seed", 2,
                    "--no-curate", "--runs-dir", tmp_path, "--run-id", "r", "--base-url", stub_url)
    assert result.exit_code == 0, result.output
    extract([tmp_path / "r"], tmp_path / "drafts.jsonl")
    drafts = read_jsonl(tmp_path / "drafts.jsonl")
    verdicts = [e for e in read_jsonl(tmp_path / "r" / "events.jsonl")
                if e["agent"] == "critic:offline_emotion" and e["type"] == "verdict"]
    assert len(drafts) == len(verdicts) > 0
    assert sum(d["passed"] for d in drafts) == sum(v["data"]["passed"] for v in verdicts)
    assert all(d["label"] == "" and d["text"] for d in drafts)


def test_the_shipped_labels_give_the_figures_in_the_docs(capsys) -> None:
    report(LABELS, recorded=True)  # the verdicts the runs recorded (the fp32 model's)
    out = capsys.readouterr().out
    assert "all drafts            17 of 80 (21%)" in out and "kept by the critic    12 of 48 (25%)" in out
    assert "verdicts agreeing with the labels: 39 of 80" in out
    report(LABELS)  # read again by the shipped model and head
    out = capsys.readouterr().out
    assert "kept by the critic    12 of 49 (24%)" in out and "verdicts agreeing with the labels: 38 of 80" in out
    assert all(json.loads(line)["label"] for line in LABELS.open(encoding="utf-8"))
