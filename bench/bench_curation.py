"""Benchmark of curation (`personagen curate`): time and peak memory at 10,000 and 100,000 texts, and the share of
real GoEmotions comments the thresholds would merge (the false-positive rate quoted in docs/curation.md).

Speed: synthetic first-person texts from a template mix (8 templates, 20-30 fillers per slot) with controlled
duplicates: `--dup-share` of the texts are variants of an earlier text, a third each exact (case and
punctuation changed), lexical (a few words added) and paraphrase (words swapped). The whole curation runs as in
`personagen curate` (exact, MinHash, MiniLM embedding, blocked k-NN, networkx components), without the
embedding cache unless `--cache`; each size in a fresh subprocess, peak RSS from ru_maxrss. `--stored` measures
what is left after a run's last model call: the texts first go through a run's live embedding (vectors stored,
neighbour edges found; with `--cache DIR` its vectors are copied in first, so only the edges are computed), then
the timed part closes the worker and curates. `load` is the load average at the end (the machine is shared).

    .venv/bin/python bench/bench_curation.py --sizes 10000 100000 [--stored [--cache DIR]] [--no-semantic]
    .venv/bin/python bench/bench_curation.py --goemotions [--thresholds 0.9 0.93 0.95 0.97]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOEMOTIONS = ROOT.parent / "shared" / "data" / "goemotions6"
sys.path.insert(0, str(ROOT))

TEMPLATES = [
    "I {feel} when my {person} {action} at the {place} {time}.",
    "{Time}, my {person} {action} and I {reaction}.",
    "Can't believe my {person} {action} at the {place}; I {reaction}.",
    "At the {place} {time} {event}, and honestly I {reaction}.",
    "My {person} just told me {news}, and I {reaction}.",
    "{Event} {time} at the {place}: I {state}.",
    "Every time {event} I {reaction}, and {time} was no different.",
    "So my {person} {action} {time} and now I {state}.",
]
SLOTS = {
    "feel": "smile|cry|shake|laugh out loud|freeze|lose it|want to scream|feel warm inside|go quiet|panic|"
            "get butterflies|feel tiny|beam|tear up|grin|seethe|relax|tense up|sigh|blush",
    "person": "sister|brother|boss|neighbour|best friend|grandmother|grandfather|landlord|teacher|coach|roommate|"
              "partner|son|daughter|cousin|dentist|colleague|old classmate|mother|father|uncle|aunt|barber|"
              "flatmate|mentor|ex|dog walker|team captain|doctor|manager",
    "action": "surprised me with flowers|yelled at me|forgot my birthday|hugged me|cancelled our plans|"
              "won the lottery|broke my phone|sang for me|ignored me|proposed|quit without notice|lied to me|"
              "paid my rent|crashed my car|called me a hero|left without a word|cooked dinner for everyone|"
              "laughed at my idea|asked me for help|finally apologised|moved away|got promoted|lost my keys|"
              "framed my drawing|read my diary",
    "place": "station|airport|office|beach|hospital|wedding|supermarket|gym|library|stadium|bakery|park|"
             "school gate|bus stop|concert|market|cafe|museum|harbour|garage|cinema|zoo|pool|bridge|church",
    "time": "this morning|last night|yesterday|on Sunday|an hour ago|after work|at midnight|during lunch|"
            "on my birthday|before the exam|at dawn|in the rain|after the match|on the first day|last week|"
            "at the weekend|in front of everyone|on Christmas|before dinner|on the way home",
    "reaction": "could not stop smiling|cried all the way home|wanted to disappear|laughed until it hurt|"
                "shook with rage|felt completely lost|jumped for joy|froze on the spot|called my mum|"
                "screamed into a pillow|felt so grateful|could not sleep|walked out|felt numb|danced in the street|"
                "hid in the bathroom|wrote it all down|bought myself cake|kept replaying it|texted everyone",
    "event": "the lights went out|a stranger paid for my coffee|the train broke down|my name was called|"
             "the results came in|the dog ran off|a letter arrived|the music started|the roof leaked|"
             "the crowd went silent|my flight was cancelled|the baby laughed|an old song came on|"
             "the bill arrived|the phone rang|the storm hit|the fire alarm went off|the door slammed|"
             "someone shouted my name|the cake collapsed",
    "news": "she is pregnant|he is moving abroad|they are closing the shop|we got the house|the test was negative|"
            "the surgery went well|my grandmother passed away|I got the scholarship|they sold our old home|"
            "the band is reuniting|my contract ends next month|the kitten was adopted|we are getting a raise|"
            "the trip is off|my essay won|the neighbour saw everything|my old teacher remembered me|"
            "the tickets sold out|the shelter found my cat|the wedding is cancelled",
    "state": "feel on top of the world|am shaking|can't stop crying|am furious|feel so small|am over the moon|"
             "feel betrayed|am terrified|feel at peace|am completely stunned|feel hopeful again|am heartbroken|"
             "feel light as a feather|am fuming|feel numb|am giddy|feel uneasy|am speechless|feel proud|am lonely",
}
LEXICAL_TAILS = [" honestly", " to be fair", " if I am honest", " again", " for real"]
SWAPS = [("I am", "I'm"), ("can't", "cannot"), ("my", "our"), ("and", "and then"), ("just", "only just"),
         ("so", "really"), ("completely", "totally"), ("I ", "I really ")]


def template_text(rng: random.Random) -> str:
    template = rng.choice(TEMPLATES)
    values = {name: rng.choice(options.split("|")) for name, options in SLOTS.items()}
    values |= {name.capitalize(): value[0].upper() + value[1:] for name, value in values.items()}
    return template.format(**values)


def variant(text: str, kind: str, rng: random.Random) -> str:
    if kind == "exact":
        return text.lower().rstrip(".") + rng.choice(["!", "!!", "...", ""])
    if kind == "lexical":
        return text.rstrip(".;:") + rng.choice(LEXICAL_TAILS) + "."
    for old, new in rng.sample(SWAPS, 3):
        text = text.replace(old, new, 1)
    return text


def synthetic(n: int, dup_share: float, seed: int = 0) -> tuple[list[str], dict[int, tuple[int, str]]]:
    """n texts; `planted` maps the index of each planted variant to (index of its source, kind)."""
    rng = random.Random(seed)
    texts: list[str] = []
    planted: dict[int, tuple[int, str]] = {}
    for i in range(n):
        if texts and rng.random() < dup_share:
            source, kind = rng.randrange(len(texts)), rng.choice(["exact", "lexical", "paraphrase"])
            source = planted.get(source, (source, ""))[0]
            texts.append(variant(texts[source], kind, rng))
            planted[i] = (source, kind)
        else:
            texts.append(template_text(rng))
    return texts, planted


def prefill(texts: list[str], folder: Path, per_persona: int = 4) -> tuple[object, dict]:
    """Feed the texts to a run's live embedding (personagen/curation/live.py), `per_persona` texts per persona in
    generation order, and wait until it has caught up, as a run whose generation is slower than the worker: it
    embeds them into the vector store in `folder` (texts already there are read) and grows the neighbour graph.
    Returns the worker (not closed: closing it is the first thing after the last model call) and its figures."""
    from personagen.agents.sentence_embedder import shared_embedder
    from personagen.curation.live import LiveEmbedding, live_graph
    from personagen.curation.vectors import VectorStore

    embedder = shared_embedder()
    store = VectorStore(folder, embedder.source.cache_id)
    start = time.perf_counter()
    live = LiveEmbedding(store, embedder, live_graph(store))
    for index, first in enumerate(range(0, len(texts), per_persona)):
        live.add([{"text": t} for t in texts[first : first + per_persona]], index)
    live.settle()
    graph = live.graph
    return live, {"wall_s": round(time.perf_counter() - start, 1), "busy_s": round(live.busy_s, 1),
                  "graph_s": round(live.graph_s, 1), "linked": len(graph.rows) if graph else 0,
                  "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def fresh_copy(cache: Path | None) -> Path:
    """A new store folder holding the vectors of `cache` (none when None), without its neighbour files."""
    folder = Path(tempfile.mkdtemp(prefix="bench-curation-")) / "curation-cache"
    if cache is None:
        folder.mkdir()
    else:
        shutil.copytree(cache, folder, ignore=shutil.ignore_patterns("neighbours-*"))
    return folder


def measure(n: int, dup_share: float, cache: Path | None, stored: bool = False, semantic: bool = True) -> dict:
    """Curate n synthetic texts in this process; timings, peak RSS and how many planted variants were found.
    `stored`: the texts go through the live embedding first (as a run's do while it generates: vectors stored,
    neighbour graph grown; with `cache`, its vectors are copied in first, so only the graph is computed), so the
    wall time is what is left after the last model call: closing the worker, then the curation. `semantic` False:
    the exact and lexical passes and the components only (no model is loaded)."""
    from personagen.curation.corpus import Corpus
    from personagen.curation.engine import CurationOptions, curate_corpus

    texts, planted = synthetic(n, dup_share)
    emotions = ["joy", "anger", "sadness", "fear", "love", "surprise"]
    corpus = Corpus(ids=[str(i) for i in range(n)], texts=texts, emotions=[emotions[i % 6] for i in range(n)])
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    options, during, live = CurationOptions(cache_dir=cache, semantic=semantic), None, None
    if stored:
        folder = fresh_copy(cache)
        live, during = prefill(texts, folder)
        options = CurationOptions(cache_dir=folder, embedder=live.embedder)
    start = time.perf_counter()
    if live is not None:
        live.close()
    closed = time.perf_counter() - start
    result = curate_corpus(corpus, options)
    wall = time.perf_counter() - start
    removed = {int(r.id): r for r in result.removals}
    found = {kind: 0 for kind in ("exact", "lexical", "paraphrase")}
    totals = {kind: 0 for kind in found}
    for index, (_, kind) in planted.items():
        totals[kind] += 1
        found[kind] += index in removed
    return {"texts": n, "wall_s": round(wall, 1), "phases_s": {"close_worker": round(closed, 3), **result.timings},
            "during_run": during, "embedded_now": result.summary["settings"]["embedded_now"],
            "neighbours_stored": result.summary["settings"]["neighbours_stored"],
            "distinct": result.summary["distinct_texts"],
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "rss_before_mb": round(rss_before / 1024), "removed": len(removed), "planted": len(planted),
            "planted_found": {k: f"{found[k]}/{totals[k]}" for k in found},
            "unplanted_removed": sum(1 for i in removed if i not in planted),
            "groups": result.summary["groups"], "largest_group": result.summary["largest_group"],
            "by_match": result.summary["by_match"], "load": os.getloadavg()}


def goemotions_texts() -> list[str]:
    texts = []
    for split in ("train", "dev", "test"):
        lines = (GOEMOTIONS / f"{split}.tsv").read_text(encoding="utf-8").splitlines()[1:]
        texts += [line.split("\t")[0] for line in lines if line.strip()]
    return texts


def false_positives(thresholds: list[float], jaccards: list[float]) -> dict:
    """Share of real GoEmotions comments (train+dev+test) each threshold would set aside: the semantic rows with
    the default Jaccard threshold, the lexical rows without the semantic pass."""
    from personagen.curation.corpus import Corpus
    from personagen.curation.engine import CurationOptions, curate_corpus
    from personagen.evaluation.embeddings import Embedder, embed_cached, shared_cache_dir

    texts = goemotions_texts()
    embedder = Embedder()
    table = dict(zip(texts, embed_cached(embedder, texts, shared_cache_dir()), strict=True))

    class Lookup:  # the vectors computed once, for every threshold
        model_id, languages = embedder.model_id, ("en",)

        def embed(self, batch: list[str]):
            import numpy as np

            return np.array([table[t] for t in batch])

    corpus = Corpus(ids=[str(i) for i in range(len(texts))], texts=texts, emotions=[""] * len(texts))
    out = {"texts": len(texts), "semantic": {}, "lexical": {}}
    for cosine in thresholds:
        found = curate_corpus(corpus, CurationOptions(cosine=cosine, embedder=Lookup()))  # default jaccard
        out["semantic"][cosine] = rates(found, len(texts))
    for jaccard in jaccards:
        found = curate_corpus(corpus, CurationOptions(jaccard=jaccard, semantic=False))
        out["lexical"][jaccard] = rates(found, len(texts))
    return out


def rates(found, n: int) -> dict:
    """How many comments would be set aside, and how many beyond the exact copies (equal after normalisation:
    repeated short comments such as "I love you", which any de-duplication merges)."""
    summary = found.summary
    beyond = summary["removed"] - (summary["records"] - summary["distinct_texts"])
    exact_copies = {r.id for r in found.removals if r.match == "exact"}
    examples = [(r.text, r.duplicate_text, r.similarity, r.jaccard) for r in found.removals if r.id not in exact_copies]
    return {"removed": summary["removed"], "rate": round(summary["removed"] / n, 5),
            "exact_copies": summary["records"] - summary["distinct_texts"], "beyond_exact": beyond,
            "beyond_exact_rate": round(beyond / n, 5), "examples": examples[:8]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    p.add_argument("--dup-share", type=float, default=0.15)
    p.add_argument("--cache", type=Path, help="embedding cache folder (default: none, embedding is measured)")
    p.add_argument("--stored", action="store_true",
                   help="feed the texts to a run's live embedding first (vectors stored, neighbours found, as a run "
                        "does while generating; with --cache, its vectors copied in first): the wall time is then "
                        "what is left after the last model call")
    p.add_argument("--no-semantic", action="store_true",
                   help="the exact and lexical passes and the components only: their time and memory, no model")
    p.add_argument("--goemotions", action="store_true", help="measure false positives on GoEmotions instead")
    p.add_argument("--thresholds", type=float, nargs="+", default=[0.9, 0.92, 0.93, 0.95, 0.97])
    p.add_argument("--jaccards", type=float, nargs="+", default=[0.6, 0.7, 0.8, 0.9])
    p.add_argument("--child", type=int, help=argparse.SUPPRESS)
    p.add_argument("--json-out", type=Path)
    args = p.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.dup_share, args.cache, args.stored, not args.no_semantic)))
        return
    if args.goemotions:
        results = false_positives(args.thresholds, args.jaccards)
    else:
        results = []
        for n in args.sizes:
            cmd = [sys.executable, __file__, "--child", str(n), "--dup-share", str(args.dup_share)]
            cmd += ["--cache", str(args.cache)] if args.cache else []
            cmd += ["--stored"] if args.stored else []
            cmd += ["--no-semantic"] if args.no_semantic else []
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps(results[-1]), flush=True)
    text = json.dumps(results, indent=2, ensure_ascii=False)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n")


if __name__ == "__main__":
    main()
