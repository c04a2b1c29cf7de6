"""Rule critics on Japanese texts: length in characters, Japanese scaffolding and debris, copies on janome words."""

from __future__ import annotations

import asyncio

import pytest

from personagen.agents.critics.rules import (
    MAX_CHARS,
    MIN_CHARS,
    copied_background,
    copied_scene,
    copies_an_example,
    duplicates,
    text_shape,
)
from personagen.agents.examples import load_pool, pool_path, pool_texts, shown_examples
from personagen.critics import Candidate, all_critics
from personagen.personas.models import BasePersona, Expression, Scenario, SocioCultural, Stage
from personagen.personas.scenario_slots import SlotPlan, draw_slots
from personagen.personas.text_units import char_count
from personagen.personas.vocab import SLOTS, load_vocab

PERSONA = BasePersona(id="p1", index=0, locale="jp", age=34, gender="female", occupation="Clerical workers",
                      mbti="ISFJ")
ISSUE_TEXTS = ("今日は本当に嬉しい！友達と久しぶりに会えたよ。", "会議が長すぎて本当に腹が立つ。")
# Written for this test, none taken from the pool; some share one phrase with a pool message ("今週三回目の").
OWN_TEXTS = (
    "駅前の本屋がなくなるって聞いて、ちょっと寂しい。", "明日の発表、資料まだ半分しかできてない…",
    "やっと引っ越しの荷物が片付いた！今夜はゆっくり寝られる。", "隣の部屋の工事の音で朝から全然集中できない。",
    "母から野菜がたくさん届いた。しばらく買い物いらないな。", "電車が止まって一時間も待たされてる。もう帰りたい。",
    "久しぶりに実家の猫に会えた。相変わらずそっけない。", "会議で私の案が通った！みんなありがとう。",
    "財布を落としたかもしれない。どうしよう。", "今年初めての花火、めっちゃきれいだった。",
    "先輩がこっそりお菓子を机に置いてくれてた。", "雨なのに傘を忘れた。ついてない一日だ。",
    "娘が初めて自転車に乗れた。思わず拍手しちゃった。", "夜中にラーメン食べちゃった。でも後悔はしてない。",
    "来週から新しい部署。うまくやれるか心配だな。", "子牛が生まれたって聞いて、朝から牧場に行ってきた。",
    "冷蔵庫に三日前のカレーが残ってた。まだ大丈夫かな。", "今週三回目の残業。さすがに疲れた。",
)


def candidate(text: str, language: str = "ja", earlier: tuple[str, ...] = ()) -> Candidate:
    return Candidate(Stage.EXPRESSION, PERSONA, expression=Expression(emotion="joy", text=text), language=language,
                     earlier_texts=list(earlier))


def test_the_issue_texts_pass_text_shape_through_the_public_critic_api() -> None:
    spec = all_critics()["text_shape"]
    for text in ISSUE_TEXTS:
        verdict = asyncio.run(spec.run(candidate(text)))
        assert verdict.passed, verdict.reasons
        assert verdict.reasons == [f"{char_count(text)} characters"]


def test_japanese_length_bounds_are_in_characters() -> None:
    assert not text_shape(candidate("最高！")).passed
    assert text_shape(candidate("最高の一日！")).passed  # MIN_CHARS
    too_long = "今日は朝から雨で、" * 20
    verdict = text_shape(candidate(too_long))
    assert not verdict.passed and verdict.reasons == [f"{char_count(too_long)} characters; expected 6-140"]


def test_english_runs_keep_the_word_rule() -> None:
    verdict = text_shape(candidate(ISSUE_TEXTS[1], language="en"))
    assert not verdict.passed and verdict.reasons == ["1 words; expected 3-80"]
    assert text_shape(candidate("Your birthday party will be here soon!", language="en")).passed


@pytest.mark.parametrize("text", [
    "感情：喜び\n今日は友達と会えて最高だった", "人物: 34歳の会社員。今日は最高だった", "【感情】今日は友達に会えた",
    "メッセージ：やっと仕事が終わった！", "Emotion: joy 今日は友達に会えた", "Messages: 今日はやっと休みだ",
])
def test_japanese_scaffolding_is_rejected(text: str) -> None:
    verdict = text_shape(candidate(text))
    assert not verdict.passed and "scaffolding" in verdict.reasons[0]


