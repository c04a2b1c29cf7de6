"""`personagen run --resume`: a run killed mid-way (kill -9) continues to the dataset of an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from bench.stub_process import start_stub
from personagen.agents.events import make_event, record
from personagen.resume import cut_torn_line, repair
from tests.runner.conftest import SMALL, dataset, invoke, read_jsonl, summary


def wait_for_rows(path, n, proc, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().count("\n") >= n:
            return
        assert proc.poll() is None, "the run ended before it could be killed"
        time.sleep(0.05)
    raise AssertionError(f"{path} never reached {n} rows")


def test_kill_9_mid_run_then_resume_equals_an_uninterrupted_run(tmp_path, reference):
    with start_stub(latency=0.15) as (_, slow_url):
        args = ["run", "-n", "12", *SMALL, "--concurrency", "3", "--runs-dir", str(tmp_path), "--run-id", "k",
                "--base-url", slow_url]
        code = "import sys; from personagen.cli import main; sys.argv[0] = 'personagen'; main()"
        proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        folder = tmp_path / "k"
        wait_for_rows(folder / "personas.jsonl", 3, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        done_before = len(read_jsonl(folder / "personas.jsonl"))
        assert 3 <= done_before < 12
        assert (folder / "run.lock").exists() and not (folder / "summary.json").exists()
        with (folder / "records.jsonl").open("a") as fh:  # a torn line and an orphan record, as a crash leaves
            fh.write(json.dumps({"id": "p000011-joy-0", "persona_id": "p000011", "text": "orphan"}) + "\n")
            fh.write('{"id": "p0000')
        result = invoke("run", "--resume", "k", "--runs-dir", tmp_path, "--base-url", slow_url, "-q", "--json")
    assert result.exit_code == 0, result.output
    assert dataset(folder) == dataset(reference)
    personas = read_jsonl(folder / "personas.jsonl")
    assert sorted(p["index"] for p in personas) == list(range(12))
    s = summary(folder)
    assert s["status"] == "finished" and s["resumed"] == 1 and s["personas"]["accepted"] == 12
    assert s["tokens"] >= summary(reference)["tokens"]  # calls of killed threads still count
    resume = [e for e in read_jsonl(folder / "events.jsonl") if e["type"] == "resume"]
    assert resume[0]["data"]["done"] == done_before and resume[0]["data"]["orphan_records"] == 1
    assert resume[0]["data"]["torn_lines"] >= 1
    assert not (folder / "run.lock").exists()


def test_resume_refuses_a_live_run_and_changed_settings(tmp_path, stub_url):
    result = invoke("run", "-n", 2, *SMALL, "--runs-dir", tmp_path, "--run-id", "r", "--base-url", stub_url)
    assert result.exit_code == 0
    lock = tmp_path / "r" / "run.lock"
    lock.write_text(json.dumps({"pid": os.getpid(), "host": os.uname().nodename}))
    result = invoke("run", "--resume", "r", "--runs-dir", tmp_path, "--base-url", stub_url)
    assert result.exit_code == 2 and "is running" in result.output, result.output
    lock.unlink()
    for args, expected in ((["-e", "anger"], "emotions"), (["--seed", "8"], "seed"), (["--model", "x"], "model"),
                           (["--run-id", "z"], "leave out --run-id")):
        result = invoke("run", "--resume", "r", "--runs-dir", tmp_path, "--base-url", stub_url, *args)
        assert result.exit_code == 2 and expected in result.output, (args, result.output)
    result = invoke("run", "--resume", "nope", "--runs-dir", tmp_path, "--base-url", stub_url)
    assert result.exit_code == 2 and "'nope' is not a run" in result.output
    result = invoke("run", "--resume", "r", "--runs-dir", tmp_path, "--base-url", stub_url, "--concurrency", 3,
                    "-e", "joy", "-q")
    assert result.exit_code == 0, result.output  # same values and free options are fine; nothing left to do
    assert summary(tmp_path / "r")["personas"]["accepted"] == 2
    result = invoke("run", "--resume", str(tmp_path / "r"), "--runs-dir", tmp_path / "elsewhere",
                    "--base-url", stub_url, "-q")
    assert result.exit_code == 0, result.output  # the run folder's path works from anywhere


def test_repair_cuts_torn_lines_and_drops_orphans_and_unfinished_events(tmp_path):
    rows = [{"id": "p000000", "index": 0, "status": "accepted", "texts": {"accepted": 1, "dropped": 0}}]
    (tmp_path / "personas.jsonl").write_text(json.dumps(rows[0]) + "\n" + json.dumps(rows[0]) + "\n{\"id")
    (tmp_path / "records.jsonl").write_text('{"id": "a", "persona_id": "p000000"}\n'
                                            '{"id": "b", "persona_id": "p000001"}\n')
    call = make_event({"ts": 0.0, "persona_id": "p000001", "agent": "w", "type": "llm_call",
                       "data": {"schema": "Texts", "parsed": {}}, "tokens_in": 5, "tokens_out": 2})
    events = [{"persona_id": None, "type": "x"},  # a type this version does not know: kept as it is
              {"persona_id": "p000000", "type": "sample"}, record(call)]
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    rep = repair(tmp_path)
    assert rep.done == {0} and rep.torn_lines == 1 and rep.duplicate_rows == 1 and rep.orphan_records == 1
    assert rep.discarded_events == 1 and rep.discarded_usage["w"]["tokens_in"] == 5
    assert [r["id"] for r in read_jsonl(tmp_path / "records.jsonl")] == ["a"]
    assert len(read_jsonl(tmp_path / "events.jsonl")) == 2
    (tmp_path / "f").write_bytes(b"no newline at all")
    assert cut_torn_line(tmp_path / "f") == 1 and (tmp_path / "f").read_bytes() == b""
