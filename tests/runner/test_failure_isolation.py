"""Failures belong to the candidate that caused them; the health watch covers the whole run.

Runs written by the real pipeline against the stub answering with documented provider faults (bench/stub_faults.py):
an error about one prompt fails that candidate and its loop rewrites it; an error about the endpoint stops the run
at once with the fix; a run that lost too many text slots to model errors ends `short` (exit 4) and a resume
re-attempts them.

The LLM emotion critic and the offline one are left out here: on the stub's word salad their verdicts are noise
that moves with every prompt change (tests/runner/test_quotas.py does the same), and these tests count what the
faults cost, not what the critics reject.
"""

from __future__ import annotations

import json

import pytest

from bench.stub_process import fetch_stats, start_stub
from tests.runner.conftest import invoke, read_jsonl, summary

QUIET_CRITICS = ["--no-critic", "offline_emotion", "--no-critic", "emotion_fidelity"]


def run(tmp_path, url, run_id, *extra):
    return invoke("run", "--runs-dir", tmp_path, "--run-id", run_id, "--base-url", url, "--model", "stub", "-q",
                  "--no-curate", *QUIET_CRITICS, *extra)


def test_a_content_filter_on_2_percent_of_prompts_keeps_95_percent_of_the_texts(tmp_path, stub_url):
    """The issue's measure: `run -n 20 --seed 11` (default emotions, 2 texts each) with Azure's prompt filter on 2%
    of prompts (the same prompt always) keeps >= 95% of the texts of the same seeded run without it, and exits 0."""
    plain = run(tmp_path, stub_url, "plain", "-n", 20, "--seed", 11)
    with start_stub(latency=0.0, filter_rate=0.02) as (_, url):
        filtered = run(tmp_path, url, "filtered", "-n", 20, "--seed", 11)
        stats = fetch_stats(url)
    assert plain.exit_code == 0, plain.output
    assert filtered.exit_code == 0, filtered.output
    kept, reference = summary(tmp_path / "filtered"), summary(tmp_path / "plain")
    assert stats["faults"]["filter"] > 0 and kept["model_errors"]["content_filter"] == stats["faults"]["filter"]
    assert kept["status"] == "finished" and kept["texts"]["accepted"] >= 0.95 * reference["texts"]["accepted"] > 0
    calls = [json.loads(line) for line in (tmp_path / "filtered" / "events.jsonl").read_text().splitlines()]
    refused = [e for e in calls if e["type"] == "llm_call" and e["data"].get("error_kind") == "content_filter"]
    assert refused and all("content filter refused" in e["data"]["error"] for e in refused)
    journey = invoke("inspect", "filtered", "--runs-dir", tmp_path, "--persona", refused[0]["persona_id"], "--json")
    assert journey.exit_code == 0 and "error (content_filter)" in journey.output


def test_a_key_revoked_mid_run_stops_at_once_with_the_fix(tmp_path):
    with start_stub(latency=0.0, faults="revoked=40") as (_, url):
        result = run(tmp_path, url, "revoked", "-n", 12, "-e", "joy", "-k", 1, "--seed", 7, "--concurrency", 4)
        stats = fetch_stats(url)
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert "HTTP 401 invalid_api_key" in output and "Fix: the server refused the key" in output
    assert "Traceback" not in output and "--resume revoked" in output
    assert summary(tmp_path / "revoked")["status"] == "failed"
    # at once: no call after the first refusal but those already in flight (4 persona threads, one call each)
    assert 1 <= stats["status"]["401"] <= 4 and stats["requests"] == 40 + stats["status"]["401"]
    assert len(read_jsonl(tmp_path / "revoked" / "personas.jsonl")) < 12


def test_the_watch_covers_the_whole_run_not_only_its_start(tmp_path):
    """Every prompt is refused once the first 120 requests have passed: the run stops on its last 20 answers, by
    kind and with the fix, after personas have finished."""
    with start_stub(latency=0.0, faults="filter=1.0,after=120") as (_, url):
        result = run(tmp_path, url, "later", "-n", 30, "-e", "joy", "-k", 1, "--seed", 7, "--concurrency", 2)
    assert result.exit_code == 1, result.output
    s = summary(tmp_path / "later")
    message = " ".join(s["message"].split())
    assert s["status"] == "failed" and "the last 20 model answers all failed (20 content_filter;" in message
    assert "content filter" in message.split("Fix:")[1] and "--resume later" in message
    assert 0 < s["personas"]["accepted"] + s["personas"]["dropped"] < 30


