"""The run folder's vector store and the live embedding: each text embedded once, by the run, read by the curation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from personagen.agents.sentence_embedder import SentenceEmbedder, shared_embedder
from personagen.curation.live import LiveEmbedding
from personagen.curation.vectors import KEY_BYTES, VectorStore
from tests.curation.conftest import make_run, read_jsonl

TEXTS = ["I got the job and I cannot stop smiling.", "The bus left without me again and I am fuming.",
         "My dog ran off in the storm and I am terrified."]


class Counting:
    """A real embedder that counts the texts it is asked to embed."""

    def __init__(self) -> None:
        self.inner = SentenceEmbedder(batch_size=8, threads=1)
        self.source, self.asked = self.inner.source, []

    def embed(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        self.asked += texts
        return self.inner.embed(texts, batch_size)


@pytest.fixture(scope="module")
def counting() -> Counting:
    return Counting()


def test_a_text_is_embedded_once_and_read_back_by_a_new_store(tmp_path, counting) -> None:
    counting.asked.clear()
    store = VectorStore(tmp_path, counting.source.cache_id)
    first = store.embed(counting, TEXTS[:2])
    both = store.embed(counting, [TEXTS[1], TEXTS[2], TEXTS[0], TEXTS[2]])
    assert counting.asked == TEXTS  # each text went through the model once
    assert np.allclose(both[2], first[0]) and np.allclose(both[0], first[1]) and np.allclose(both[1], both[3])
    assert np.allclose(both, counting.inner.embed([TEXTS[1], TEXTS[2], TEXTS[0], TEXTS[2]]), atol=1e-6)
    again = VectorStore(tmp_path, counting.source.cache_id)  # another process, later
    assert len(again) == 3 and list(again.rows(TEXTS + ["new"])) == [0, 1, 2, -1]
    assert np.array_equal(again.read(again.rows(TEXTS)), store.read(store.rows(TEXTS)))
    assert VectorStore(tmp_path, "another model").rows(TEXTS).tolist() == [-1, -1, -1]


def test_a_tail_left_by_a_crash_is_cut_at_the_next_append(tmp_path, counting) -> None:
    store = VectorStore(tmp_path, counting.source.cache_id)
    store.embed(counting, TEXTS[:1])
    with open(store.data_path, "ab") as data:  # a crash after writing a vector, before its key
        data.write(np.ones(384, dtype=np.float32).tobytes())
    with open(store.keys_path, "ab") as keys:  # and half a key of another append
        keys.write(b"\x01" * (KEY_BYTES // 2))
    fresh = VectorStore(tmp_path, counting.source.cache_id)
    assert len(fresh) == 1
    vectors = fresh.embed(counting, TEXTS)
    assert store.data_path.stat().st_size == 3 * 384 * 4 and store.keys_path.stat().st_size == 3 * KEY_BYTES
    assert np.allclose(vectors, counting.inner.embed(TEXTS), atol=1e-6)


def test_the_live_worker_stores_what_it_is_given_and_notes_nothing_on_success(tmp_path, counting) -> None:
    counting.asked.clear()
    live = LiveEmbedding(VectorStore(tmp_path, counting.source.cache_id), counting)
    live.add([{"text": TEXTS[0]}, {"text": TEXTS[1]}])
    live.add([{"text": TEXTS[0]}, {"text": ""}, {"no": "text"}])
    live.close()
    live.close()
    assert live.error is None and sorted(counting.asked) == sorted(TEXTS[:2])
    assert VectorStore(tmp_path, counting.source.cache_id).rows(TEXTS).tolist()[2] == -1


def test_the_shared_embedder_reuses_the_vectors_of_texts_it_read() -> None:
    embedder = shared_embedder()
    before_embedded, before_reused = embedder.embedded, embedder.reused
    first = embedder.embed(TEXTS)
    again = embedder.embed([TEXTS[2], TEXTS[0]])
    assert embedder.embedded - before_embedded <= 3 and embedder.reused - before_reused >= 2
    assert np.array_equal(again, first[[2, 0]])


def test_a_run_embeds_its_texts_while_it_generates(tmp_path, stub_url) -> None:
    reused = shared_embedder().reused
    folder = make_run(tmp_path, "live", stub_url, personas=4)  # default critics: the offline emotion critic reads
    summary = json.loads((folder / "curation.json").read_text())
    texts = [r["text"] for r in read_jsonl(folder / "records.jsonl")]
    store = VectorStore(folder / "curation-cache", shared_embedder().source.cache_id)
    assert summary["settings"]["embedded_now"] == 0  # every text was in the store when the run ended
    assert (store.rows(texts) >= 0).all() and len(store) == len(set(texts))
    assert shared_embedder().reused - reused >= len(set(texts))  # the critic's vectors, not embedded again


def test_no_curation_no_vectors(tmp_path, stub_url) -> None:
    folder = make_run(tmp_path, "plain", stub_url, "--no-curate", personas=2)
    assert not (folder / "curation-cache").exists() and not (folder / "curation.json").exists()


def test_the_evaluation_reads_the_vectors_the_run_stored_and_stores_what_it_embeds(tmp_path, stub_url) -> None:
    pytest.importorskip("sklearn", reason="the evaluation needs the 'eval' extra")
    from personagen.curation.engine import curate_run
    from personagen.evaluation.embeddings import Embedder
    from personagen.evaluation.runner import EvalOptions, evaluate

    curated = make_run(tmp_path, "curated", stub_url, personas=3)  # its texts were embedded while it ran
    embedder = Embedder()
    result = evaluate(EvalOptions(run=curated, out=tmp_path / "eval-curated"), None, embedder)
    assert result.metrics["n_texts"] > 0 and embedder.embedded == 0  # every vector read from the run's store
    assert not (tmp_path / "eval-curated" / "cache").exists()

    plain = make_run(tmp_path, "plain", stub_url, "--no-curate", personas=3)
    texts = {r["text"] for r in read_jsonl(plain / "records.jsonl")}
    evaluate(EvalOptions(run=plain, out=tmp_path / "eval-plain"), None, Embedder())
    store = VectorStore(plain / "curation-cache", shared_embedder().source.cache_id)
    assert len(store) == len(texts)  # what the evaluation embedded, the curation reads
    assert curate_run(plain).summary["settings"]["embedded_now"] == 0


def test_shards_embed_while_they_run_and_the_merge_carries_their_vectors(tmp_path, stub_url) -> None:
    from personagen.curation.engine import curate_run
    from personagen.merging import merge_runs

    runs = tmp_path / "runs"
    # the offline classifier off: on the stub's word salad its verdicts are chance, and a shard of 2 personas whose
    # texts it all rejects stops early (what is tested here is where the vectors go, not which texts are kept)
    shards = [make_run(runs, f"s{i}", stub_url, "--shard", f"{i}/2", "--no-critic", "offline_emotion", personas=4)
              for i in range(2)]
    model = shared_embedder().source.cache_id
    for shard in shards:  # each shard stored its own texts, and curated nothing (duplicates cross shards)
        texts = {r["text"] for r in read_jsonl(shard / "records.jsonl")}
        assert len(VectorStore(shard / "curation-cache", model)) == len(texts) > 0
        assert not (shard / "curation.json").exists()
    merged = merge_runs(runs, ["s0", "s1"], "merged")
    texts = [r["text"] for r in read_jsonl(merged / "records.jsonl")]
    store = VectorStore(merged / "curation-cache", model)
    assert (store.rows(texts) >= 0).all() and len(store) == len(set(texts))
    for shard in shards:  # the same vectors as the shard's
        own = [r["text"] for r in read_jsonl(shard / "records.jsonl")]
        theirs = VectorStore(shard / "curation-cache", model)
        assert np.array_equal(store.read(store.rows(own)), theirs.read(theirs.rows(own)))
    assert curate_run(merged).summary["settings"]["embedded_now"] == 0
