#!/usr/bin/env python3
"""What each proposed CPU cut would save, measured: the cut emulated by a patch, interleaved A/B runs on the stub.

    .venv/bin/python bench/profile_cuts.py --personas 78 --concurrency 64 --latency 0.1 --repeat 3 \
        [--cuts gc_default,all,live_trace] [--trace] [--no-critic offline_emotion] [--json-out F]

Nothing in the product is changed: each cut is a patch applied in this process for one run and removed after it
(docs/benchmarks.md names the file and function a real change would touch). Each round runs the baseline, each cut
alone and `all` together, the order rotating per round, each an in-process `personagen run` like
bench/profile_calls.py's plain runs (CPU and calls measured over the graph run only). Reported per cut: the median
[min-max] of the process's CPU per model call, and of the saving against the baseline of the same round.

- gc_default: a cost, not a cut: the collector's default young threshold (700 allocations) instead of the 50,000
  a run sets (personagen/pipeline.py `run_collector`): more young collections, each of which scans every young
  object still alive (the in-flight requests of 64 personas).
The cuts measured by earlier versions of this script (heap freeze, the young threshold, every optional field in
extra_body, the cached signature, the inline ChatResult, coroutine routing functions) are in the product now
(docs/benchmarks.md).
`live_trace` is not a cut but a cost: the baseline with the live terminal trace on (`personagen run` without -q;
rendered to /dev/null), so its "saved" column is negative: what the trace costs. --trace turns it on everywhere.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.profile_calls import add_no_critic, run_once  # noqa: E402
from bench.stub_process import start_stub  # noqa: E402


@contextlib.contextmanager
def patched(owner: Any, name: str, value: Any) -> Iterator[None]:
    old = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, old)


def gc_default() -> contextlib.AbstractContextManager:
    """The collector's default young threshold (700) instead of the run's (personagen/pipeline.py
    `YOUNG_THRESHOLD`): a cost, so its "saved" column is negative (what the run's threshold saves)."""
    from personagen import pipeline

    return patched(pipeline, "YOUNG_THRESHOLD", 700)  # CPython's default first threshold


CUTS: dict[str, Callable[[], contextlib.AbstractContextManager]] = {"gc_default": gc_default}


@contextlib.contextmanager
def applied(names: list[str]) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        for name in names:
            stack.enter_context(CUTS[name]())
        yield


def spread(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3)}


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per variant: CPU per call, main-thread CPU per call, and the saving against the same round's baseline."""
    base = {r["round"]: r for r in rows if r["variant"] == "baseline"}
    out = []
    for variant in dict.fromkeys(r["variant"] for r in rows):
        runs = [r for r in rows if r["variant"] == variant]
        out.append({"variant": variant, "cpu_ms_per_call": spread([r["cpu_ms_per_call"] for r in runs]),
                    "main_ms_per_call": spread([r["main_ms_per_call"] for r in runs]),
                    "saved_ms_per_call": spread([base[r["round"]]["cpu_ms_per_call"] - r["cpu_ms_per_call"]
                                                 for r in runs]),
                    "gc_ms_per_call": spread([r["gc_ms_per_call"] for r in runs]),
                    "gc_full_ms": [r["gc_full_ms"] for r in runs],
                    "calls": runs[0]["calls"]})
    return out


def render(summary: list[dict[str, Any]]) -> str:
    def cell(s: dict[str, float]) -> str:
        return f"{s['median']:.2f} [{s['min']:.2f}-{s['max']:.2f}]"

    lines = [f"{'variant':20} {'calls':>6}  {'CPU ms/call':22} {'main thread':22} {'saved ms/call vs baseline':26} "
             f"{'collector ms/call':22} full collections, ms each (per run)"]
    for e in summary:
        lines.append(f"{e['variant']:20} {e['calls']:6}  {cell(e['cpu_ms_per_call']):22} "
                     f"{cell(e['main_ms_per_call']):22} {cell(e['saved_ms_per_call']):26} "
                     f"{cell(e['gc_ms_per_call']):22} {e['gc_full_ms']}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Measure proposed CPU cuts by A/B runs against the stub.")
    p.add_argument("--personas", type=int, default=78, help="personas per run (78: ~1,000 model calls)")
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--latency", type=float, default=0.1)
    p.add_argument("--mode", choices=("keep-alive", "no-keep-alive"), default="keep-alive")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--cuts", default=",".join([*CUTS, "all", "live_trace"]),
                   help=f"comma list of {', '.join(CUTS)}, all, live_trace")
    p.add_argument("--trace", action="store_true", help="the live trace on in every run")
    add_no_critic(p)
    p.add_argument("--json-out", default=None)
    args = p.parse_args(argv)
    args.cuts = [c.strip() for c in args.cuts.split(",") if c.strip()]
    unknown = [c for c in args.cuts if c not in CUTS and c not in ("all", "live_trace")]
    if unknown:
        p.error(f"unknown cut(s): {', '.join(unknown)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    variants = {"baseline": [], **{c: (list(CUTS) if c == "all" else [] if c == "live_trace" else [c])
                                   for c in args.cuts}}
    traced = args.trace
    names, rows = list(variants), []
    with start_stub(latency=args.latency, backlog=4096, no_keep_alive=args.mode == "no-keep-alive") as (_, url):
        run_once(url, args)  # warm-up: first-use costs (imports, schema caches, the embedder) stay out
        for rnd in range(args.repeat):
            shift = rnd % len(names)
            for variant in names[shift:] + names[:shift]:
                args.trace = traced or variant == "live_trace"
                with applied(variants[variant]):
                    run = run_once(url, args)
                rows.append({"round": rnd + 1, "variant": variant, **{k: run[k] for k in (
                    "calls", "cpu_ms_per_call", "main_ms_per_call", "gc_ms_per_call", "gc_full_ms", "calls_per_s")}})
                print(f"round {rnd + 1} {variant}: {run['cpu_ms_per_call']:.2f} ms/call", file=sys.stderr, flush=True)
    summary = summarise(rows)
    print(render(summary))
    if args.json_out:
        doc = {"settings": {"argv": sys.argv, **vars(args)}, "summary": summary, "runs": rows}
        Path(args.json_out).write_text(json.dumps(doc, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
