"""Batch mode on the stub's Files and Batches endpoints (bench/stub_batch.py): the same dataset as a synchronous run
of the same seed at the batch price; expired lines and failed batches asked again; a stopped run leaves its batches
running, says how to cancel them, and a resume collects them without paying twice."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from bench.stub_process import fetch_stats, start_stub
from personagen.batch.journal import in_flight_batches
from tests.runner.conftest import dataset, invoke, summary

SHAPE = ["-n", 4, "-e", "joy,anger", "-k", "1", "--model", "stub", "-q", "--seed", "7", "--no-curate"]
FAST = "[batch]\nwindow_s = 0.2\npoll_s = 0.1\n"
PRICED = "[models.default]\nmodel = 'stub'\nprice_in_per_mtok = 10.0\nprice_out_per_mtok = 40.0\nbatch_discount = 0.5\n"


def config(tmp_path, text: str = FAST + PRICED):
    path = tmp_path / "batch.toml"
    path.write_text(text)
    return path


def run(tmp_path, url, run_id, *extra):
    return invoke("run", *SHAPE, "--runs-dir", tmp_path, "--run-id", run_id, "--base-url", url, *extra)


@pytest.fixture(scope="module")
def synchronous(tmp_path_factory, stub_url):
    """The same run without batches (priced like the batch runs): the dataset and cost to compare against."""
    runs = tmp_path_factory.mktemp("sync")
    result = run(runs, stub_url, "sync", "--config", config(runs, PRICED))
    assert result.exit_code == 0, result.output
    return runs / "sync"


def test_a_batch_run_gives_the_synchronous_dataset_at_the_batch_price(tmp_path, synchronous):
    with start_stub(latency=0.0, batch_delay=0.3) as (_, url):
        result = run(tmp_path, url, "b", "--batch", "--config", config(tmp_path))
        stats = fetch_stats(url)
    assert result.exit_code == 0, result.output
    assert dataset(tmp_path / "b") == dataset(synchronous)
    s, plain = summary(tmp_path / "b"), summary(synchronous)
    b = s["batch"]
    # every model call went through a batch; the synchronous chat requests were the probe's questions alone
    assert b["requests"] == s["calls"] == stats["batch"]["lines"] and stats["requests"] <= 4
    assert b["batches"] == stats["batch"]["batches"] == stats["batch"]["final"]["completed"]
    assert stats["batch"]["repeated_lines"] == 0 and b["in_flight"] == [] and b["resubmitted"] == 0
    assert b["requests_per_batch"] > 1  # the personas' steps share batches
    assert s["tokens"] == plain["tokens"] and s["cost"] == pytest.approx(plain["cost"] / 2, rel=1e-6)
    assert "batch price: 50% off" in s["prices"]["emotion_writer"]["source"]
    state = json.loads((tmp_path / "b" / "batch" / "batches.json").read_text())
    assert len(state["batches"]) == b["batches"] and all(x["status"] == "completed" for x in state["batches"].values())


def test_expired_lines_and_failed_batches_are_asked_again(tmp_path, synchronous):
    with start_stub(latency=0.0, batch_delay=0.3, batch_fail=1, batch_expire=1) as (_, url):
        result = run(tmp_path, url, "x", "--batch", "--config", config(tmp_path))
        stats = fetch_stats(url)
    assert result.exit_code == 0, result.output
    assert dataset(tmp_path / "x") == dataset(synchronous)
    assert stats["batch"]["final"]["failed"] == 1 and stats["batch"]["final"]["expired"] == 1
    assert summary(tmp_path / "x")["batch"]["resubmitted"] > 0
    assert stats["batch"]["repeated_lines"] == 0  # only what the provider did not answer went out again
    lines = [json.loads(x) for x in (tmp_path / "x" / "batch" / "requests.jsonl").read_text().splitlines()]
    assert {x["state"] for x in lines} >= {"retry", "done"}


def start_cli(tmp_path, url, run_id):
    """`personagen run --batch` in a child process, once it has a batch in flight (RUN/batch/batches.json)."""
    args = [str(a) for a in (*SHAPE, "--runs-dir", tmp_path, "--run-id", run_id, "--base-url", url, "--batch",
                             "--config", config(tmp_path))]
    proc = subprocess.Popen([sys.executable, "-c", "from personagen.cli import app; app()", "run", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    state = tmp_path / run_id / "batch" / "batches.json"
    deadline = time.monotonic() + 120
    while not (state.exists() and in_flight_batches(tmp_path / run_id)):
        assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read() if proc.stdout else ""
        time.sleep(0.1)
    return proc


def test_a_stopped_run_leaves_its_batches_running_cancel_then_resume(tmp_path, synchronous):
    with start_stub(latency=0.0, batch_delay="60,0.3") as (_, url):  # the first batch is still running at the stop
        proc = start_cli(tmp_path, url, "c")
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        output = " ".join(proc.communicate(timeout=120)[0].split())
        assert proc.returncode == 1, output
        assert "left running at the provider" in output and "personagen run --resume c --cancel-batches" in output
        s = summary(tmp_path / "c")
        assert s["status"] == "interrupted" and s["batch"]["in_flight"] == ["batch_000001"]
        refused = invoke("run", "--resume", "c", "--runs-dir", tmp_path, "--base-url", url, "--config",
                         config(tmp_path))  # the config's models say nothing of batches: synchronous
        assert refused.exit_code == 2 and "running at the provider" in " ".join(refused.output.split())
        result = invoke("run", "--resume", "c", "--runs-dir", tmp_path, "--base-url", url, "--cancel-batches")
        assert result.exit_code == 0, result.output
        assert "batch_000001" in result.output and "cancelling" in result.output
        result = invoke("run", "--resume", "c", "--runs-dir", tmp_path, "--base-url", url, "--config",
                        config(tmp_path), "-q", "--batch")
        stats = fetch_stats(url)
    assert result.exit_code == 0, result.output
    assert dataset(tmp_path / "c") == dataset(synchronous)
    assert stats["batch"]["final"]["cancelled"] == 1 and summary(tmp_path / "c")["batch"]["resubmitted"] > 0
    assert stats["batch"]["repeated_lines"] == 0  # the cancelled lines were never answered: asked again, once


def test_a_run_killed_mid_batch_resumes_by_polling_it_never_paying_twice(tmp_path, synchronous):
    with start_stub(latency=0.0, batch_delay="4,0.3") as (_, url):
        proc = start_cli(tmp_path, url, "k")
        proc.kill()  # a crash: no summary, no clean-up
        proc.communicate(timeout=60)
        assert not (tmp_path / "k" / "summary.json").exists() or summary(tmp_path / "k")["status"] == "running"
        result = invoke("run", "--resume", "k", "--runs-dir", tmp_path, "--base-url", url, "--config",
                        config(tmp_path), "-q", "--batch")
        stats = fetch_stats(url)
    assert result.exit_code == 0, result.output
    assert dataset(tmp_path / "k") == dataset(synchronous)
    s = summary(tmp_path / "k")
    # the batch in flight at the kill was polled, not submitted again: every line the stub got is one model call
    assert stats["batch"]["repeated_lines"] == 0 and stats["batch"]["lines"] == s["calls"]
    assert s["batch"]["batches"] == stats["batch"]["batches"] - 1  # the resumed process submitted all but that one


def test_the_embedded_model_has_no_batch_mode(tmp_path):
    result = invoke("run", "-n", 1, "--runs-dir", tmp_path, "--run-id", "e", "--batch", "-q")
    assert result.exit_code == 2
    assert "no Batch API" in " ".join(result.output.split()) and not (tmp_path / "e").exists()


def test_cancel_batches_needs_a_run(tmp_path):
    result = invoke("run", "--cancel-batches", "--runs-dir", tmp_path)
    assert result.exit_code == 2 and "--resume" in result.output
