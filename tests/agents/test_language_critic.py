"""The language critic: a text in another language than the run's is rejected, both ways, from its script and
words; the few-shot pools and real comments pass; a wrong-language draft is rewritten in a run (scripted fake),
and a stub run in each language keeps its texts."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from personagen.agents.context import AgentContext, Limits
from personagen.agents.critics.language import judge_language
from personagen.agents.critics.registry import all_critics, select_critics
from personagen.agents.examples import pool_texts
from personagen.cli import app
from personagen.graph.build import build_graph
from personagen.graph.runner import run_one
from tests.fakes import FakeModels, ScriptedChat, good_script

ISSUE_ENGLISH = "I was afraid of what you said when I asked to meet your friend."  # kept in a ja run (issue 22)
JAPANESE = "会議が長すぎて本当に腹が立つ。"


def test_an_english_text_in_a_japanese_run_is_rejected() -> None:
    verdict = judge_language(ISSUE_ENGLISH, "ja")
    assert not verdict.passed
    assert verdict.reasons == ["0% of its letters are Japanese (kana, kanji), expected at least 60%: it reads as "
                               "English or another language in Latin letters; write the message in Japanese"]


def test_a_japanese_text_in_an_english_run_is_rejected() -> None:
    verdict = judge_language(JAPANESE, "en")
    assert not verdict.passed and "reads as Japanese; write the message in English" in verdict.reasons[0]


@pytest.mark.parametrize(("text", "language", "why"), [
    ("我今天非常生气，因为会议太长了。", "ja", "reads as Chinese"),
    ("Je suis tellement contente de te revoir demain soir", "en", "reads as French"),
    ("Hoy estoy muy feliz porque mi hermana viene mañana", "en", "reads as Spanish"),
    ("Ich bin heute so froh, endlich Urlaub", "en", "reads as German"),
    ("I went to 東京タワー with 友達 today, 最高だった", "en", "reads as Japanese"),
    ("!!! ... ???", "en", "no letters"),
])
def test_other_languages_and_mixtures_are_rejected(text: str, language: str, why: str) -> None:
    verdict = judge_language(text, language)
    assert not verdict.passed and why in verdict.reasons[0]


@pytest.mark.parametrize(("text", "language"), [
    ("今日LINEでOKって言われた！めっちゃ嬉しい", "ja"), ("ＳＮＳで見たカフェ、やっと行けた。", "ja"),
    ("Best day ever!", "en"), ("café au lait with my naïve little brother, what a morning", "en"),
    ("WHY THE FUCK IS BAYLESS ISOING", "en"), (ISSUE_ENGLISH, "en"), (JAPANESE, "ja"),
    ("calm bright morning river quiet friend letter garden", "en"),  # the stub's word salad: no foreign words
    ("Je ne sais quoi, but I love how you dress for the party", "en"),
])
def test_texts_in_the_runs_language_pass(text: str, language: str) -> None:
    assert judge_language(text, language).passed, judge_language(text, language).reasons


def test_languages_without_a_rule_are_not_judged() -> None:
    verdict = judge_language("Привет, как дела?", "ru")
    assert verdict.passed and verdict.reasons == ["not judged: no script rule for 'ru'"]


@pytest.mark.parametrize("language", ["en", "ja"])
def test_every_few_shot_message_passes(language: str) -> None:
    texts = pool_texts("emotion_writer", language)
    assert texts and all(judge_language(t, language).passed for t in texts)


def test_real_english_comments_pass(goemotions: Path) -> None:
    texts = [row["text"] for name in ("train.tsv", "dev.tsv", "test.tsv")
             for row in csv.DictReader((goemotions / name).open(encoding="utf-8"), delimiter="\t")]
    rejected = [t for t in texts if not judge_language(t, "en").passed]
    assert len(texts) > 5000 and len(rejected) <= len(texts) // 500, rejected[:10]


def test_it_is_a_built_in_enforced_rule_critic() -> None:
    spec = all_critics()["language"]
    assert spec.kind == "rule" and spec.stage == "expression"
    assert "language" in [s.name for s in select_critics(None, [])]


@pytest.mark.parametrize(("language", "wrong", "right"), [
    ("ja", ISSUE_ENGLISH, JAPANESE), ("en", JAPANESE, ISSUE_ENGLISH)])
def test_a_draft_in_the_wrong_language_is_rewritten(language: str, wrong: str, right: str) -> None:
    drafts = iter([wrong])
    chat = ScriptedChat(script=good_script(Texts=lambda prompt: {"texts": [next(drafts, right)]}))
    ctx = AgentContext(models=FakeModels(default=chat), emotions=["anger"], critics=select_critics(["language"], []),
                       texts_per_emotion=1, language=language, limits=Limits(text_attempts=2), sink=lambda e: None)
    state = asyncio.run(run_one(build_graph(), ctx, 0, 1))
    assert [t.text for t in state["texts"]] == [right]
    rewrite = [p for s, p in chat.prompts if s == "Texts"][-1]
    assert f"Rejected draft: {json.dumps(wrong, ensure_ascii=False)}" in rewrite


@pytest.mark.parametrize(("locale", "language"), [("us", "en"), ("jp", "ja")])
def test_a_stub_run_in_each_language_keeps_its_texts(tmp_path: Path, stub_url: str, locale: str,
                                                     language: str) -> None:
    args = ["run", "--locale", locale, "--language", language, "-n", "2", "-e", "joy,anger", "-k", "1",
            "--base-url", stub_url, "--model", "stub", "--runs-dir", str(tmp_path), "--run-id", "r", "-q", "--json"]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["critics"]["language"]["passed"] >= summary["texts"]["accepted"] > 0
    # the stub prefixes its texts with the field name ("texts0: 通りの音楽の朝。"): its shortest Japanese ones are
    # under 60% Japanese letters and rightly rewritten
    assert summary["critics"]["language"]["acceptance"] >= 0.8