@pytest.mark.parametrize("text", [
    "今日は友達と会えて最高だった！｝、", "｛\"texts\": [\"今日は最高", "今日は最高だった」}",
    "“texts”：今日は最高の日",
])
def test_japanese_json_debris_is_rejected(text: str) -> None:
    verdict = text_shape(candidate(text))
    assert not verdict.passed and "JSON" in verdict.reasons[0]


def test_everyday_japanese_texts_pass_every_text_rule() -> None:
    for text in OWN_TEXTS + ISSUE_TEXTS:
        assert text_shape(candidate(text)).passed, text
        assert duplicates(candidate(text)).passed, text


def test_copies_of_the_japanese_pool_are_caught() -> None:
    for text in pool_texts("emotion_writer", "ja"):
        assert copies_an_example(text, language="ja"), text
        assert not duplicates(candidate(text)).passed
    edited = "双子が二人そろって今日の午後の検定に一発合格したってさ！今夜は俺のおごりだ。"
    assert copies_an_example(edited, language="ja")
    assert not copies_an_example(edited, language="en")  # the English pool has no such message


def test_a_repeat_of_an_earlier_text_differing_in_punctuation_is_a_duplicate() -> None:
    verdict = duplicates(candidate("会議が長すぎて本当に腹が立つ！", earlier=(ISSUE_TEXTS[1],)))
    assert not verdict.passed and verdict.reasons == ["same text as an earlier one of this persona"]
    assert duplicates(candidate(ISSUE_TEXTS[0], earlier=(ISSUE_TEXTS[1],))).passed


def test_japanese_background_and_scene_copies_are_caught() -> None:
    def socio(residence: str) -> SocioCultural:
        return SocioCultural(education="university graduate", residence=residence, family_structure="lives alone",
                             religion="no religious affiliation", income="普通", beliefs="家族を大切にしている")

    copied = socio("福岡市の駅に近いワンルームアパート。")
    assert not copied_background(Candidate(Stage.SOCIO, PERSONA, socio=copied, language="ja")).passed
    own = socio("札幌市の駅に近いワンルームアパート")
    assert copied_background(Candidate(Stage.SOCIO, PERSONA, socio=own, language="ja")).passed

    def scene(description: str) -> Scenario:
        return Scenario(location="バス停", activity="帰宅途中", partner="親友", medium="LINE",
                        language_style="くだけた", description=description)

    edited = "遅番が二つ続いて足が痛むなか、暗いバス停で、遠くに住む弟に向けてボイスメッセージを吹き込んでいる。"
    assert not copied_scene(Candidate(Stage.SCENARIO, PERSONA, scenario=scene(edited), language="ja")).passed
    mine = "雨上がりのバス停でベンチに座り、スマホを片手に親友へ今日の出来事を送っている。"
    assert copied_scene(Candidate(Stage.SCENARIO, PERSONA, scenario=scene(mine), language="ja")).passed


def test_japanese_pools_have_the_form_of_the_english_ones_and_fit_the_bounds() -> None:
    english, japanese = load_pool("emotion_writer"), load_pool("emotion_writer", "ja")
    assert set(japanese["texts"]) == set(english["texts"]) and len(japanese["writers"]) == len(english["writers"])
    for pairs in japanese["texts"].values():
        assert len(pairs) == len(japanese["writers"]) and all(len(pair) == 2 for pair in pairs)
    lengths = [char_count(t) for t in pool_texts("emotion_writer", "ja")]
    assert MIN_CHARS < min(lengths) and max(lengths) < MAX_CHARS
    for agent in ("socio_enricher", "scenario_designer"):
        assert len(load_pool(agent, "ja")["examples"]) >= 6
        assert all(any("\u3040" <= ch <= "\u30ff" for ch in text) for text in pool_texts(agent, "ja"))
    assert len(shown_examples("socio_enricher", 3, seed=4, attempt=1, language="ja")) == 3
    assert pool_path("emotion_writer", "fr") == pool_path("emotion_writer") != pool_path("emotion_writer", "ja-JP")


def test_the_jp_locale_has_a_japanese_scenario_vocabulary_for_japanese_texts() -> None:
    vocab = load_vocab(locale="jp", language="ja")
    for key in SLOTS:
        assert len(getattr(vocab, key)) >= 5
    assert all(not value.isascii() for value in vocab.locations + vocab.partners + vocab.language_styles)
    assert draw_slots(vocab, SlotPlan(), 0, 7, 1)["location"] in vocab.locations
    assert load_vocab(locale="jp", language="en") == load_vocab() == load_vocab(locale="us", language="ja")
    assert load_vocab({"media": ["手紙"]}, locale="jp", language="ja").media == ("手紙",)
