"""Against a misbehaving stub server: 429s are paced, 5xx and timeouts retried, malformed answers re-asked,
and a server that goes away stops the run cleanly (status failed, exit 1) in a state that resumes."""

from __future__ import annotations

import threading
import time

from bench.stub_process import fetch_stats, start_stub
from tests.runner.conftest import SMALL, dataset, invoke, read_jsonl, summary


def run(tmp_path, url, run_id, *extra, n=12):
    return invoke("run", "-n", n, *SMALL, "--runs-dir", tmp_path, "--run-id", run_id, "--base-url", url, *extra)


def config(tmp_path, **values) -> str:
    path = tmp_path / "models.toml"
    path.write_text("[models.default]\n" + "".join(f"{k} = {v!r}\n" for k, v in values.items()))
    return str(path)


def test_rate_limited_server_is_paced_not_fatal(tmp_path, reference):
    with start_stub(latency=0.02, rate_limit=25, burst=5) as (_, url):
        result = run(tmp_path, url, "rl", "--concurrency", 12)
        stats = fetch_stats(url)
    assert result.exit_code == 0, result.output
    assert stats["status"].get("429", 0) > 0
    s = summary(tmp_path / "rl")
    assert s["backends"]["stub"]["rate_limited"] > 0 and s["backends"]["stub"]["cuts"] >= 1
    assert dataset(tmp_path / "rl") == dataset(reference)


def test_server_errors_and_timeouts_are_retried(tmp_path, reference):
    cfg = config(tmp_path, timeout=1.0)
    with start_stub(latency=0.0, error_rate=0.2, timeout_rate=0.05, hang=30, seed=3) as (_, url):
        result = run(tmp_path, url, "flaky", "--concurrency", 6, "--config", cfg)
        stats = fetch_stats(url)
    assert result.exit_code == 0, result.output
    assert stats["status"].get("500", 0) > 0 and stats["hung"] > 0
    assert dataset(tmp_path / "flaky") == dataset(reference)


def test_malformed_answers_become_parse_retries(tmp_path):
    """The stub draws its malformed answers per request (bench/stub_faults.py `Draws`), not in arrival order, so
    this concurrent run is the same every time: seed 3 spares the probe and cuts 20 of the run's answers short."""
    limits = tmp_path / "limits.toml"  # 30% malformed answers lose about a third of the slots: not short here
    limits.write_text("[limits]\nmax_error_share = 0.5\n")
    with start_stub(latency=0.0, malformed_rate=0.3, seed=3) as (_, url):
        result = run(tmp_path, url, "bad", "--concurrency", 4, "--config", limits)
        stats = fetch_stats(url)
    assert result.exit_code == 0, result.output
    s = summary(tmp_path / "bad")
    assert stats["malformed"] > 0 and s["status"] == "finished"
    # each malformed answer failed to parse (tool-call arguments that are not JSON) and was asked again
    assert s["model_errors"] == {"invalid": stats["malformed"]}
    assert sum(a.get("failed_parses", 0) for a in s["agents"].values()) == stats["malformed"]
    assert s["texts"]["lost_to_errors"] > 0
    assert s["personas"]["accepted"] + s["personas"]["dropped"] == 12


def test_server_gone_stops_cleanly_and_resumes(tmp_path, stub_url, reference):
    cfg = config(tmp_path, max_retries=1)
    folder = tmp_path / "gone"
    with start_stub(latency=0.1) as (proc, url):
        def kill_after_three_personas():
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                path = folder / "personas.jsonl"
                if path.exists() and path.read_text().count("\n") >= 3:
                    break
                time.sleep(0.02)
            proc.kill()

        killer = threading.Thread(target=kill_after_three_personas)
        killer.start()
        result = run(tmp_path, url, "gone", "--concurrency", 3, "--config", cfg)
        killer.join()
    assert result.exit_code == 1, result.output
    assert "run failed" in result.output and "--resume gone" in result.output.replace("\n", " ")
    assert "Traceback" not in result.output
    s = summary(folder)
    assert s["status"] == "failed" and ("Connection" in s["message"] or "timed out" in s["message"])
    assert 3 <= len(read_jsonl(folder / "personas.jsonl")) < 12
    result = invoke("run", "--resume", "gone", "--runs-dir", tmp_path, "--base-url", stub_url, "-q")
    assert result.exit_code == 0, result.output
    assert dataset(folder) == dataset(reference)
