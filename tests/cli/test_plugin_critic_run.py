"""A critic added exactly as docs/critics.md says is wired into the run: its rejections cause bounded
rewrites, are counted in summary.json and show in `personagen inspect`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from personagen.cli import app
from tests.inspection.plugin_helpers import installed_plugin

runner = CliRunner()


def test_plugin_critic_rejections_rewrite_bounded_and_show_everywhere(tmp_path, stub_url):
    with installed_plugin(tmp_path):
        listed = runner.invoke(app, ["critics", "--json"])
        assert "first_person" in listed.stdout
        result = runner.invoke(app, ["run", "-n", "2", "-e", "joy", "-k", "1", "--runs-dir", str(tmp_path),
                                     "--run-id", "p", "--base-url", stub_url, "--model", "stub", "-q", "--json",
                                     "--no-critic", "emotion_fidelity"])
    # the stub's texts are never first person: no text, so the run fails, naming the critic and the fix
    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["status"] == "failed" and summary["texts"]["accepted"] == 0
    assert "critic first_person" in summary["message"] and "--no-critic first_person" in summary["message"]
    counted = summary["critics"]["first_person"]
    assert counted["rejected"] > 0  # the stub's texts are word salad, never first person
    events = [json.loads(line) for line in (tmp_path / "p" / "events.jsonl").read_text().splitlines()]
    writes = [e for e in events if e["type"] == "llm_call" and e["agent"] == "emotion_writer"]
    assert len(writes) <= 2 * 3  # two personas, at most text_attempts (3) writes each: bounded
    verdicts = [e for e in events if e["type"] == "verdict" and e["agent"] == "critic:first_person"]
    assert len(verdicts) == counted["passed"] + counted["rejected"]
    inspected = runner.invoke(app, ["inspect", "p", "--runs-dir", str(tmp_path), "--critic", "first_person",
                                    "--json"])
    assert inspected.exit_code == 0 and "first_person" in inspected.stdout
    assert "not written in the first person" in inspected.stdout


def test_a_clashing_plugin_is_reported_by_name_in_run_and_the_run_goes_on(tmp_path, stub_url):
    package = tmp_path / "clash"
    (package / "src" / "clash_critic").mkdir(parents=True)
    (package / "pyproject.toml").write_text('[project]\nname = "clash-critic"\nversion = "0.1.0"\n\n'
                                            '[project.entry-points."personagen.critics"]\n'
                                            'clash = "clash_critic"\n')
    (package / "src" / "clash_critic" / "__init__.py").write_text(
        "from personagen.critics import accept, critic\n\n"
        "@critic('duplicates', stage='expression', description='same name as a built-in')\n"
        "def dup(candidate):\n    return accept()\n")
    with installed_plugin(tmp_path, package):
        result = runner.invoke(app, ["run", "-n", "1", "-e", "joy", "-k", "1", "--runs-dir", str(tmp_path / "runs"),
                                     "--base-url", stub_url, "--model", "stub", "-q"])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "clash" in output and "'duplicates'" in output and "clashes" in output
