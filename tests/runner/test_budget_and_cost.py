"""`--max-tokens` stops a run cleanly (status budget, exit 3, resumable); prices give a cost per agent."""

from __future__ import annotations

from tests.runner.conftest import SMALL, dataset, invoke, summary


def test_budget_stops_cleanly_and_resume_with_a_bigger_budget_finishes(tmp_path, stub_url, reference):
    result = invoke("run", "-n", 12, *SMALL, "--runs-dir", tmp_path, "--run-id", "b", "--base-url", stub_url,
                    "--max-tokens", 6000, "--concurrency", 2)
    assert result.exit_code == 3, result.output
    assert "budget" in result.output and "--resume b" in result.output.replace("\n", " ")
    folder = tmp_path / "b"
    s = summary(folder)
    assert s["status"] == "budget" and 6000 <= s["tokens"] and s["personas"]["accepted"] < 12
    assert not (folder / "run.lock").exists()
    result = invoke("run", "--resume", "b", "--runs-dir", tmp_path, "--base-url", stub_url, "-q")
    assert result.exit_code == 3  # the stored budget is still used up
    result = invoke("run", "--resume", "b", "--runs-dir", tmp_path, "--base-url", stub_url, "-q",
                    "--max-tokens", 10_000_000)
    assert result.exit_code == 0, result.output
    assert dataset(folder) == dataset(reference)
    assert summary(folder)["status"] == "finished"


def test_cost_per_agent_from_prices_in_the_config(tmp_path, stub_url):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[models.default]\nmodel = 'stub'\nprice_in_per_mtok = 1.0\nprice_out_per_mtok = 4.0\n"
                   "[models.emotion_writer]\nprice_in_per_mtok = 0.0\nprice_out_per_mtok = 0.0\n")
    result = invoke("run", "-n", 2, *SMALL, "--runs-dir", tmp_path, "--run-id", "c", "--base-url", stub_url,
                    "--config", cfg)
    assert result.exit_code == 0, result.output
    s = summary(tmp_path / "c")
    writer = s["agents"]["emotion_writer"]
    assert writer["cost"] == 0.0
    judge = s["agents"]["critic:emotion_fidelity"]
    assert judge["cost"] == round((judge["tokens_in"] * 1.0 + judge["tokens_out"] * 4.0) / 1e6, 6) > 0
    assert s["cost"] == round(sum(a["cost"] for a in s["agents"].values()), 6)
    result = invoke("run", "-n", 1, *SMALL, "--runs-dir", tmp_path, "--run-id", "d", "--base-url", stub_url)
    assert summary(tmp_path / "d")["cost"] == 0.0  # a server on loopback costs nothing unless priced
