"""The whole evaluation: metrics.json and a self-contained report.html, the commands, and bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from personagen.evaluation.compare import comparison
from personagen.evaluation.embeddings import Embedder
from personagen.evaluation.errors import EvalError
from personagen.evaluation.runner import EvalOptions, evaluate
from tests.evaluation.conftest import read_records
from tests.evaluation.fake_chat import judge_handle
from tests.evaluation.pipeline_runs import RunCache, pipeline_run


@pytest.fixture
def label_map(tmp_path: Path) -> Path:
    path = tmp_path / "map.txt"
    path.write_text("happy=joy\nangry=anger\nsad=sadness\n")
    return path


def test_full_evaluation_writes_metrics_and_self_contained_report(
    tiny_run: Path, tiny_real: Path, label_map: Path, embedder: Embedder
):
    options = EvalOptions(run=tiny_run, real=tiny_real, label_map=label_map, judge_sample=5)
    result = evaluate(options, judge_handle(), embedder)
    metrics = json.loads((tiny_run / "eval" / "metrics.json").read_text())
    assert metrics == json.loads(json.dumps(result.metrics))
    assert metrics["n_texts"] == 18 and metrics["labels"] == {"anger": 6, "joy": 6, "sadness": 6}
    for key in ("diversity", "realism", "downstream", "population", "human_likeness"):
        assert metrics[key], key
    assert metrics["human_likeness"]["n_judged"] == 5
    attributes = metrics["population"]["attributes"]  # the pipeline's 6 personas against the us tables
    assert {"age_band", "gender", "mbti"} <= set(attributes)
    assert all(0.0 <= a["tvd_accepted_vs_target"] <= 1.0 for a in attributes.values())
    assert 0.0 < metrics["diversity"]["distinct_1"] <= 1.0 and metrics["realism"]["n_synthetic"] == 18
    assert metrics["downstream"]["synthetic"]["tfidf_lr"]["macro_f1"] > 0.5
    assert (tiny_run / "eval" / "judgements.jsonl").read_text().count("\n") == 5
    html = (tiny_run / "eval" / "report.html").read_text()
    assert result.files[1].name == "report.html"
    assert html.count("data:image/png;base64,") >= 5
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<script" not in html


def test_evaluation_without_real_corpus_or_judge(tiny_run: Path, tmp_path: Path, embedder: Embedder):
    out = tmp_path / "out"
    result = evaluate(EvalOptions(run="tiny", runs_dir=tiny_run.parent, out=out), None, embedder)
    assert (out / "metrics.json").is_file() and (out / "report.html").is_file()
    assert result.metrics["human_likeness"] == {"skipped": "no judge (--no-judge)"}
    assert "realism" not in result.metrics and result.metrics["n_texts"] == 18
    assert result.metrics["population"]["attributes"] and not result.metrics["warnings"]
    (tiny_run / "personas.jsonl").unlink()  # a run folder that lost its personas: the rest is still measured
    result = evaluate(EvalOptions(run=tiny_run, out=out), None, embedder)
    assert result.metrics["population"] is None and result.metrics["n_texts"] == 18
    assert any("population" in w for w in result.metrics["warnings"])


def test_compare_reads_several_evaluations(tiny_run: Path, tmp_path: Path, embedder: Embedder, run_cache: RunCache):
    evaluate(EvalOptions(run=tiny_run), None, embedder)
    same = {"joy": ["What a happy day for me, truly happy."] * 3, "anger": ["This makes me so angry, honestly."] * 3}
    other = run_cache.copy("other", tmp_path / "runs", same)  # every persona writes the same two texts
    assert evaluate(EvalOptions(run=other), None, embedder).metrics["n_texts"] == 6
    names, rows = comparison(["tiny", "other"], tmp_path / "runs")
    assert names[0].startswith("tiny")
    by_label = {label: (values, best) for label, _, values, best in rows}
    values, best = by_label["self-BLEU"]
    assert values[1] > values[0] and best == 0
    with pytest.raises(EvalError, match="personagen eval"):
        comparison(["missing"], tmp_path / "runs")


def test_bad_inputs_are_eval_errors(tmp_path: Path, tiny_run: Path, tiny_real: Path, label_map: Path):
    with pytest.raises(EvalError, match="is not a run"):
        evaluate(EvalOptions(run="nope", runs_dir=tmp_path))
    unread = {"joy": ["Nothing reads as joy here, sadly."]}  # every text read as another emotion: all dropped
    empty = pipeline_run(tmp_path, "empty", unread, personas=2, unreadable=frozenset(unread["joy"]))
    assert (empty / "records.jsonl").read_text() == ""
    with pytest.raises(EvalError, match="no texts"):
        evaluate(EvalOptions(run=empty))
    with pytest.raises(EvalError, match="--label-map"):
        evaluate(EvalOptions(run=tiny_run, real=tiny_real))
    texts = {"joy": ["Yay, I am so glad today!", "We won the cup, so happy!"],
             "anger": ["Grr, they lied to me again.", "Argh, the bus left without me!"]}
    one_each = pipeline_run(tmp_path, "one", texts, unreadable=frozenset({"We won the cup, so happy!"}))
    assert sorted(r["emotion"] for r in read_records(one_each)) == ["anger", "anger", "joy"]
    with pytest.raises(EvalError, match="too few"):
        evaluate(EvalOptions(run=one_each, real=tiny_real / "train.tsv", label_map=label_map))
    assert not (tiny_run / "eval").exists()


def test_cli_turns_eval_errors_into_one_line_and_exit_2(tmp_path: Path):
    import typer

    from personagen.commands.evaluate import register

    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["eval", "nope", "--runs-dir", str(tmp_path), "--no-judge"])
    assert result.exit_code == 2
    assert "is not a run" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(app, ["compare", "nope", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2


def test_cli_eval_and_compare_json(tiny_run: Path, embedder: Embedder):
    import typer

    from personagen.commands.evaluate import register

    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["eval", str(tiny_run), "--no-judge", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout[result.stdout.index("{") :])["n_texts"] == 18
    result = CliRunner().invoke(app, ["compare", str(tiny_run)])
    assert result.exit_code == 0 and "self-BLEU" in result.output
