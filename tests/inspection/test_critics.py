"""`personagen critics`, the worked example plug-in, the guide's code, and broken critics."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path

import pytest

from personagen.agents.critics.registry import select_critics
from personagen.critics import Candidate, CriticError, accept, all_critics, critic, registered_critics
from personagen.personas.models import BasePersona, Expression, Stage
from tests.inspection.plugin_helpers import EXAMPLE_PLUGIN, installed_plugin, write_dist_info

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "critics.md"
PERSONA = BasePersona(
    id="p000000", index=0, locale="us", age=34, gender="female", occupation="Registered Nurses", mbti="ISFJ"
)


def guide_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.DOTALL)


def listed(cli, *args: str) -> tuple[dict[str, dict], list[str], str]:
    result = cli("critics", "--json", *args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return {c["name"]: c for c in data["critics"]}, data["warnings"], result.stderr


def judge(name: str, text: str, emotion: str = "joy", **kw) -> object:
    spec = all_critics()[name]
    candidate = Candidate(
        stage=Stage.EXPRESSION, persona=PERSONA, expression=Expression(emotion=emotion, text=text), **kw
    )
    return asyncio.run(spec.run(candidate))


def test_example_plugin_is_listed_with_stage_kind_and_origin(cli, example_critic) -> None:
    critics, warnings, _ = listed(cli)
    assert warnings == []
    for name in ("banned_phrases", "first_person"):
        assert critics[name]["stage"] == "expression" and critics[name]["kind"] == "rule"
        assert (critics[name]["origin"], critics[name]["package"]) == ("plug-in", "personagen-banned-phrases")
    assert critics["constraints"]["origin"] == "built-in"
    assert critics["emotion_fidelity"]["kind"] == "llm"
    table = cli("critics")
    assert table.exit_code == 0 and "banned_phrases" in table.stdout and "plug-in" in table.stdout


def test_example_plugin_is_selected_by_default_and_can_be_disabled(example_critic) -> None:
    names = [s.name for s in select_critics(None, ["first_person"])]
    assert "banned_phrases" in names and "first_person" not in names


def test_example_critics_judge(example_critic) -> None:
    all_critics()
    assert not judge("banned_phrases", "As an AI, I feel happy.").passed
    verdict = judge("banned_phrases", "What a joy to see you!")
    assert not verdict.passed and verdict.reasons == ["contains 'joy'"] and verdict.critic == "banned_phrases"
    assert judge("banned_phrases", "Finally got the keys today!").passed
    assert not judge("first_person", "The sky is blue today.").passed
    assert judge("first_person", "I finally got the keys!").passed
    assert judge("first_person", "空が青い。", language="ja").passed


def test_guide_shows_the_example_verbatim() -> None:
    source = (EXAMPLE_PLUGIN / "src" / "personagen_banned_phrases" / "__init__.py").read_text(
        encoding="utf-8"
    )
    example = next(b for b in guide_blocks("python") if "banned_phrases" in b)
    assert example.strip() in source
    entry = next(b for b in guide_blocks("toml") if "banned_phrases =" in b)
    assert entry.strip() in (EXAMPLE_PLUGIN / "pyproject.toml").read_text(encoding="utf-8")


def test_guide_quick_start_critic_loads_lists_and_passes_the_guide_test(
    cli, registry_snapshot, tmp_path
) -> None:
    quick, *_ = guide_blocks("python")
    (tmp_path / "my_critics.py").write_text(quick, encoding="utf-8")
    try:
        critics, warnings, _ = listed(cli, "--load", str(tmp_path / "my_critics.py"))
        assert warnings == []
        assert {k: critics["no_hashtags"][k] for k in ("stage", "kind", "origin")} == {
            "stage": "expression",
            "kind": "rule",
            "origin": "local",
        }
        guide_test = next(b for b in guide_blocks("python") if "def test_rejects_hashtags" in b)
        namespace: dict = {}
        exec(compile(guide_test, "docs/critics.md", "exec"), namespace)
        namespace["test_rejects_hashtags"]()
    finally:
        sys.modules.pop("my_critics", None)


def test_guide_llm_critic_runs_with_a_scripted_answer(registry_snapshot) -> None:
    code = next(b for b in guide_blocks("python") if 'kind="llm"' in b)
    namespace: dict = {"__name__": "guide_llm_critic"}
    exec(compile(code, "docs/critics.md", "exec"), namespace)
    schema = namespace["Register"]

    async def asker(messages, answer_schema):
        assert answer_schema is schema and "Message: I am so done" in messages[-1].content
        return schema(reason="too formal", matches=False)

    verdict = judge("register", "I am so done with this.", asker=asker)
    assert (verdict.passed, verdict.kind, verdict.reasons) == (False, "llm", ["too formal"])


def test_name_clash_is_a_critic_error_naming_it(registry_snapshot) -> None:
    @critic("clash_me", stage="base", description="first")
    def first(candidate: Candidate):
        return accept()

    with pytest.raises(CriticError, match="critic name 'clash_me' from .*second clashes with .*first"):

        @critic("clash_me", stage="base", description="second")
        def second(candidate: Candidate):
            return accept()


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        (True, "critic 'wrong_type' returned bool, expected a Verdict"),
        (None, "critic 'wrong_type' returned NoneType, expected a Verdict"),
    ],
)
def test_wrong_return_type_is_a_critic_error_naming_it(registry_snapshot, returned, message) -> None:
    critic("wrong_type", stage="expression", description="broken")(lambda candidate: returned)
    with pytest.raises(CriticError, match=message):
        judge("wrong_type", "I am here.")


def test_raising_critic_is_a_critic_error_naming_it(registry_snapshot) -> None:
    def broken(candidate: Candidate):
        raise KeyError("oops")

    critic("raises", stage="expression", description="broken")(broken)
    with pytest.raises(CriticError, match="critic 'raises' raised KeyError"):
        judge("raises", "I am here.")


def test_broken_and_clashing_plugins_are_warnings(cli, tmp_path, example_critic) -> None:
    site = tmp_path / "more-site"
    (site / "broken_critics.py").parent.mkdir(parents=True, exist_ok=True)
    (site / "broken_critics.py").write_text("raise ImportError('missing dependency frobnicate')\n")
    (site / "clashing_critics.py").write_text(
        "from personagen.critics import accept, critic\n"
        "critic('constraints', stage='base', description='again')(lambda c: accept())\n"
    )
    write_dist_info(site, "broken-critics", {"broken": "broken_critics", "clashing": "clashing_critics"})
    sys.path.insert(0, str(site))
    try:
        critics, warnings, stderr = listed(cli)
    finally:
        sys.path.remove(str(site))
        for name in ("broken_critics", "clashing_critics"):
            sys.modules.pop(name, None)
    assert any("'broken'" in w and "frobnicate" in w for w in warnings)
    assert any("'clashing'" in w and "clashes" in w for w in warnings)
    assert "frobnicate" in stderr
    assert critics["constraints"]["origin"] == "built-in" and "banned_phrases" in critics


def test_missing_load_target_is_a_warning(cli, registry_snapshot) -> None:
    _, warnings, stderr = listed(cli, "--load", "no/such/file.py")
    assert any("no/such/file.py" in w for w in warnings) and "no/such/file.py" in stderr


def test_installed_plugin_helper_cleans_up(tmp_path) -> None:
    with installed_plugin(tmp_path / "a") as modules:
        all_critics()
        assert "banned_phrases" in registered_critics() and modules == ["personagen_banned_phrases"]
    assert "banned_phrases" not in registered_critics()
    assert "personagen_banned_phrases" not in sys.modules
