"""`--shard I/N` and `personagen merge`: shards of one seed join into the single-machine dataset."""

from __future__ import annotations

import json

from tests.runner.conftest import SMALL, dataset, invoke, read_jsonl, summary


def run_shard(runs, stub_url, run_id, shard, *extra):
    result = invoke("run", "-n", 12, *SMALL, "--runs-dir", runs, "--run-id", run_id, "--base-url", stub_url,
                    "--shard", shard, *extra)
    assert result.exit_code == 0, result.output
    return runs / run_id


def test_shards_are_disjoint_and_merge_into_the_single_run(tmp_path, stub_url, reference):
    folders = [run_shard(tmp_path, stub_url, f"s{i}", f"{i}/3") for i in (2, 0, 1)]
    indices = [{p["index"] for p in read_jsonl(f / "personas.jsonl")} for f in folders]
    assert indices == [{2, 5, 8, 11}, {0, 3, 6, 9}, {1, 4, 7, 10}]
    result = invoke("merge", "s1", "s0", "s2", "--run-id", "all", "--runs-dir", tmp_path)
    assert result.exit_code == 0, result.output
    merged = tmp_path / "all"
    assert dataset(merged) == dataset(reference)
    assert sorted(p["index"] for p in read_jsonl(merged / "personas.jsonl")) == list(range(12))
    config = json.loads((merged / "config.json").read_text())
    assert config["shard"] is None and config["merged_from"] == ["s0", "s1", "s2"]
    s, ref = summary(merged), summary(reference)
    uncurated = {k: v for k, v in ref["texts"].items() if k != "kept"}  # merge does not curate (kept: after it)
    assert s["status"] == "finished" and s["texts"] == uncurated and s["personas"] == ref["personas"]
    assert s["calls"] == ref["calls"] and s["tokens"] == ref["tokens"]
    assert not (merged / "run.lock").exists()
    assert invoke("curate", "all", "--runs-dir", tmp_path).exit_code == 0
    assert summary(merged)["texts"] == ref["texts"]  # the curation counts the merged run's kept texts


def test_merge_refuses_incompatible_or_incomplete_shards(tmp_path, stub_url):
    run_shard(tmp_path, stub_url, "a0", "0/2")
    run_shard(tmp_path, stub_url, "a1", "1/2")
    run_shard(tmp_path, stub_url, "b1", "1/2", "--seed", "8")
    run_shard(tmp_path, stub_url, "c1", "1/3")
    run_shard(tmp_path / "elsewhere", stub_url, "a1", "1/2")
    cases = [
        (["a0", "b1"], "seed: 7 -> 8"),
        (["a0", "c1"], "split the personas differently"),
        (["a0", "a0"], "same shard"),
        (["a0"], "at least two"),
        (["a0", "nope"], "'nope' is not a run"),
        (["a0", str(tmp_path / "elsewhere" / "a1")], "not there"),
    ]
    for runs, expected in cases:
        result = invoke("merge", *runs, "--run-id", "out", "--runs-dir", tmp_path)
        assert result.exit_code == 2, (runs, result.output)
        assert expected in result.output.replace("\n", " "), (runs, result.output)
        assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
    result = invoke("merge", "a0", str(tmp_path / "a1"), "--run-id", "all", "--runs-dir", tmp_path)
    assert result.exit_code == 0, result.output  # a shard's path in --runs-dir works too
    result = invoke("merge", "a0", "--partial", "--run-id", "half", "--runs-dir", tmp_path)
    assert result.exit_code == 0, result.output


def test_bad_shard_is_a_clear_error(tmp_path, stub_url):
    for shard, expected in (("3/3", "must be below"), ("1-3", "shard")):
        result = invoke("run", "-n", 3, *SMALL, "--runs-dir", tmp_path, "--base-url", stub_url, "--shard", shard)
        assert result.exit_code == 2 and expected in result.output, result.output
    assert not any(tmp_path.iterdir())
