"""Scenario vocabularies: shipped defaults, config overrides, validation, seeded slot choice."""

from __future__ import annotations

import json

import pytest

from personagen.personas.vocab import SLOTS, load_vocab


def test_default_vocab_has_every_slot():
    vocab = load_vocab()
    for key in SLOTS:
        assert len(getattr(vocab, key)) >= 5


def test_override_replaces_one_key():
    vocab = load_vocab({"media": ["fax", "fax", " postcard "]})
    assert vocab.media == ("fax", "postcard")
    assert vocab.locations == load_vocab().locations


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"media": []}, "'media' is empty"),
        ({"media": ["  "]}, "'media' is empty"),
        ({"moods": ["happy"]}, r"unknown scenario vocabulary key\(s\) \['moods'\]; valid keys"),
        ({"media": "email"}, "must be a list of strings"),
        ({"media": [1, 2]}, "must be a list of strings"),
    ],
)
def test_bad_overrides(overrides, message):
    with pytest.raises(ValueError, match=message):
        load_vocab(overrides)


def test_bad_vocab_file(tmp_path):
    path = tmp_path / "vocab.json"
    path.write_text(json.dumps({"locations": ["x"]}))
    with pytest.raises(ValueError, match="missing key"):
        load_vocab(path=path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="cannot read scenario vocabulary"):
        load_vocab(path=path)
