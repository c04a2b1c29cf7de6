"""`personagen run --ray`: shards on a local Ray instance give the single-process dataset, survive a dead worker,
stop cleanly on Ctrl-C and continue with --resume.

One local Ray instance (2 CPUs, no dashboard) serves the whole module: the in-process CLI's driver uses it as it
is, the Ctrl-C test's driver process connects to it with --ray-address. The worker-killing hook of
personagen/scale/task.py is armed through an environment variable that the Ray workers inherit. Skipped when Ray
(the `ray` extra) is not installed, except the checks that need no Ray.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.stub_process import start_stub
from personagen.scale.progress import ShardTail
from personagen.scale.shards import shard_settings
from personagen.scale.task import KILL_ENV
from personagen.settings import Settings
from tests.runner.conftest import SMALL, invoke, read_jsonl, summary

needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="needs the ray extra")
TIMING = {"latency_s", "started", "finished", "wall_s", "cpu_s"}


def comparable(value):
    """A row without timing fields, floats to 4 places: an embedding critic's score differs in the 7th digit
    between processes (Ray runs each task with OMP_NUM_THREADS=1, so ONNX sums in another order)."""
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    return round(value, 4) if isinstance(value, float) else value


def records(folder: Path) -> list[dict]:
    """records.jsonl rows sorted by id, comparable."""
    return sorted((comparable(r) for r in read_jsonl(folder / "records.jsonl")), key=lambda r: r["id"])


@dataclass
class LocalRay:
    marker: Path  # the kill hook's marker file, watched by the workers
    address: str  # of the instance, for a second driver


@pytest.fixture(scope="module")
def ray_local():
    """A local Ray instance for the module."""
    ray = pytest.importorskip("ray")
    temp = Path(tempfile.mkdtemp(prefix="ray"))  # short: Ray's socket paths live under it
    os.environ[KILL_ENV] = str(temp / "kill-marker")  # inherited by the workers ray.init starts
    ray.init(num_cpus=2, include_dashboard=False, _temp_dir=str(temp / "t"), log_to_driver=False)
    try:
        yield LocalRay(temp / "kill-marker", ray.get_runtime_context().gcs_address)
    finally:
        ray.shutdown()
        os.environ.pop(KILL_ENV, None)
        shutil.rmtree(temp, ignore_errors=True)


def ray_run(runs, stub_url, run_id, *extra):
    return invoke("run", "-n", 12, *SMALL, "--runs-dir", runs, "--run-id", run_id, "--base-url", stub_url,
                  "--ray", "--ray-shards", 2, "--json", *extra)


def assert_same_dataset(folder: Path, reference: Path) -> None:
    assert records(folder) == records(reference)
    assert sorted(p["index"] for p in read_jsonl(folder / "personas.jsonl")) == list(range(12))
    s, ref = summary(folder), summary(reference)
    assert s["status"] == "finished" and s["texts"] == ref["texts"] and s["personas"] == ref["personas"]


@needs_ray
def test_ray_run_equals_the_single_process_run(tmp_path, stub_url, reference, ray_local):
    result = ray_run(tmp_path, stub_url, "r")
    assert result.exit_code == 0, result.output
    folder = tmp_path / "r"
    assert_same_dataset(folder, reference)
    s = summary(folder)
    assert s["calls"] == summary(reference)["calls"]
    assert s["scale"]["shards"] == 2 and s["scale"]["retries"] == 0
    assert s["merged_from"] == ["r-0of2", "r-1of2"]
    shards = [read_jsonl(tmp_path / "r.shards" / f"r-{i}of2" / "personas.jsonl") for i in (0, 1)]
    assert [sorted(p["index"] for p in rows) for rows in shards] == [list(range(0, 12, 2)), list(range(1, 12, 2))]
    config = json.loads((folder / "config.json").read_text())
    assert config["shard"] is None and "scale" not in config["settings"]
    assert json.loads((tmp_path / "r.shards" / "ray.json").read_text())["status"] == "finished"
    again = ray_run(tmp_path, stub_url, "r")
    assert again.exit_code == 2 and "already exists" in " ".join(again.output.split())


@needs_ray
def test_a_killed_worker_is_resumed_and_the_dataset_is_whole(tmp_path, stub_url, reference, ray_local):
    config = tmp_path / "shared.toml"  # the shards in a storage folder of their own, as on a cluster
    config.write_text(f"[scale]\nstorage = \"{tmp_path / 'shared'}\"\n")
    ray_local.marker.write_text("3")  # the first shard to start kills its worker after 3 of its 6 personas
    result = ray_run(tmp_path / "runs", stub_url, "k", "--config", config)
    assert result.exit_code == 0, result.output
    folder = tmp_path / "runs" / "k"
    assert (tmp_path / "runs" / "k.shards" / "ray.json").is_file()
    assert_same_dataset(folder, reference)
    s = summary(folder)
    assert s["scale"]["retries"] == 1 and s["resumed"] == 1
    retry = s["scale"]["retry_log"][0]
    assert retry["error"] == "WorkerCrashedError" and retry["attempt"] == 2
    killed = json.loads(Path(f"{ray_local.marker}.taken").read_text())
    assert retry["noticed_at"] >= killed["killed_at"] - 0.01
    dead = next(r for r in s["scale"]["shard_runs"] if r["id"] == retry["shard"])
    assert dead["attempts"] == 2 and dead["status"] == "finished"
    resume = [e for e in read_jsonl(tmp_path / "shared" / "k.shards" / retry["shard"] / "events.jsonl")
              if e["type"] == "resume"]
    assert resume[0]["data"]["done"] == 3
    print(f"worker killed -> retry submitted {retry['submitted_at'] - killed['killed_at']:.2f} s, "
          f"-> shard resumed {resume[0]['ts'] - killed['killed_at']:.2f} s")
    Path(f"{ray_local.marker}.taken").unlink()


@needs_ray
def test_a_stopped_ray_run_continues_with_resume(tmp_path, stub_url, reference, ray_local):
    config = tmp_path / "no-retry.toml"
    config.write_text("[scale]\nmax_retries = 0\n")
    ray_local.marker.write_text("2")
    result = ray_run(tmp_path, stub_url, "s", "--config", config)
    assert result.exit_code == 1, result.output
    assert "continue with: personagen run --resume s" in " ".join(result.output.split())
    assert not (tmp_path / "s").exists()
    stopped = json.loads(result.stdout.strip().splitlines()[-1])
    assert stopped["status"] == "failed" and stopped["personas"]["accepted"] >= 2
    Path(f"{ray_local.marker}.taken").unlink()
    result = invoke("run", "--resume", "s", "--runs-dir", tmp_path, "--base-url", stub_url, "-q", "--json")
    assert result.exit_code == 0, result.output
    assert_same_dataset(tmp_path / "s", reference)
    assert summary(tmp_path / "s")["resumed"] >= 1
    refused = invoke("run", "--resume", "s", "--runs-dir", tmp_path, "--ray-shards", 3)
    assert refused.exit_code == 2  # the merged run is a normal run now: it cannot be re-sharded


@needs_ray
def test_ctrl_c_leaves_every_shard_resumable(tmp_path, reference, ray_local):
    with start_stub(latency=0.1) as (_, slow_url):
        args = ["run", "-n", "12", *SMALL, "--concurrency", "2", "--runs-dir", str(tmp_path), "--run-id", "c",
                "--base-url", slow_url, "--ray-address", ray_local.address, "--ray-shards", "2"]  # a 2nd driver
        code = "import sys; from personagen.cli import main; sys.argv[0] = 'personagen'; main()"
        env = {k: v for k, v in os.environ.items() if k != KILL_ENV}
        proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env=env)
        rows = tmp_path / "c.shards" / "c-0of2" / "personas.jsonl"
        deadline = time.monotonic() + 120
        while not (rows.exists() and rows.read_text().count("\n") >= 2):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode()[-2000:]
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 1
        started = [tmp_path / "c.shards" / f"c-{i}of2" for i in (0, 1)]
        started = [s for s in started if s.exists()]  # on a busy machine shard 1 may not have started yet
        for shard in started:
            assert summary(shard)["status"] == "interrupted" and not (shard / "run.lock").exists()
        assert json.loads((tmp_path / "c.shards" / "ray.json").read_text())["status"] == "interrupted"
        result = invoke("run", "--resume", "c", "--runs-dir", tmp_path, "--base-url", slow_url, "-q")
    assert result.exit_code == 0, result.output
    assert_same_dataset(tmp_path / "c", reference)


def test_ray_options_are_checked_before_anything_is_written(tmp_path, stub_url, monkeypatch):
    base = ["run", "-n", 4, *SMALL, "--runs-dir", tmp_path, "--base-url", stub_url]
    for extra, expected in ((["--ray", "--shard", "0/2"], "do not mix"), (["--ray-shards", 2], "add --ray"),
                            (["--ray", "--ray-shards", 0], "shards")):
        result = invoke(*base, *extra)
        assert result.exit_code == 2 and expected in " ".join(result.output.split()), (extra, result.output)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real_find_spec(name))
    result = invoke(*base, "--ray")
    assert result.exit_code == 2 and "pip install 'personagen[ray]'" in result.output, result.output
    assert not any(tmp_path.iterdir())


def test_shard_settings_split_the_budget_and_keep_the_dataset():
    settings = Settings.model_validate({"run": {"personas": 10, "token_budget": 1001}})
    shards = [Settings.model_validate(shard_settings(settings, i, 3)) for i in range(3)]
    assert [s.run.shard for s in shards] == ["0/3", "1/3", "2/3"]
    assert {s.run.token_budget for s in shards} == {334}
    assert {s.run.seed for s in shards} == {settings.run.seed}


def test_shard_tail_reports_each_persona_once_even_after_a_repair(tmp_path):
    rows = [{"id": f"p{i}", "index": i, "status": "accepted", "texts": {"accepted": 1, "dropped": 0}}
            for i in range(3)]
    recs = [{"id": f"p{i}-joy-0", "persona_id": f"p{i}"} for i in range(3)]
    line = lambda o: json.dumps(o) + "\n"  # noqa: E731
    (tmp_path / "records.jsonl").write_text(line(recs[0]) + line(recs[1]))
    (tmp_path / "personas.jsonl").write_text(line(rows[0]) + line(rows[0]) + '{"id": "p1"')
    tail = ShardTail(tmp_path)
    assert [(r["id"], [x["id"] for x in rs]) for r, rs in tail.poll()] == [("p0", ["p0-joy-0"])]
    replaced = tmp_path / "new.jsonl"  # what a resume's repair does: rewrite the file, no duplicate, no torn line
    replaced.write_text(line(rows[0]) + line(rows[1]))
    replaced.replace(tmp_path / "personas.jsonl")
    assert [r["id"] for r, _ in tail.poll()] == ["p1"]
    with (tmp_path / "records.jsonl").open("a") as fh:
        fh.write(line(recs[2]))
    with (tmp_path / "personas.jsonl").open("a") as fh:
        fh.write(line(rows[2]))
    assert [(r["id"], len(rs)) for r, rs in tail.poll()] == [("p2", 1)]
    assert tail.poll() == []


@needs_ray
def test_the_shards_share_one_cost_cap_and_the_run_resumes_past_it(tmp_path, stub_url, reference, ray_local):
    config = tmp_path / "priced.toml"
    config.write_text("[models.default]\nmodel = 'stub'\nprice_in_per_mtok = 10.0\nprice_out_per_mtok = 40.0\n")
    result = ray_run(tmp_path, stub_url, "m", "--config", config, "--max-cost", 0.15)
    assert result.exit_code == 3, result.output
    text = " ".join(result.output.split())
    assert "cost cap reached" in text and "shared by the run's shards" in text and "--resume m" in text
    shards = [summary(tmp_path / "m.shards" / f"m-{i}of2") for i in (0, 1)]
    assert {s["status"] for s in shards} <= {"budget", "finished"} and "budget" in {s["status"] for s in shards}
    committed = sum(s["cost_cap"]["spent"] + s["cost_cap"]["in_flight"] for s in shards)
    # the requests of both shards together stay under the one cap; only a shard's capability probe, sent before it
    # can ask the ledger (as a single run probes before its cap is armed), may be counted past it
    assert 0 < committed <= 0.15 + max(s["cost_cap"]["probes"] for s in shards)
    assert sum(s["cost_cap"]["spent"] - s["cost_cap"]["probes"] + s["cost_cap"]["in_flight"] for s in shards) <= 0.15
    assert all(s["cost_cap"]["max_cost"] == 0.15 for s in shards)
    result = invoke("run", "--resume", "m", "--runs-dir", tmp_path, "--base-url", stub_url, "-q", "--json",
                    "--max-cost", 100)
    assert result.exit_code == 0, result.output
    assert_same_dataset(tmp_path / "m", reference)
