"""Lexical metrics on Japanese texts: distinct-n, self-BLEU and the TF-IDF classifier count janome words."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from personagen.evaluation.diversity import distinct_n, diversity_metrics
from personagen.evaluation.downstream import tfidf_vectorizer, train_and_test
from personagen.evaluation.embeddings import Embedder
from personagen.evaluation.run_reader import load_run
from personagen.evaluation.runner import EvalOptions, evaluate
from personagen.evaluation.selfbleu import self_bleu
from personagen.personas.text_units import tokenize
from tests.evaluation.conftest import TEXTS_JA, read_records, rewrite_json


def flat(texts: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    pairs = [(text, label) for label, items in texts.items() for text in items]
    return [t for t, _ in pairs], [lb for _, lb in pairs]


def test_distinct_n_counts_japanese_words_not_whole_sentences() -> None:
    texts = ["本当に腹が立つ。", "本当に腹が立つ！"]
    assert tokenize(texts[0]) == ["本当に腹が立つ", "。"]  # whitespace rules: the sentence is one "word"
    japanese = [tokenize(t, "ja") for t in texts]
    assert japanese[0] == ["本当に", "腹", "が", "立つ", "。"]
    assert distinct_n(japanese, 1) == 6 / 10 and distinct_n(japanese, 2) == 5 / 8


def test_self_bleu_sees_japanese_repetition() -> None:
    repeated = ["今日は本当に嬉しい、友達と久しぶりに会えた。", "今日は本当に嬉しい、友達と久しぶりに話せた。",
                "会議が長すぎて本当に腹が立つ。"]
    whitespace, japanese = (self_bleu([tokenize(t, lang) for t in repeated]) for lang in ("en", "ja"))
    assert japanese > 0.4 and japanese > 2 * whitespace  # whitespace tokens share only the punctuation


def test_diversity_metrics_use_the_language_of_the_texts() -> None:
    texts, labels = flat(TEXTS_JA)
    vectors = np.random.default_rng(0).normal(size=(len(texts), 8))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    japanese = diversity_metrics(vectors, texts, labels, language="ja")
    assert japanese["distinct_1"] == round(distinct_n([tokenize(t, "ja") for t in texts], 1), 4) < 0.8
    whitespace = round(distinct_n([tokenize(t) for t in texts], 1), 4)
    assert diversity_metrics(vectors, texts, labels)["distinct_1"] == whitespace != japanese["distinct_1"]


def test_tfidf_vectorizer_splits_japanese_into_words_and_leaves_english_as_it_was() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    terms = set(tfidf_vectorizer("ja").fit(["本当に腹が立つ。"]).get_feature_names_out())
    assert {"腹", "立つ", "本当に", "腹 が"} <= terms and "。" not in terms
    english = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1).get_params()
    assert tfidf_vectorizer("en").get_params() == english


def test_a_tfidf_classifier_learns_japanese_emotions() -> None:
    train, train_labels = flat(TEXTS_JA)
    test = ["ずっと欲しかった仕事の内定が出た！最高だ。", "また電車が遅れて遅刻扱い。本当に腹が立つ。",
            "別れた恋人を思い出して、一人で泣いていた。"]
    truth = ["joy", "anger", "sadness"]
    labels = sorted(TEXTS_JA)
    japanese = train_and_test("tfidf", train, train_labels, test, truth, labels, language="ja")
    assert japanese["macro_f1"] == 1.0
    whitespace = train_and_test("tfidf", train, train_labels, test, truth, labels)
    assert whitespace["macro_f1"] < japanese["macro_f1"]


class FixedEmbedder(Embedder):
    """The shipped embedder's description with vectors from a hash of each text (the lexical metrics under test do
    not read them, and no model is loaded)."""

    def embed(self, texts: list[str]) -> np.ndarray:
        rows = [np.random.default_rng(abs(hash(t)) % 2**32).normal(size=8) for t in texts]
        vectors = np.array(rows)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_an_evaluation_of_a_japanese_run_tokenises_it_in_japanese(ja_run: Path, tmp_path: Path) -> None:
    assert load_run(ja_run).language == "ja"
    result = evaluate(EvalOptions(run=ja_run, out=tmp_path / "out", cache=False), None, FixedEmbedder())
    texts = [r["text"] for r in read_records(ja_run)]
    assert sorted(texts) == sorted(flat(TEXTS_JA)[0])
    assert result.metrics["language"] == "ja" and result.metrics["n_texts"] == 18
    assert result.metrics["diversity"]["distinct_1"] == round(distinct_n([tokenize(t, "ja") for t in texts], 1), 4)
    assert result.metrics["diversity"]["distinct_1"] != round(distinct_n([tokenize(t) for t in texts], 1), 4)


def test_the_language_of_a_run_is_its_configs_then_its_records(ja_run: Path) -> None:
    """A run written before the language was recorded (config.json and records without it) is English."""
    rewrite_json(ja_run / "config.json", lambda config: {k: v for k, v in config.items() if k != "language"})
    assert load_run(ja_run).language == "ja"  # from the first record
    rows = [{k: v for k, v in r.items() if k != "language"} for r in read_records(ja_run)]
    (ja_run / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert load_run(ja_run).language == "en"
