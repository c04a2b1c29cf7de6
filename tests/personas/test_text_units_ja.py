"""Japanese text units: janome words and tokens, length in characters, English unchanged, janome loaded lazily."""

from __future__ import annotations

import subprocess
import sys

from personagen.personas import text_units
from personagen.personas.text_units import (
    char_count,
    is_spaceless,
    ngram_set,
    normalised,
    text_length,
    tokenize,
    tokenizer_for,
    word_count,
    words,
)

HAPPY = "今日は本当に嬉しい！友達と久しぶりに会えたよ。"
ANGRY = "会議が長すぎて本当に腹が立つ。"


def test_japanese_is_split_into_words_by_janome() -> None:
    assert words(HAPPY, "ja") == ["今日", "は", "本当に", "嬉しい", "友達", "と", "久しぶり", "に", "会え", "た", "よ"]
    assert tokenize(ANGRY, "ja") == ["会議", "が", "長", "すぎ", "て", "本当に", "腹", "が", "立つ", "。"]
    assert tokenize(HAPPY, "ja")[3:5] == ["嬉しい", "!"]  # full-width ！ is folded (NFKC) to !


def test_keyboard_variants_and_punctuation_do_not_make_texts_different() -> None:
    assert tokenize("ＬＩＮＥで連絡したよ！", "ja")[:2] == ["line", "で"]
    assert normalised("ﾒｰﾙ送ったよ！", "ja") == normalised("メール送ったよ。", "ja") == "メール 送っ た よ"
    assert normalised("猫 が 好き", "ja") == normalised("猫が好き", "ja")


def test_length_is_characters_for_languages_without_spaces_and_words_otherwise() -> None:
    assert word_count(HAPPY) == 1  # what the old rule saw
    assert text_length(HAPPY, "ja") == (23, "characters")
    assert text_length(ANGRY, "ja-JP") == (15, "characters")
    assert text_length("今日は 本当に\n嬉しい", "ja") == (char_count("今日は本当に嬉しい"), "characters")
    assert text_length("I am so happy today", "en") == (5, "words")
    assert is_spaceless("ja") and is_spaceless("zh") and not is_spaceless("en") and not is_spaceless(None)


def test_english_keeps_its_whitespace_rules_exactly() -> None:
    text = "Don't  stop, ME now!"
    assert words(text) == words(text, "en") == ["dont", "stop", "me", "now"]
    assert tokenize(text, "en") == ["don't", "stop", ",", "me", "now", "!"]
    assert tokenize(HAPPY, "en") == ["今日は本当に嬉しい", "！", "友達と久しぶりに会えたよ", "。"]  # no folding


def test_japanese_word_trigrams_find_shared_phrases() -> None:
    shared = ngram_set(words("友達と久しぶりに会えた", "ja"), 3) & ngram_set(words(HAPPY, "ja"), 3)
    assert ("友達", "と", "久しぶり") in shared and len(shared) == 4


def test_tokenizer_for_binds_the_language() -> None:
    split = tokenizer_for("ja")
    assert split(ANGRY) == tokenize(ANGRY, "ja")
    assert tokenizer_for("ja", punctuation=False)(ANGRY) == words(ANGRY, "ja")
    assert tokenizer_for("en")("Hi there!") == ["hi", "there", "!"]


def test_other_languages_without_spaces_fall_back_to_characters() -> None:
    assert tokenize("我很高兴！", "zh") == ["我", "很", "高", "兴", "!"]
    assert words("我很高兴！", "zh") == ["我", "很", "高", "兴"]


def test_janome_loads_on_first_japanese_use_and_only_once() -> None:
    code = ("import sys; from personagen.personas import text_units as t; "
            "t.words('I like it', 'en'); t.text_length('猫が好き', 'ja'); assert 'janome' not in sys.modules; "
            "t.words('猫が好き', 'ja'); assert 'janome.tokenizer' in sys.modules; print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "ok", result.stderr
    words("犬が好き", "ja")
    assert text_units._janome() is text_units._janome()
    assert text_units._janome.cache_info().currsize == 1
