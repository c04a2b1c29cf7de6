"""The model transport and the imports, on whatever versions are installed. `.ci/run` runs these (marker `newest`)
a second time in a venv of their own with the newest versions pyproject.toml allows (no constraints file), so a
minor-bounded release of langchain-core, langchain-openai, langgraph, openai, httpx2 or pydantic that breaks them
shows before a user installs it. They need only the core install: no extra, nothing from `tests/` but fixtures."""

from __future__ import annotations

import importlib
import json
import pkgutil

import pytest
from typer.testing import CliRunner

import personagen
from personagen.cli import app

pytestmark = pytest.mark.newest
NEEDS_EXTRAS = ("personagen.evaluation", "personagen.curation.", "personagen.scale.ray",
                "personagen.inspection.browser", "personagen.backends.llamacpp", "personagen.backends.grammar_sampling",
                "personagen.backends.local", "personagen.agents.sentence_embedder",
                "personagen.agents.critics.emotion_classifier")


def test_every_core_module_imports():
    names = [m.name for m in pkgutil.walk_packages(personagen.__path__, "personagen.")]
    core = [n for n in names if not n.startswith(NEEDS_EXTRAS)]
    assert {"personagen.agents.llm", "personagen.graph.build", "personagen.backends.openai_compat"} <= set(core)
    for name in core:
        importlib.import_module(name)


@pytest.mark.parametrize("mode", ["function_calling", "json_schema", "json_mode"])
def test_a_run_through_the_openai_transport(tmp_path, stub_url, mode):
    """One persona on the stub server: the chat model, the SDK, its HTTP transport and the graph, in each mode."""
    config = tmp_path / "personagen.toml"
    config.write_text(f'[models.default]\nstructured_output = "{mode}"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["run", "-n", "1", "-e", "joy", "-k", "1", "--runs-dir", str(tmp_path),
                                      "--run-id", "r", "--base-url", stub_url, "--model", "stub", "--config",
                                      str(config), "--no-curate", "--json", "-q"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["status"] == "finished" and summary["texts"]["accepted"] == 1
    models = json.loads((tmp_path / "r" / "config.json").read_text(encoding="utf-8"))["models"]
    assert models["default"]["structured_output"] == mode
