"""`run --estimate`: a pilot recorded as a real run, a projection with ranges, and the full run continuing from the
pilot (nothing paid twice). On three stub run shapes the actual cost falls inside the printed range and within 25%
of its midpoint."""

from __future__ import annotations

import json

import pytest

from tests.runner.conftest import dataset, invoke, read_jsonl, summary

PRICED = "[models.default]\nmodel = 'stub'\nprice_in_per_mtok = 10.0\nprice_out_per_mtok = 40.0\n"
SHAPES = {  # name: options (the stub's critics reject some texts, so rewrites vary per persona)
    "one-emotion": ["-e", "joy", "-k", "1"],
    "ekman6-k2": ["-e", "ekman6", "-k", "2"],
    "baseline": ["-e", "joy,anger,sadness", "-k", "2", "--method", "baseline"],
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_estimate_then_continue_lands_in_the_range(tmp_path, stub_url, shape):
    cfg = tmp_path / "priced.toml"
    cfg.write_text(PRICED)
    common = [*SHAPES[shape], "--model", "stub", "-q", "--seed", "11", "--base-url", stub_url, "--config", cfg]
    result = invoke("run", "-n", 40, *common, "--runs-dir", tmp_path, "--run-id", "e", "--estimate",
                    "--concurrency", 4)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "estimate for 40 personas, from a pilot of 10" in text and "--resume e -n 40" in text
    assert summary(tmp_path / "e")["personas"]["requested"] == 10  # the pilot is a real run of 10 personas
    projected = json.loads((tmp_path / "e" / "estimate.json").read_text())
    pilot_calls = summary(tmp_path / "e")["calls"]
    result = invoke("run", "--resume", "e", "-n", 40, "--runs-dir", tmp_path, "--base-url", stub_url, "-q")
    assert result.exit_code == 0, result.output
    s = summary(tmp_path / "e")
    assert s["personas"]["requested"] == 40 and len(read_jsonl(tmp_path / "e" / "personas.jsonl")) == 40
    cost = projected["cost"]
    assert cost["low"] <= s["cost"] <= cost["high"], (shape, cost, s["cost"])
    assert abs(s["cost"] - cost["mid"]) <= 0.25 * cost["mid"], (shape, cost, s["cost"])
    assert projected["calls"]["low"] <= s["calls"] <= projected["calls"]["high"]
    assert s["calls"] > pilot_calls  # the full run continued: the pilot's personas were not run again
    if shape != "one-emotion":
        return
    result = invoke("run", "-n", 40, *common, "--runs-dir", tmp_path, "--run-id", "full", "--concurrency", 4)
    assert result.exit_code == 0, result.output
    assert dataset(tmp_path / "e") == dataset(tmp_path / "full")  # pilot + continuation = the full run


def test_estimate_refuses_what_it_cannot_pilot(tmp_path, stub_url):
    result = invoke("run", "--texts", 20, "-e", "joy", "--estimate", "--runs-dir", tmp_path, "--base-url", stub_url,
                    "--model", "stub")
    assert result.exit_code == 2 and "--estimate pilots a new run" in " ".join(result.output.split())
