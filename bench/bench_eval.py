"""Benchmark of `personagen eval`: wall time and peak memory on fake runs of 1,000 and 5,000 texts.

The fake runs use GoEmotions-6 train texts as stand-in synthetic data (read from ../shared/data/goemotions6
relative to the repo root, never shipped) and personas drawn from the 'us' locale tables, with a simulated
critic that rejects some base candidates. The judge is either skipped or a fake that answers instantly, so the
figures measure the evaluation itself. Each size runs in a fresh subprocess (peak RSS = ru_maxrss), twice:
cold (empty embedding caches: the 5,910 real texts are embedded too) and warm (cached embeddings).

    .venv/bin/python bench/bench_eval.py [--sizes 1000 5000] [--fake-judge]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "goemotions6"
sys.path.insert(0, str(ROOT))


def make_fake_run(folder: Path, texts: list[tuple[str, str]], per_persona: int = 5, seed: int = 7) -> Path:
    """A run folder whose records are `texts` (text, label), 5 per persona, personas from 'us' tables."""
    from personagen.personas.sampling import persona_seed, sample_base, sample_socio

    folder.mkdir(parents=True, exist_ok=True)
    labels = sorted({label for _, label in texts})
    config = {"run_id": folder.name, "method": "bench", "locale": "us", "emotions": labels, "seed": seed}
    (folder / "config.json").write_text(json.dumps(config))
    rng = random.Random(seed)
    with (folder / "records.jsonl").open("w") as records, (folder / "personas.jsonl").open("w") as personas:
        for index in range(0, (len(texts) + per_persona - 1) // per_persona):
            pseed = persona_seed(seed, index)
            rejected, attempt = [], 1
            base = sample_base("us", pseed, index, attempt)
            while base.age < 25 and rng.random() < 0.5 and attempt < 4:  # a simulated plausibility critic
                rejected.append({"stage": "base", "candidate": base.model_dump(mode="json"), "verdicts": []})
                attempt += 1
                base = sample_base("us", pseed, index, attempt)
            socio = {k: v for k, (v, _) in sample_socio("us", base, pseed).items()}
            row = {
                "id": base.id,
                "index": index,
                "seed": pseed,
                "status": "accepted",
                "base": base.model_dump(mode="json"),
                "socio": socio,
                "rejected": rejected,
            }
            personas.write(json.dumps(row) + "\n")
            for slot, (text, label) in enumerate(texts[index * per_persona : (index + 1) * per_persona]):
                record = {
                    "id": f"{base.id}-{label}-{slot}",
                    "persona_id": base.id,
                    "emotion": label,
                    "text": text,
                    "method": "bench",
                }
                records.write(json.dumps(record) + "\n")
    return folder


def goemotions_texts(n: int) -> list[tuple[str, str]]:
    lines = (DATA / "train.tsv").read_text(encoding="utf-8").splitlines()[1:]
    rows = [tuple(line.split("\t")[:2]) for line in lines]
    return rows[:n]


def one_size(n: int, fake_judge: bool) -> dict:
    """Build a fake run of n texts; evaluate it cold (empty caches), then warm. Runs in a subprocess."""
    import os

    from personagen.evaluation.runner import EvalOptions, evaluate

    judge = None
    if fake_judge:
        from tests.evaluation.fake_chat import judge_handle

        judge = judge_handle(200)
    walls, steps = [], []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PERSONAGEN_CACHE_DIR"] = str(Path(tmp) / "shared-cache")
        run = make_fake_run(Path(tmp) / f"bench-{n}", goemotions_texts(n))
        for _ in range(2):
            start = time.perf_counter()
            result = evaluate(EvalOptions(run=run, real=DATA, judge_sample=200), judge)
            walls.append(round(time.perf_counter() - start, 1))
            steps.append(result.metrics["timings_s"])
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "texts": n,
        "wall_cold_s": walls[0],
        "wall_warm_s": walls[1],
        "peak_rss_mb": round(peak_mb),
        "steps_cold_s": steps[0],
        "steps_warm_s": steps[1],
        "macro_f1_tfidf": result.metrics["downstream"]["synthetic"]["tfidf_lr"]["macro_f1"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument(
        "--fake-judge", action="store_true", help="judge 200 texts with an instant fake model"
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"benchmark data missing: {DATA}")
    if args.one:
        print(json.dumps(one_size(args.one, args.fake_judge)))
        return
    for n in args.sizes:
        command = [sys.executable, __file__, "--one", str(n)] + (["--fake-judge"] if args.fake_judge else [])
        out = (
            subprocess.run(command, capture_output=True, text=True, check=True)
            .stdout.strip()
            .splitlines()[-1]
        )
        print(out, flush=True)


if __name__ == "__main__":
    main()
