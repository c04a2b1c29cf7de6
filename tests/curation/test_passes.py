"""The passes of curation on their own: exact, MinHash, the blocked k-NN graph, components and the summary."""

from __future__ import annotations

import numpy as np
import pytest

from personagen.curation.components import Thresholds, duplicate_graph, kept_row_of, match_kind
from personagen.curation.corpus import Corpus, generation_order, normalise, shingles
from personagen.curation.engine import CurationError, CurationOptions, curate_corpus
from personagen.curation.lexical import minhash_edges, unique_texts
from personagen.curation.neighbours import earlier_edges
from personagen.curation.shingletable import ShingleTable


class FakeEmbedder:
    """Vectors chosen by the test: text -> vector (normalised here)."""

    model_id = "fake"
    languages = ("en",)

    def __init__(self, table: dict[str, list[float]]):
        self.table = table

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = np.array([self.table[t] for t in texts], dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def corpus(texts: list[str], emotions: list[str] | None = None, language: str = "en") -> Corpus:
    return Corpus(ids=[f"t{i}" for i in range(len(texts))], texts=texts,
                  emotions=emotions or ["joy"] * len(texts), language=language, key="k")


def test_normalise_and_exact_groups_keep_the_first_copy():
    texts = ["I got the JOB!", "i got the job", "I got  the job .", "Something else"]
    row_of, firsts = unique_texts([normalise(t) for t in texts])
    assert row_of == [0, 0, 0, 1] and firsts == [0, 3]


def test_shingles_are_word_trigrams_or_characters_for_japanese():
    assert shingles("a b c d") == {"a b c", "b c d"}
    assert shingles("too short") == {"too short"}
    assert shingles("きょうは うれしい", "ja") == {"きょう", "ょうは", "うはう", "はうれ", "うれし", "れしい"}


def test_minhash_links_texts_sharing_most_trigrams_and_only_them():
    base = "after months of waiting i finally got the keys to our first flat today"
    texts = [base, base + " honestly", "a completely different sentence about the weather and the sea", base]
    edges = minhash_edges(ShingleTable.of(shingles(normalise(t)) for t in texts), threshold=0.8, neighbours=5)
    assert {(i, j) for i, j, _ in edges} == {(0, 1), (0, 3), (1, 3)}
    assert all(s >= 0.8 for *_, s in edges)


@pytest.mark.parametrize("blocks", [(3, 4), (7, 5), (64, 64)])
def test_blocked_knn_equals_brute_force(blocks):
    vectors = clustered(np.random.default_rng(0))
    def edges(k: int) -> list:
        return earlier_edges(lambda a, b: vectors[a:b], 0, len(vectors), 0.9, k, row_block=blocks[0],
                             col_block=blocks[1])
    sims = vectors @ vectors.T
    expected = {(i, j) for i in range(len(vectors)) for j in range(i) if sims[i, j] >= 0.9}
    assert {(i, j) for i, j, _ in edges(50)} == expected and len(expected) >= 6 * 6
    few = edges(1)
    assert len({i for i, _, _ in few}) == len(few)  # at most one edge per text: its most similar earlier one
    exact = vectors.astype(np.float64) @ vectors.T.astype(np.float64)
    assert all(j == max(range(i), key=lambda c: exact[i, c]) for i, j, _ in few)


def clustered(rng: np.random.Generator) -> np.ndarray:
    """Six tight clusters of four vectors, then nine scattered ones, L2-normalised."""
    centres = rng.standard_normal((6, 16))
    vectors = np.vstack([c + 0.05 * rng.standard_normal((4, 16)) for c in centres] + [rng.standard_normal((9, 16))])
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_components_keep_the_earliest_text_of_each_group():
    graph = duplicate_graph([(2, 5, 0.99), (5, 7, 0.97), (1, 3, 0.96)])
    assert kept_row_of(graph) == {2: 2, 5: 2, 7: 2, 1: 1, 3: 1}


def test_match_kind():
    t = Thresholds(cosine=0.95, jaccard=0.8)
    assert [match_kind(True, 1, 1, t), match_kind(False, 0.9, 0.5, t), match_kind(False, 0.1, 0.96, t),
            match_kind(False, 0.1, 0.9, t)] == ["exact", "lexical", "semantic", "chain"]


def test_curate_corpus_sets_aside_all_but_the_earliest_and_says_why():
    texts = ["We won the final!", "Rain again today.", "we won the final", "Our team won the final!!",
             "My cat is sick."]
    table = {t: v for t, v in zip(texts, [[1, 0, 0], [0, 1, 0], [1, 0, 0], [0.999, 0.02, 0], [0, 0, 1]],
                                  strict=True)}
    found = curate_corpus(corpus(texts, ["joy", "sadness", "joy", "surprise", "sadness"]),
                          CurationOptions(embedder=FakeEmbedder(table)))
    removed = {r.id: r for r in found.removals}
    assert set(removed) == {"t2", "t3"}
    assert removed["t2"].match == "exact" and removed["t2"].duplicate_of == "t0"
    assert removed["t3"].match == "semantic" and removed["t3"].similarity >= 0.95
    summary = found.summary
    assert (summary["records"], summary["kept"], summary["removed"], summary["groups"]) == (5, 3, 2, 1)
    assert summary["largest_group"] == 3 and summary["label_conflicts"] == 1
    assert summary["by_match"] == {"exact": 1, "semantic": 1} and summary["settings"]["embedding_model"] == "fake"


def test_a_chain_names_the_text_it_links_through():
    texts = ["a", "b", "c"]  # a~b and b~c above 0.95, a~c below
    table = {"a": [1, 0], "b": [np.cos(0.25), np.sin(0.25)], "c": [np.cos(0.5), np.sin(0.5)]}
    found = curate_corpus(corpus(texts), CurationOptions(cosine=0.95, embedder=FakeEmbedder(table)))
    chain = next(r for r in found.removals if r.id == "t2")
    assert chain.match == "chain" and chain.duplicate_of == "t0" and chain.via == "t1"


def test_a_language_the_model_does_not_read_gets_exact_and_lexical_passes_only():
    texts = ["今日は本当にうれしい", "今日は本当にうれしい！", "雨の日は悲しい"]
    found = curate_corpus(corpus(texts, language="ja"), CurationOptions(embedder=FakeEmbedder({})))
    assert [r.id for r in found.removals] == ["t1"]
    assert found.summary["settings"]["semantic"] is False and "ja" in found.summary["settings"]["note"]


def test_bad_thresholds_say_what_to_pass():
    with pytest.raises(CurationError, match="--threshold"):
        curate_corpus(corpus(["a", "b"]), CurationOptions(cosine=1.5, semantic=False))


def test_generation_order_sorts_persona_indices_numerically():
    ids = ["p1000000", "p000002", "p999999", "zzz"]
    assert sorted(ids, key=lambda p: generation_order(p, 0)) == ["p000002", "p999999", "p1000000", "zzz"]


@pytest.mark.parametrize("texts", [[], ["only one"]])
def test_nothing_to_compare_is_not_an_error(texts):
    found = curate_corpus(corpus(texts), CurationOptions(embedder=FakeEmbedder({"only one": [1.0]})))
    assert (found.summary["records"], found.summary["removed"]) == (len(texts), 0) and not found.removals
