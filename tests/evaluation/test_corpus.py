"""Reading real corpora and label maps."""

from __future__ import annotations

from pathlib import Path

import pytest

from personagen.evaluation.corpus import load_real, read_label_map, read_tsv
from personagen.evaluation.errors import EvalError


def test_tsv_is_split_on_tabs_not_parsed_as_csv(tmp_path: Path):
    path = tmp_path / "x.tsv"
    path.write_text('text\tlabel\tid\n"quoted, with comma\tjoy\t1\nshe said "hi"\tanger\t2\n')
    split = read_tsv(path)
    assert split.texts == ['"quoted, with comma', 'she said "hi"']
    assert split.labels == ["joy", "anger"]


def test_label_map_json_and_lines(tmp_path: Path):
    (tmp_path / "m.json").write_text('{"happy": "joy"}')
    (tmp_path / "m.txt").write_text("# comment\nhappy = joy\n\nsad=sadness\n")
    assert read_label_map(tmp_path / "m.json") == {"happy": "joy"}
    assert read_label_map(tmp_path / "m.txt") == {"happy": "joy", "sad": "sadness"}
    (tmp_path / "bad.txt").write_text("happy joy\n")
    with pytest.raises(EvalError, match="src=dst"):
        read_label_map(tmp_path / "bad.txt")


def test_unmapped_labels_raise_with_advice(tiny_real: Path):
    with pytest.raises(EvalError, match="--label-map"):
        load_real(tiny_real, {"joy", "anger", "sadness"})


def test_mapped_labels_and_dropped_counts(tiny_real: Path):
    corpus = load_real(tiny_real, {"joy", "anger"}, {"happy": "joy", "angry": "anger"})
    assert set(corpus.test.labels) == {"joy", "anger"}
    assert corpus.dropped["sad"] > 0


def test_single_file_is_split_per_label(tiny_real: Path):
    corpus = load_real(tiny_real / "train.tsv", {"happy", "angry", "sad"})
    assert len(corpus.train) + len(corpus.test) == 18
    assert set(corpus.test.labels) == {"happy", "angry", "sad"}
    assert "80/20" in corpus.note


def test_missing_corpus_and_header(tmp_path: Path):
    with pytest.raises(EvalError, match="not found"):
        load_real(tmp_path / "nope", {"joy"})
    bad = tmp_path / "bad.tsv"
    bad.write_text("sentence\temotion\nhi\tjoy\n")
    with pytest.raises(EvalError, match="header"):
        read_tsv(bad)
