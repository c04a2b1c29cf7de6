"""The semantic edges grown during a run and kept in its folder: computed in pieces they equal the whole graph, the
file gives back the prefix it covers (torn line, other texts, other settings), and the live worker writes them in
generation order whatever order the personas finish in."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from personagen.curation.corpus import normalise
from personagen.curation.edges import EdgeLog, graph_edges, norm_key
from personagen.curation.live import LiveEmbedding
from personagen.curation.livegraph import LiveGraph
from personagen.curation.neighbours import earlier_edges, knn_edges
from personagen.curation.vectors import VectorStore, text_key


def cloud(n: int, seed: int = 1) -> np.ndarray:
    """n vectors in 12 tight clusters (many pairs above 0.95), L2-normalised."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((12, 24))
    vectors = centres[rng.integers(0, 12, n)] + 0.08 * rng.standard_normal((n, 24))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("cuts", [[0, 1, 2, 50, 51, 300], [0, 7, 64, 65, 199, 300], [0, 300]])
def test_edges_computed_in_pieces_equal_the_whole_graph(cuts):
    vectors = cloud(300)
    whole = knn_edges(vectors, 0.95, 3)
    pieces = [e for a, b in zip(cuts, cuts[1:], strict=False)
              for e in earlier_edges(lambda x, y: vectors[x:y], a, b, 0.95, 3, row_block=16, col_block=40)]
    assert pieces == whole and len(whole) > 300  # most texts have 3 earlier neighbours above the threshold
    assert all(j < i for i, j, _ in whole)


def keyed(n: int) -> tuple[list[bytes], list[bytes]]:
    texts = [f"text {i}" for i in range(n)]
    return [text_key(t) for t in texts], [norm_key(normalise(t)) for t in texts]


def test_the_edge_file_gives_back_the_prefix_it_covers(tmp_path):
    vectors, (keys, norms) = cloud(200), keyed(200)
    whole = knn_edges(vectors, 0.95, 3)
    log = EdgeLog(tmp_path, "model-a", 0.95, 3)
    first, reused = graph_edges(vectors[:120], keys[:120], norms[:120], log, 0.95, 3, lambda n: None, True)
    assert reused == 0 and first == [e for e in whole if e[0] < 120]

    again = EdgeLog(tmp_path, "model-a", 0.95, 3)  # a later curation: 120 texts read, 80 computed and appended
    edges, reused = graph_edges(vectors, keys, norms, again, 0.95, 3, lambda n: None, True)
    assert (reused, edges) == (120, whole)
    with open(log.path, "ab") as fh:
        fh.write(b'{"start": 200, "through": null, "keys": "ab')  # torn by a crash
    edges, reused = graph_edges(vectors, keys, norms, EdgeLog(tmp_path, "model-a", 0.95, 3), 0.95, 3,
                                lambda n: None, True)
    assert (reused, edges) == (200, whole)

    other = keys[:50] + [text_key("something else")] + keys[51:]  # the records changed: text 50 is another
    edges, reused = graph_edges(vectors, other, norms, EdgeLog(tmp_path, "model-a", 0.95, 3), 0.95, 3,
                                lambda n: None, True)
    assert (reused, edges) == (50, whole)
    assert EdgeLog(tmp_path, "model-a", 0.95, 3).read().keys == other  # the file now covers these texts

    for settings in [("model-a", 0.9, 3), ("model-a", 0.95, 5), ("model-b", 0.95, 3)]:  # other settings: computed
        edges, reused = graph_edges(vectors, keys, norms, EdgeLog(tmp_path, *settings), settings[1], settings[2],
                                    lambda n: None, False)
        assert reused == 0 and edges == knn_edges(vectors, settings[1], settings[2])


class TableEmbedder:
    """Vectors of texts "t<i>" from `cloud` (and "T<i>!" the same)."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors, self.source = vectors, SimpleNamespace(cache_id="table")

    def embed(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        return self.vectors[[int(t.lower().rstrip("!")[1:]) for t in texts]]


def test_the_live_worker_links_texts_in_generation_order_whatever_order_personas_finish(tmp_path):
    vectors = cloud(120, seed=3)
    texts = {p: [f"t{4 * p + k}" for k in range(4)] for p in range(30)}
    texts[7][1] = "T0!"  # the same text as t0 after normalisation: one distinct text, linked once
    store = VectorStore(tmp_path / "curation-cache", "table")
    log = EdgeLog(store.folder, "table", 0.95, 3)
    worker = LiveEmbedding(store, TableEmbedder(vectors), LiveGraph(store, log, 0.95, 3, batch=5))
    order = list(np.random.default_rng(0).permutation(30))
    for p in order:
        worker.add([{"text": t} for t in texts[p]], int(p))
    assert worker.settle(timeout=60) and worker.graph_error is None
    worker.close()

    distinct = [t for p in range(30) for t in texts[p] if t != "T0!"]
    rows = [int(t[1:]) for t in distinct]
    covered = EdgeLog(store.folder, "table", 0.95, 3).read()
    assert covered.keys == [text_key(t) for t in distinct][: len(covered.keys)]
    assert len(covered.keys) >= len(distinct) - 4  # all but the last batch (fewer than 5 texts)
    assert covered.edges == knn_edges(vectors[rows][: len(covered.keys)], 0.95, 3)
    assert covered.through == 29 or len(covered.keys) < len(distinct)



def test_a_torn_tail_is_cut_at_the_next_append_and_a_second_writer_is_refused(tmp_path):
    (keys, norms) = keyed(6)
    first = EdgeLog(tmp_path, "m", 0.95, 3)
    first.read()
    assert first.append(0, keys[:2], norms[:2], [(1, 0, 0.97)], 1)
    with open(first.path, "ab") as fh:
        fh.write(b'{"start": 2, "thr')  # a crash mid-line
    again = EdgeLog(tmp_path, "m", 0.95, 3)
    assert again.read().keys == keys[:2]
    assert again.append(2, keys[2:4], norms[2:4], [(3, 2, 0.99)], 3)
    covered = EdgeLog(tmp_path, "m", 0.95, 3).read()
    assert (covered.keys, covered.edges, covered.through) == (keys[:4], [(1, 0, 0.97), (3, 2, 0.99)], 3)
    assert not first.append(2, keys[2:4], norms[2:4], [], 3)  # it no longer ends where `first` thinks
    assert first.append(4, keys[4:], norms[4:], [], 5)  # having looked again, it continues the file
    assert EdgeLog(tmp_path, "m", 0.95, 3).read().keys == keys
