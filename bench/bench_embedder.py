#!/usr/bin/env python3
"""CPU per text of the sentence embedder: the packaged MiniLM as onnxruntime runs it (fp32) against its quantised
copy (the default since 2026-12-06, agents/quantized_model.py), in one process, so the ratios share the load.

    .venv/bin/python bench/bench_embedder.py [--data ../shared/data/goemotions6] [--rounds 3]

Texts: 400 stub texts (bench/stub_replies.py's English lexicon, ~10 tokens, what bench/stub_server.py writes) and
GoEmotions-6 dev (625 Reddit comments, ~34 tokens). One onnxruntime thread, runs of at most 16 texts (the shared
embedder's settings); the models alternate per round and each figure is the median over the rounds of the
process CPU time per text. Also printed: the cosine of each text's quantised vector to its fp32 one.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stub_replies import ENGLISH  # noqa: E402
from bench.train_emotion_head import DATA, read_split  # noqa: E402
from personagen.agents.sentence_embedder import SentenceEmbedder  # noqa: E402


def embedders() -> dict[str, SentenceEmbedder]:
    quantised = SentenceEmbedder(threads=1, batch_size=16)
    packaged = SentenceEmbedder(threads=1, batch_size=16)
    packaged.source = dataclasses.replace(packaged.source, quantize=False)
    return {"packaged (fp32 at run time)": packaged, "quantised (default)": quantised}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    rng = random.Random(0)
    sets = {"stub texts": [" ".join(ENGLISH.phrase(rng, 3, 8).split()) for _ in range(400)],
            "GoEmotions dev": read_split(args.data / "dev.tsv")[0]}
    models = embedders()
    for model in models.values():
        model.embed(sets["stub texts"][:32])  # load and warm up
    cpu: dict[tuple[str, str], list[float]] = {}
    vectors: dict[tuple[str, str], np.ndarray] = {}
    for _ in range(args.rounds):
        for name, model in models.items():
            for label, texts in sets.items():
                start = time.process_time()
                vectors[name, label] = model.embed(texts)
                cpu.setdefault((name, label), []).append(1000 * (time.process_time() - start) / len(texts))
    fp32, int8 = models
    for label in sets:
        before, after = statistics.median(cpu[fp32, label]), statistics.median(cpu[int8, label])
        cosine = (vectors[fp32, label] * vectors[int8, label]).sum(axis=1)
        print(f"{label}: {before:.2f} -> {after:.2f} ms CPU per text ({before / after:.2f}x less); cosine to fp32 "
              f"mean {cosine.mean():.4f}, min {cosine.min():.4f}")


if __name__ == "__main__":
    main()