def test_a_run_that_lost_too_many_slots_is_short_and_a_resume_reattempts_them(tmp_path, stub_url):
    config = tmp_path / "one-try.toml"
    config.write_text("[limits]\ntext_attempts = 1\n")  # a refused text prompt loses its slot at once
    args = ["-n", 10, "-e", "joy", "-k", 2, "--seed", 1, "--config", config]
    with start_stub(latency=0.0, filter_rate=0.3) as (_, url):
        result = run(tmp_path, url, "short", *args)
    assert result.exit_code == 4, result.output
    s = summary(tmp_path / "short")
    texts = s["texts"]
    assert s["status"] == "short" and texts["requested"] == 20 and texts["lost_to_errors"] > 0.2 * 20
    assert s["error_share"] == texts["lost_to_errors"] / 20 and s["model_errors"]["content_filter"] > 0
    message = " ".join(s["message"].split())
    assert "max_error_share = 0.2" in message and "--resume short" in message
    assert "text slots lost to model errors" in result.output
    lossy = sum(1 for row in read_jsonl(tmp_path / "short" / "personas.jsonl") if row["texts"]["lost_to_errors"])

    resumed = invoke("run", "--resume", "short", "--runs-dir", tmp_path, "--base-url", stub_url, "-q")
    assert resumed.exit_code == 0, resumed.output
    s = summary(tmp_path / "short")
    assert s["status"] == "finished" and s["texts"]["lost_to_errors"] == 0 and s["texts"]["accepted"] == 20
    rows = read_jsonl(tmp_path / "short" / "personas.jsonl")
    assert sorted(r["index"] for r in rows) == list(range(10))
    assert len(read_jsonl(tmp_path / "short" / "records.jsonl")) == 20
    events = [json.loads(line) for line in (tmp_path / "short" / "events.jsonl").read_text().splitlines()]
    assert [e["data"]["retried"] for e in events if e["type"] == "resume"] == [lossy]


RESUME, NEW = "continue with: personagen run --resume stopped", "then start a new run (a resume keeps the settings"
EITHER = "--resume stopped if the fix keeps the run's settings, else start a new run"


@pytest.mark.parametrize(("faults", "kind", "step"), [("error_in_200=1.0,after=20", "provider_error", RESUME),
                                                      ("context_length=1.0,after=20", "context_length", EITHER),
                                                      ("tool_use_failed=1.0,after=20", "tool_use_failed", NEW)])
def test_a_stop_offers_a_resume_only_when_its_fix_can_keep_the_settings(tmp_path, faults, kind, step):
    """A failing provider may recover later (a resume continues); a larger context is a server option or another
    model (a setting a resume keeps: either); the fixes of unreadable tool calls are all settings (a new run)."""
    with start_stub(latency=0.0, faults=faults) as (_, url):
        result = run(tmp_path, url, "stopped", "-n", 30, "-e", "joy", "-k", 1, "--seed", 7)
    assert result.exit_code == 1, result.output
    message = " ".join(summary(tmp_path / "stopped")["message"].split())
    assert "model answers all failed" in message and kind in message
    assert [s for s in (RESUME, EITHER, NEW) if s in message] == ([step] if step != EITHER else [RESUME, EITHER])


def test_critic_controls_that_fail_end_with_a_new_run_not_a_resume(tmp_path, stub_url):
    """The stub's judge passes a 6-year-old surgeon: the fix (another model, advisory, --no-critic) is a setting."""
    config = tmp_path / "controls.toml"
    config.write_text('[critics]\ncontrols = ["plausibility"]\n', encoding="utf-8")
    result = run(tmp_path, stub_url, "controlled", "-n", 4, "-e", "joy", "-k", 1, "--config", config)
    assert result.exit_code == 1, result.output
    message = " ".join(summary(tmp_path / "controlled")["message"].split())
    assert message.startswith("critic plausibility judged") and "control cases wrongly" in message
    assert "then start a new run" in message and "--resume" not in message
