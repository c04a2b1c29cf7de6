"""The offline classifier's reader: batches that grow while the model is busy, texts handed in ahead by the critics'
`prepare`, logits remembered for a second critic, and the same readings whatever the batches."""

from __future__ import annotations

import asyncio
import random
import threading
from pathlib import Path

import numpy as np
import pytest

from tests.agents.test_offline_emotion import judge, needs_model

pytestmark = needs_model


def fresh_reader():
    """A reader on an embedder of its own that remembers no vectors: every text it reads runs through the model."""
    from personagen.agents.critics.emotion_classifier import EmotionReader, load_head
    from personagen.agents.sentence_embedder import SentenceEmbedder

    return EmotionReader(SentenceEmbedder(None, batch_size=16, threads=1), load_head())


def test_readings_are_the_same_whatever_the_batches_on_goemotions_dev(goemotions: Path) -> None:
    rows = [line.split("\t") for line in (goemotions / "dev.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    texts = list(dict.fromkeys(r[0] for r in rows))
    one = fresh_reader()
    alone = np.concatenate([one.read_now([t]) for t in texts])  # each text in a model run of its own: no padding
    reader = fresh_reader()

    async def read_shuffled() -> list[np.ndarray]:
        order = random.Random(0).sample(texts, len(texts))
        for start in range(0, len(order), 37):  # handed in over several event-loop turns, in another order
            reader.prefetch(order[start:start + 37])
            await asyncio.sleep(0)
        return await asyncio.gather(*(reader.read(t) for t in texts))

    batched = np.stack(asyncio.run(read_shuffled()))
    assert batched.shape == alone.shape == (len(texts), 6)
    assert np.abs(batched - alone).max() < 1e-5  # float tolerance: padding to other lengths
    assert (batched.argmax(axis=1) == alone.argmax(axis=1)).all()
    assert reader.usage.texts == len(texts) and reader.usage.batches < len(texts) / 32


def test_texts_asked_for_while_a_batch_runs_make_the_next_batch_together(monkeypatch: pytest.MonkeyPatch) -> None:
    reader = fresh_reader()
    batches: list[list[str]] = []
    all_in = threading.Event()
    model = reader.logits_now

    def slow_model(texts: list[str]) -> np.ndarray:  # the first batch stays in the model until the others are in
        batches.append(texts)
        all_in.wait(timeout=30)
        return model(texts)

    monkeypatch.setattr(reader, "logits_now", slow_model)
    late = [f"Texts that arrive late, number {i}, wait for the first batch." for i in range(6)]

    async def arrive_one_by_one() -> None:
        first = asyncio.ensure_future(reader.read("The first text goes in alone."))
        while not batches:
            await asyncio.sleep(0.001)
        others = []
        for text in late:  # each in an event-loop turn of its own, while the first batch is in the model
            others.append(asyncio.ensure_future(reader.read(text)))
            await asyncio.sleep(0)
        all_in.set()
        await asyncio.gather(first, *others)

    asyncio.run(arrive_one_by_one())
    assert batches == [["The first text goes in alone."], late]


def test_a_second_critic_reading_the_same_text_gets_the_remembered_logits() -> None:
    from personagen.agents.critics.offline_emotion import emotion_reader

    reader = emotion_reader()
    text = "The rain cancelled our picnic and I sulked all afternoon, a remembered text."
    (first,) = judge(("sadness", text))
    before = (reader.usage.texts, reader.usage.batches, reader.usage.reused)
    (strength,) = judge(("sadness", text), critic="offline_strength")
    assert first.critic == "offline_emotion" and strength.critic == "offline_strength"
    assert (reader.usage.texts, reader.usage.batches) == before[:2]  # no model run
    assert reader.usage.reused == before[2] + 1


def test_a_failed_batch_fails_every_text_waiting_on_it(monkeypatch: pytest.MonkeyPatch) -> None:
    reader = fresh_reader()

    def broken(texts: list[str]) -> np.ndarray:
        raise RuntimeError("the model file is gone")

    monkeypatch.setattr(reader, "logits_now", broken)

    async def read_two() -> list:
        reader.prefetch(["never awaited"])
        return await asyncio.gather(reader.read("one"), reader.read("two"), return_exceptions=True)

    assert [str(e) for e in asyncio.run(read_two())] == ["the model file is gone"] * 2
    assert not reader._memo
