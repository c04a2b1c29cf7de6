"""`[models.<name>] seed` is sent with every request of that model (the stub counts the `seed` values it received,
bench/stub_server.py); nothing is sent when it is not set."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bench.stub_process import fetch_stats, start_stub
from personagen.cli import app


def run_with_seed(tmp_path, config: str) -> tuple[dict, list[dict]]:
    """`personagen run -n 1` on the stub with `config`: the stub's counts of request fields, the run's model calls."""
    (tmp_path / "c.toml").write_text(config, encoding="utf-8")
    with start_stub(latency=0.0) as (_, url):
        result = CliRunner().invoke(app, ["run", "-n", "1", "-e", "joy", "-k", "1", "--base-url", url, "--model",
                                          "stub", "--runs-dir", str(tmp_path), "--run-id", "s", "-q", "--config",
                                          str(tmp_path / "c.toml")])
        assert result.exit_code == 0, result.output
        params = fetch_stats(url)["params"]
    events = [json.loads(line) for line in (tmp_path / "s" / "events.jsonl").read_text().splitlines()]
    return params, [e for e in events if e["type"] == "llm_call"]


def test_the_seed_goes_with_every_request_of_its_model(tmp_path):
    params, calls = run_with_seed(tmp_path, "[models.default]\nseed = 7\n\n[models.plausibility]\nseed = 11\n")
    judged = sum(1 for e in calls if e["agent"] == "critic:plausibility")
    assert judged and params["seed:11"] == judged  # the critic's own entry (its probe is the default's)
    assert params["seed:7"] >= len(calls) - judged  # every other call, plus the probe's questions
    assert params["seed"] == params["seed:7"] + params["seed:11"]


def test_no_seed_is_sent_unless_set(tmp_path):
    params, calls = run_with_seed(tmp_path, "[run]\nseed = 7\n")  # the run seed is PersonaGen's, not the server's
    assert calls and "seed" not in params
