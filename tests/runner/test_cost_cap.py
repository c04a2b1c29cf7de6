"""`--max-cost` stops a run before it could pass the cap (status budget, exit 3, resumable); an unpriced model is
refused under a cap; costs land in summary.json with the price they were counted at."""

from __future__ import annotations

import pytest

from personagen import pricing
from tests.runner.conftest import SMALL, dataset, invoke, summary

PRICED = "[models.default]\nmodel = 'stub'\nprice_in_per_mtok = 10.0\nprice_out_per_mtok = 40.0\n"


@pytest.fixture
def priced(tmp_path):
    cfg = tmp_path / "priced.toml"
    cfg.write_text(PRICED)
    return cfg


def test_the_cap_stops_the_run_below_it_and_resume_finishes(tmp_path, stub_url, reference, priced):
    result = invoke("run", "-n", 12, *SMALL, "--runs-dir", tmp_path, "--run-id", "m", "--base-url", stub_url,
                    "--config", priced, "--max-cost", 0.15, "--concurrency", 2)
    assert result.exit_code == 3, result.output
    text = " ".join(result.output.split())
    assert "cost cap reached" in text and "--resume m" in text
    s = summary(tmp_path / "m")
    assert s["status"] == "budget" and s["personas"]["accepted"] < 12
    assert 0 < s["cost"] <= s["cost_cap"]["spent"] <= 0.15  # the calls' cost, and with the probe's worst case
    assert s["cost_cap"]["max_cost"] == 0.15 and s["cost_cap"]["probes"] > 0
    assert s["prices"]["emotion_writer"]["input"] == 10.0 and s["prices"]["emotion_writer"]["source"].startswith(
        "config")
    first = s["cost"]
    result = invoke("run", "--resume", "m", "--runs-dir", tmp_path, "--base-url", stub_url, "-q",
                    "--max-cost", 100)
    assert result.exit_code == 0, result.output
    s = summary(tmp_path / "m")
    assert s["status"] == "finished" and s["cost"] > first and s["cost_cap"]["spent"] <= 100
    # the cap counted every call of both processes (those of the personas the stop cut short too) and both probes
    assert s["cost_cap"]["spent"] == pytest.approx(s["cost"] + s["cost_cap"]["probes"], abs=1e-4)
    assert s["cost_per_text"] == round(s["cost"] / s["texts"]["accepted"], 6)
    assert dataset(tmp_path / "m") == dataset(reference)  # a cap changes when a run stops, never what it writes


def test_a_cap_below_the_first_request_stops_before_any_persona(tmp_path, stub_url, priced):
    result = invoke("run", "-n", 2, *SMALL, "--runs-dir", tmp_path, "--run-id", "z", "--base-url", stub_url,
                    "--config", priced, "--max-cost", 0.001)
    assert result.exit_code == 3, result.output
    s = summary(tmp_path / "z")
    assert s["status"] == "budget" and s["calls"] == 0 and s["personas"]["accepted"] == 0


def test_an_unpriced_model_is_refused_under_a_cap(tmp_path, stub_url, monkeypatch):
    monkeypatch.setattr(pricing, "is_loopback", lambda url: False)  # the stub as a remote server of unknown price
    result = invoke("run", "-n", 1, *SMALL, "--runs-dir", tmp_path, "--run-id", "u", "--base-url", stub_url,
                    "--max-cost", 5)
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "--max-cost needs a price" in text and "price_in_per_mtok" in text and "[models.default]" in text
    assert not (tmp_path / "u").exists()  # refused before anything is written
    result = invoke("run", "-n", 1, *SMALL, "--runs-dir", tmp_path, "--run-id", "v", "--base-url", stub_url)
    assert result.exit_code == 0, result.output
    assert summary(tmp_path / "v")["cost"] is None  # without a cap an unpriced run runs, uncosted


def test_loopback_servers_cost_nothing_unless_priced(tmp_path, stub_url):
    result = invoke("run", "-n", 1, *SMALL, "--runs-dir", tmp_path, "--run-id", "f", "--base-url", stub_url,
                    "--max-cost", 0.01)
    assert result.exit_code == 0, result.output
    s = summary(tmp_path / "f")
    assert s["cost"] == 0.0 and s["calls"] > 0 and s["prices"]["emotion_writer"]["source"].startswith("free")
