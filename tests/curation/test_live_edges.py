"""Semantic edges found while a run generates and reused by its curation, on runs written by the pipeline on the
stub: the curation at the end, `personagen curate` later, after a resume and after a merge all equal the full
computation (the same run's curation with its stored edges deleted)."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

from personagen.agents.sentence_embedder import shared_embedder
from personagen.curation import COSINE, NEIGHBOURS
from personagen.curation import livegraph as livegraph_module
from personagen.curation.edges import EdgeLog
from personagen.curation.live import LiveEmbedding, live_graph
from personagen.curation.vectors import VectorStore
from tests.curation.conftest import invoke, make_run, plant_group, read_jsonl


def curation(folder: Path) -> tuple[dict, list[dict]]:
    return json.loads((folder / "curation.json").read_text()), read_jsonl(folder / "curation.jsonl")


def same_result(a: tuple[dict, list[dict]], b: tuple[dict, list[dict]]) -> bool:
    keys = ("records", "kept", "removed", "distinct_texts", "groups", "largest_group", "by_match")
    return [a[0][k] for k in keys] == [b[0][k] for k in keys] and a[1] == b[1]


def full(folder: Path, tmp_path: Path, *options: str) -> tuple[dict, list[dict]]:
    """The curation of a copy of the run with its stored edges deleted: every edge computed."""
    copy = tmp_path / "without-edges" / folder.name
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(folder, copy)
    for path in (copy / "curation-cache").glob("neighbours-*.jsonl"):
        path.unlink()
    result = invoke("curate", copy, "--json", *options)
    assert result.exit_code == 0, result.output
    found = curation(copy)
    assert found[0]["settings"]["neighbours_stored"] == 0
    return found


def edge_log(folder: Path) -> EdgeLog:
    return EdgeLog(folder / "curation-cache", shared_embedder().source.cache_id, COSINE, NEIGHBOURS)


def test_the_curation_reads_the_stored_edges_and_equals_the_full_computation(tmp_path, stub_url):
    folder = make_run(tmp_path / "runs", "r", stub_url)
    at_end = curation(folder)
    distinct = at_end[0]["distinct_texts"]
    assert at_end[0]["settings"]["neighbours_stored"] <= distinct
    assert edge_log(folder).read().keys and len(edge_log(folder).read().keys) == distinct  # the end stored the rest
    assert same_result(at_end, full(folder, tmp_path))

    result = invoke("curate", folder, "--json")  # later: every edge read
    assert result.exit_code == 0 and json.loads(result.output)["settings"]["neighbours_stored"] == distinct
    assert same_result(curation(folder), at_end)

    ids = plant_group(folder)  # records added under earlier personas: the stored edges cover a shorter prefix
    result = invoke("curate", folder, "--json")
    assert result.exit_code == 0 and 0 < json.loads(result.output)["settings"]["neighbours_stored"] < distinct
    planted = curation(folder)
    assert {r["id"] for r in planted[1]} >= set(ids[1:4])  # the exact, lexical and semantic variants
    assert same_result(planted, full(folder, tmp_path))

    result = invoke("curate", folder, "--json", "--threshold", "0.6")  # other settings: all computed
    assert result.exit_code == 0 and json.loads(result.output)["settings"]["neighbours_stored"] == 0
    assert same_result(curation(folder), full(folder, tmp_path, "--threshold", "0.6"))


def test_the_live_worker_covers_a_finished_run_and_picks_up_after_a_restart(tmp_path, stub_url, monkeypatch):
    """The worker fed a real run's personas in a shuffled order, stopped half-way and started again on the folder
    (as a resumed run's is): its edges are the full computation's."""
    monkeypatch.setattr(livegraph_module, "BATCH", 1)
    folder = make_run(tmp_path / "runs", "r", stub_url, "--no-curate")
    rows, records = read_jsonl(folder / "personas.jsonl"), read_jsonl(folder / "records.jsonl")
    store = VectorStore(folder / "curation-cache", shared_embedder().source.cache_id)
    order = sorted(row["index"] for row in rows)
    random.Random(4).shuffle(order)
    worker = LiveEmbedding(store, shared_embedder(), live_graph(store))
    for index in order[:3]:
        worker.add([r for r in records if r["persona_id"] == f"p{index:06d}"], index)
    assert worker.settle(timeout=120)
    worker.close()
    first = len(edge_log(folder).read().keys)

    restarted = LiveEmbedding(store, shared_embedder(), live_graph(store))  # reads the rest from the folder
    assert restarted.settle(timeout=120) and restarted.graph_error is None
    restarted.close()
    covered = edge_log(folder).read()
    result = invoke("curate", folder, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert first <= len(covered.keys) == summary["distinct_texts"] == summary["settings"]["neighbours_stored"]
    assert covered.through == max(order)
    assert same_result(curation(folder), full(folder, tmp_path))


def test_a_resumed_run_and_a_merged_run_curate_as_the_full_computation(tmp_path, stub_url):
    runs = tmp_path / "runs"
    result = invoke("run", "-n", 8, "-e", "joy,anger", "-k", "2", "--seed", "5", "--runs-dir", runs, "--run-id", "b",
                    "--base-url", stub_url, "--model", "stub", "-q", "--max-tokens", 6000, "--concurrency", 2)
    assert result.exit_code == 3, result.output  # stopped at the budget: no curation yet
    result = invoke("run", "--resume", "b", "--runs-dir", runs, "--base-url", stub_url, "-q",
                    "--max-tokens", 10_000_000)
    assert result.exit_code == 0, result.output
    assert same_result(curation(runs / "b"), full(runs / "b", tmp_path))

    for i in range(2):
        make_run(runs, f"s{i}", stub_url, "--shard", f"{i}/2", personas=6)
    assert not list((runs / "s0" / "curation-cache").glob("neighbours-*"))  # a shard's edges would lack the other's
    result = invoke("merge", "s0", "s1", "--run-id", "m", "--runs-dir", runs)
    assert result.exit_code == 0, result.output
    result = invoke("curate", "m", "--runs-dir", runs, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["settings"]["neighbours_stored"] == 0
    merged = curation(runs / "m")
    assert same_result(merged, full(runs / "m", tmp_path))
    result = invoke("curate", "m", "--runs-dir", runs, "--json")
    assert json.loads(result.output)["settings"]["neighbours_stored"] == merged[0]["distinct_texts"]
    assert same_result(curation(runs / "m"), merged)

