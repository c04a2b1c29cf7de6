"""Every config file shown in README.md and docs/*.md loads with the real settings loader and passes the checks
a run makes before it starts (emotions, locale, scenario vocabularies, critics, shard; see
personagen.pipeline.execute and build_context). A block that is deliberately not a PersonaGen config (a
pyproject.toml, say) is marked in the doc with `<!-- not-a-config -->` on the line before it.
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import pytest

from personagen.agents.critics.registry import select_critics
from personagen.graph.runner import parse_shard
from personagen.personas.emotions import resolve_emotions
from personagen.personas.locale import load_locale
from personagen.personas.scenario_slots import check_weights
from personagen.personas.vocab import load_vocab
from personagen.pipeline import advisory_critics
from personagen.settings import Settings, load_settings
from tests.docs.doc_blocks import ROOT, Block, all_blocks
from tests.inspection.plugin_helpers import EXAMPLE_PLUGIN, installed_plugin

# docs whose examples assume the worked example plug-in (examples/critics) is installed, as they say
PLUGIN_DOCS = {ROOT / "docs" / "critics.md"}

CONFIG_BLOCKS = [block for block in all_blocks() if block.is_config()]


def checked_settings(block: Block, tmp_path: Path) -> Settings:
    """Load the block as a config file and make the checks a run makes before writing anything."""
    path = tmp_path / "personagen.toml"
    path.write_text(block.text + "\n", encoding="utf-8")
    settings = load_settings(path)
    parse_shard(settings.run.shard)
    resolve_emotions(settings.run.emotions)
    load_locale(settings.run.locale)
    check_weights(load_vocab(settings.scenario_vocab), settings.coverage.weights)
    plugin = installed_plugin(tmp_path / "site", EXAMPLE_PLUGIN) if block.path in PLUGIN_DOCS else nullcontext()
    with plugin:
        critics = select_critics(settings.critics.enable, settings.critics.disable)
        if settings.critics.advisory is not None:  # the models are consulted only when advisory is not set
            advisory_critics(settings, critics, models=None)
    return settings


def test_the_docs_show_config_examples():
    assert any(block.path.name == "README.md" for block in CONFIG_BLOCKS)


@pytest.mark.parametrize("block", CONFIG_BLOCKS, ids=[block.where for block in CONFIG_BLOCKS])
def test_config_example_loads(block: Block, tmp_path: Path):
    if block.marked_not_config:
        pytest.skip("marked <!-- not-a-config --> in the doc")
    checked_settings(block, tmp_path)


def readme_multi_llm_example() -> Block:
    found = [b for b in CONFIG_BLOCKS if b.path.name == "README.md" and "[models.emotion_fidelity]" in b.text]
    assert len(found) == 1, "README.md should show one config with a [models.emotion_fidelity] entry"
    return found[0]


def test_readme_judge_with_its_own_backend_inherits_no_endpoint(tmp_path: Path):
    """`[models.emotion_fidelity] backend = "openai"` talks to OpenAI, not to the default entry's server."""
    settings = checked_settings(readme_multi_llm_example(), tmp_path)
    judge, default = settings.model_for("emotion_fidelity"), settings.model_for("default")
    assert default.base_url is not None
    assert judge.backend == "openai" and judge.base_url is None and judge.api_key_env is None
    assert judge.concurrency == default.concurrency  # non-endpoint settings are still inherited
