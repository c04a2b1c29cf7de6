"""Which texts curation keeps: one per connected component of the duplicate graph, the earliest.

Input: the corpus rows mapped to distinct texts (`row_of`, from the exact pass), the lexical and semantic edges
between distinct texts, and what is needed to describe a removal (shingle table, vectors). Output: one `Removal`
per record that is set aside, naming the record it duplicates (the kept one of its component), how the two match
and how similar they are. The graph is a networkx Graph over distinct texts; its connected components are the
duplicate groups. Nothing here reads or writes files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx

from personagen.curation.corpus import Corpus
from personagen.curation.shingletable import ShingleTable
from personagen.curation.vectors import Vectors


@dataclass(frozen=True)
class Thresholds:
    cosine: float
    jaccard: float


@dataclass
class Removal:
    """A record set aside as a duplicate of `duplicate_of` (the kept record of its group)."""

    id: str
    duplicate_of: str
    match: str  # exact | lexical | semantic | chain (linked to the kept text only through others)
    similarity: float | None  # cosine of the two texts (None when the semantic pass did not run)
    jaccard: float  # word-trigram Jaccard similarity of the two texts
    emotion: str
    duplicate_emotion: str
    text: str
    duplicate_text: str
    via: str | None = None  # for a chain: the most similar record it links to directly
    group: int = 0  # size of the duplicate group (records)

    def as_row(self) -> dict[str, Any]:
        row = dict(self.__dict__)
        if row["via"] is None:
            row.pop("via")
        return row


def duplicate_graph(edges: list[tuple[int, int, float]]) -> nx.Graph:
    """The graph of distinct texts with at least one edge (a text without one is a group of its own)."""
    graph = nx.Graph()
    graph.add_edges_from((i, j) for i, j, _ in edges)
    return graph


def kept_row_of(graph: nx.Graph) -> dict[int, int]:
    """For every distinct text in a group of two or more, the earliest text of its group."""
    kept: dict[int, int] = {}
    for component in nx.connected_components(graph):
        if len(component) > 1:
            first = min(component)
            kept.update(dict.fromkeys(component, first))
    return kept


def removals(corpus: Corpus, row_of: list[int], firsts: list[int], graph: nx.Graph,
             shingles: ShingleTable, vectors: Vectors | None, thresholds: Thresholds) -> list[Removal]:
    """Every record that is not the earliest of its duplicate group (exact copies included)."""
    kept_row = kept_row_of(graph)
    group_sizes = group_record_counts(row_of, kept_row)
    out = []
    for index, row in enumerate(row_of):
        keep_row = kept_row.get(row, row)
        keep = firsts[keep_row]
        if keep == index:
            continue
        cosine = None if vectors is None else min(1.0, float(vectors[row] @ vectors[keep_row]))
        lexical = 1.0 if row == keep_row else shingles.jaccard(row, keep_row)
        match = match_kind(row == keep_row, lexical, cosine, thresholds)
        via = None if match != "chain" else corpus.ids[firsts[closest(graph, row, vectors, shingles)]]
        out.append(Removal(id=corpus.ids[index], duplicate_of=corpus.ids[keep], match=match,
                           similarity=None if cosine is None else round(cosine, 4), jaccard=round(lexical, 4),
                           emotion=corpus.emotions[index], duplicate_emotion=corpus.emotions[keep],
                           text=corpus.texts[index], duplicate_text=corpus.texts[keep], via=via,
                           group=group_sizes[keep_row]))
    return out


def match_kind(same_text: bool, lexical: float, cosine: float | None, thresholds: Thresholds) -> str:
    if same_text:
        return "exact"
    if lexical >= thresholds.jaccard:
        return "lexical"
    if cosine is not None and cosine >= thresholds.cosine:
        return "semantic"
    return "chain"


def closest(graph: nx.Graph, row: int, vectors: Vectors | None, shingles: ShingleTable) -> int:
    """The neighbour of `row` in the graph it is most similar to (cosine, else Jaccard)."""
    def score(other: int) -> float:
        if vectors is not None:
            return float(vectors[row] @ vectors[other])
        return shingles.jaccard(row, other)

    return max(sorted(graph.neighbors(row)), key=score)


def group_record_counts(row_of: list[int], kept_row: dict[int, int]) -> dict[int, int]:
    """Records per duplicate group, keyed by the group's kept distinct row."""
    counts: dict[int, int] = {}
    for row in row_of:
        key = kept_row.get(row, row)
        counts[key] = counts.get(key, 0) + 1
    return counts
