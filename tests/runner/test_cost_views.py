"""Cost everywhere a user looks, on a priced run written by the real pipeline on the stub: every model call's
event carries its cost, and the progress line, the summary table, `inspect --critics` and the dataset card agree
with summary.json."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from personagen.agents.events import parse_event
from personagen.inspection.economics import economics
from personagen.trace import TerminalTrace, summary_table
from tests.runner.conftest import invoke, read_jsonl, summary

PRICED = "[models.default]\nmodel = 'stub'\nprice_in_per_mtok = 10.0\nprice_out_per_mtok = 40.0\n"


@pytest.fixture(scope="module")
def priced_run(tmp_path_factory, stub_url):
    runs = tmp_path_factory.mktemp("priced")
    cfg = runs / "priced.toml"
    cfg.write_text(PRICED)
    result = invoke("run", "-n", 6, "-e", "joy,anger", "-k", 1, "--model", "stub", "-q", "--seed", 3,
                    "--runs-dir", runs, "--run-id", "p", "--base-url", stub_url, "--config", cfg)
    assert result.exit_code == 0, result.output
    return runs / "p"


def test_each_call_carries_its_cost_and_they_add_up_to_the_summary(priced_run):
    calls = [e for e in read_jsonl(priced_run / "events.jsonl") if e["type"] == "llm_call"]
    s = summary(priced_run)
    assert calls and all(e["cost"] == pytest.approx((e["tokens_in"] * 10 + e["tokens_out"] * 40) / 1e6) for e in calls)
    assert sum(e["cost"] for e in calls) == pytest.approx(s["cost"], abs=1e-5)
    assert s["cost_per_text"] == round(s["cost"] / s["texts"]["accepted"], 6)


def test_progress_line_and_summary_table_show_the_cost(priced_run):
    s = summary(priced_run)
    trace = TerminalTrace(Console(file=io.StringIO()), 6, trace=False)
    for e in read_jsonl(priced_run / "events.jsonl"):
        trace.event(parse_event(e))
    rows = read_jsonl(priced_run / "personas.jsonl")
    records = read_jsonl(priced_run / "records.jsonl")
    for row in rows:
        trace.persona(row, [r for r in records if r["persona_id"] == row["id"]])
    shown = trace.progress.tasks[0].fields["cost"]
    assert shown.startswith(f"${s['cost']:.4f}") and "/text" in shown
    out = io.StringIO()
    Console(file=out, width=200).print(summary_table(str(priced_run), s))
    table = out.getvalue()
    assert f"${s['cost']:.4f}, ${s['cost_per_text']:.5f}" in table and "emotion_writer $" in table


def test_inspect_critics_prices_each_critic_and_its_rewrites(priced_run):
    s = summary(priced_run)
    econ = economics([parse_event(e) for e in read_jsonl(priced_run / "events.jsonl")])
    by_name = {c.critic: c for c in econ.critics}
    assert by_name["emotion_fidelity"].cost == pytest.approx(s["agents"]["critic:emotion_fidelity"]["cost"], abs=1e-5)
    assert by_name["text_shape"].cost is None  # a rule critic makes no calls
    rewrites = [c.rewrite_cost for c in econ.critics if c.rewrite_cost]
    assert rewrites and sum(rewrites) < s["cost"]  # rejections cost rewrites, a share of the run
    assert all(c.rewrite_cost is None for c in econ.critics if c.rejected == 0)
    result = invoke("inspect", "p", "--runs-dir", priced_run.parent, "--critics", "--json")
    shown = {c["critic"]: c for c in json.loads(result.stdout)["critics"]}
    assert shown["emotion_fidelity"]["cost"] == pytest.approx(by_name["emotion_fidelity"].cost)


def test_dataset_card_states_the_cost(priced_run, tmp_path):
    result = invoke("export", "p", "--runs-dir", priced_run.parent, "--format", "hf", "--out", tmp_path / "hf")
    assert result.exit_code == 0, result.output
    card = (tmp_path / "hf" / "README.md").read_text()
    s = summary(priced_run)
    assert "## Cost" in card and f"USD {s['cost']:.4f} for the whole run" in card and "| emotion_writer |" in card


def test_eval_stops_its_judge_at_the_cost_cap(priced_run, stub_url, monkeypatch, tmp_path):
    monkeypatch.setenv("PERSONAGEN_CACHE_DIR", str(tmp_path / "cache"))
    cfg = priced_run.parent / "priced.toml"
    args = ["eval", "p", "--runs-dir", priced_run.parent, "--base-url", stub_url, "--config", cfg, "--json"]
    result = invoke(*args, "--max-cost", 0.08, "--judge-concurrency", 1)
    assert result.exit_code == 3, result.output
    assert "the judge stopped at the cost cap" in " ".join(result.output.split())
    judged = json.loads((priced_run / "eval" / "metrics.json").read_text())["human_likeness"]
    assert 0 < judged["n_judged"] < summary(priced_run)["texts"]["accepted"]
