"""Downstream utility: classifiers trained on one set and tested on real text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from personagen.evaluation.corpus import load_real
from personagen.evaluation.downstream import check_trainable, downstream_metrics, train_and_test
from personagen.evaluation.embeddings import Embedder
from personagen.evaluation.errors import EvalError

SIX = {"sadness", "joy", "love", "anger", "fear", "surprise"}


def test_too_few_texts_per_class_is_an_eval_error():
    with pytest.raises(EvalError, match="fewer than 2"):
        check_trainable(["joy", "joy", "anger"], "the synthetic data")
    with pytest.raises(EvalError, match="at least 2"):
        check_trainable(["joy"] * 5, "the synthetic data")


def test_tfidf_reference_on_goemotions_reproduces_about_079(goemotions: Path):
    corpus = load_real(goemotions, SIX)
    labels = sorted(SIX)
    result = train_and_test(
        "tfidf", corpus.train.texts, corpus.train.labels, corpus.test.texts, corpus.test.labels, labels
    )
    assert 0.76 <= result["macro_f1"] <= 0.83
    assert set(result["per_class_f1"]) == SIX
    assert np.array(result["confusion"]["matrix"]).sum() == len(corpus.test)


def test_synthetic_vs_real_on_a_goemotions_slice(goemotions: Path, embedder: Embedder):
    corpus = load_real(goemotions, SIX)
    syn_texts, syn_labels = corpus.train.texts[:200], corpus.train.labels[:200]
    test_texts, test_labels = corpus.test.texts[:120], corpus.test.labels[:120]
    train_texts, train_labels = corpus.train.texts[200:400], corpus.train.labels[200:400]
    syn_vec, train_vec, test_vec = (embedder.embed(t) for t in (syn_texts, train_texts, test_texts))
    result = downstream_metrics(
        syn_texts,
        syn_labels,
        syn_vec,
        (train_texts, train_labels, train_vec),
        (test_texts, test_labels, test_vec),
    )
    for source in ("synthetic", "real"):
        for kind in ("tfidf_lr", "minilm_lr"):
            assert 0.2 < result[source][kind]["macro_f1"] <= 1.0
    assert result["synthetic"]["minilm_lr"]["n_train"] == 200
