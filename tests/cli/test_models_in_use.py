"""Only the models of the agents and critics a run really uses are built and checked."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from personagen.cli import app

runner = CliRunner()


def test_a_disabled_critics_model_is_never_built_or_checked(tmp_path, stub_url):
    config = tmp_path / "c.toml"  # the plausibility judge's own server is dead: fine while it is disabled
    config.write_text('[models.plausibility]\nbackend = "openai-compatible"\nbase_url = "http://127.0.0.1:9/v1"\n'
                      'model = "judge"\n')
    args = ["run", "-n", "2", "-e", "joy", "-k", "1", "--runs-dir", str(tmp_path), "--base-url", stub_url,
            "--model", "stub", "--config", str(config), "-q", "--json"]
    disabled = runner.invoke(app, [*args, "--run-id", "off", "--no-critic", "plausibility"])
    assert disabled.exit_code == 0, disabled.output
    described = json.loads((tmp_path / "off" / "config.json").read_text())["models"]
    assert "plausibility" not in described
    enabled = runner.invoke(app, [*args, "--run-id", "on"])
    assert enabled.exit_code == 1 and "cannot reach the model server at http://127.0.0.1:9/v1" in enabled.output
    assert not (tmp_path / "on").exists()
