#!/usr/bin/env python3
"""Where PersonaGen's client CPU per model call goes: a profiled run against the stub, broken down by layer.

    .venv/bin/pip install py-spy     # once (or pyinstrument, for --profiler pyinstrument)
    .venv/bin/python bench/profile_calls.py --personas 78 --concurrency 64 --latency 0.1 --repeat 3 \
        [--mode no-keep-alive] [--trace] [--profiler py-spy|pyinstrument] [--rate 1000] [--json-out F] \
        [--no-critic offline_emotion --no-critic offline_strength] [-e default -k 4 --no-curate]

Runs what `personagen run -n N -k 1 -e joy,anger --concurrency C -q` runs (or the shape of `-e`, `-k`,
`--no-curate`), in-process (personagen.pipeline.execute; 78 personas make ~1,000 model calls at the default shape),
against a stub (bench/stub_server.py): --repeat plain runs, to measure CPU per
call (median and spread), then one run with a stack sampler attached while the graph runs (after the probe and
set-up; CPU and calls are also measured over that span only). py-spy samples from outside (no per-call hook: the
profiled run costs about what a plain one does); pyinstrument hooks every call and about doubles the CPU here,
which skews the shares toward call-heavy Python code. The profiled run has the cyclic garbage collector off (a
full collection, 150-200 ms here, would be charged to whatever frame allocated); the collector's CPU is measured
in the plain runs (gc.callbacks) and added as its own bucket. The samples are sorted into buckets by
bench/profile_buckets.py; a bucket's share of the main thread's busy samples times that thread's CPU per call in the
profiled run gives its ms per call. --trace turns the live terminal trace on (rendered to /dev/null) in every run,
as `personagen run` without -q does. With the offline classifier on, each plain run also reports its texts through
the model, batches, readings answered from remembered logits and the model's CPU (the classifier forgets the last run's
texts first: every run writes the same ones).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import importlib.util
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.bench_report import machine_info  # noqa: E402
from bench.profile_buckets import classify  # noqa: E402
from bench.stub_process import fetch_stats, start_stub  # noqa: E402


def py_spy() -> str | None:
    """The py-spy executable: on PATH, or beside this Python (a venv's bin/), or None."""
    beside = Path(sys.executable).parent / "py-spy"
    return shutil.which("py-spy") or (str(beside) if beside.is_file() else None)


def missing_profiler(profiler: str) -> str | None:
    """What to install when the chosen profiler is not there (checked before any run starts), or None."""
    if profiler == "pyinstrument":
        found = importlib.util.find_spec("pyinstrument") is not None
    else:
        found = py_spy() is not None
    return None if found else (f"--profiler {profiler}: {profiler} is not installed for {sys.executable}; install it "
                               f"with `{Path(sys.executable).parent / 'pip'} install {profiler}`")


class Sampler:
    """Stack samples of this process while the graph runs: py-spy from outside (default) or pyinstrument."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args, self.proc, self.profiler = args, None, None
        self.out = Path(tempfile.mkdtemp(prefix="profile-calls-")) / "stacks.txt"
        self.other_threads: Counter[str] = Counter()
        self.malformed = 0

    def start(self) -> None:
        if self.args.profiler == "pyinstrument":
            from pyinstrument import Profiler

            self.profiler = Profiler(interval=1 / self.args.rate, async_mode="disabled")
            self.profiler.start()
            return
        argv = [str(py_spy()), "record", "-p", str(os.getpid()), "-r", str(self.args.rate), "-f", "raw",
                "--full-filenames", "--nolineno", "-t", "--nonblocking", "-o", str(self.out)]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(1.0)  # attached before the graph starts
        if self.proc.poll() is not None:
            raise SystemExit(f"py-spy failed: {self.proc.stderr.read().decode()[-500:]} (pip install py-spy)")

    def stop(self) -> dict[str, list[tuple[list[str], float]]]:
        """Samples as (stack outermost first, seconds) of the main thread ("main") and of all others ("other")."""
        if self.profiler is not None:
            self.profiler.stop()
            return {"main": list(self.profiler.last_session.frame_records), "other": []}
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(60)
        main = f"thread ({threading.main_thread().native_id})"
        samples: dict[str, list[tuple[list[str], float]]] = {"main": [], "other": []}
        self.malformed = 0
        for line in self.out.read_text(errors="replace").splitlines():
            frames, _, count = line.rpartition(" ")
            if not count.isdigit() or not line.startswith("thread ("):  # a frame name with a line break in it
                self.malformed += 1
                continue
            thread, *stack = frames.split(";")
            seconds = int(count) / self.args.rate
            if not thread.startswith(main):
                self.other_threads[thread.split(": ", 1)[-1]] += seconds
            ids = [f"{name}\x00{file.removesuffix(')')}" for name, _, file in
                   (f.rpartition(" (") if " (" in f else ("", "", "") for f in stack)]
            samples["main" if thread.startswith(main) else "other"].append((ids, seconds))
        shutil.rmtree(self.out.parent, ignore_errors=True)
        return samples


class GcMeter:
    """CPU the main thread spends in the cyclic garbage collector (gc.callbacks), and collections per generation."""

    def __init__(self) -> None:
        self.seconds, self.collections, self._start = 0.0, [0, 0, 0], 0.0
        self.full_ms: list[float] = []  # each full (generation 2) collection's CPU
        self.main = threading.main_thread().ident

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if threading.get_ident() != self.main:
            return
        if phase == "start":
            self._start = time.thread_time()
        else:
            spent = time.thread_time() - self._start
            self.seconds += spent
            self.collections[info["generation"]] += 1
            if info["generation"] == 2:
                self.full_ms.append(round(1000 * spent, 1))

    def __enter__(self) -> GcMeter:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        gc.callbacks.remove(self)


def run_once(url: str, args: argparse.Namespace, *, profile: bool = False) -> dict[str, Any]:
    """One in-process `personagen run`; CPU and calls measured around the graph run only (after probe and set-up)."""
    from rich.console import Console

    from personagen import pipeline
    from personagen.commands.options import backend_values
    from personagen.settings import load_settings
    from personagen.trace import TerminalTrace

    run = {"personas": args.personas, "emotions": args.emotions, "texts_per_emotion": args.k,
           "concurrency": args.concurrency, "curate": not args.no_curate}
    critics = {"disable": list(getattr(args, "no_critic", None) or [])}
    settings = load_settings(None, run=run, models=backend_values(url, "stub", None), critics=critics)
    measured: dict[str, Any] = {}
    original = pipeline.run_graph
    reader = classifier_reader()

    def measured_run_graph(*a: Any, **kw: Any) -> Any:
        sampler = Sampler(args) if profile else None
        if sampler:  # without the collector: its pauses would land on whatever frame allocates (measured apart)
            sampler.start()
            gc.disable()
        if reader is not None:  # every run writes the same texts (same seed): read them afresh
            reader.forget()
        usage0 = dataclasses.replace(reader.usage) if reader is not None else None
        before, cpu0, main0, t0 = fetch_stats(url)["requests"], time.process_time(), time.thread_time(), time.time()
        try:
            with GcMeter() as collector:
                return original(*a, **kw)
        finally:
            measured.update(wall_s=time.time() - t0, cpu_s=time.process_time() - cpu0,
                            main_cpu_s=time.thread_time() - main0, calls=fetch_stats(url)["requests"] - before,
                            gc_s=collector.seconds, gc_collections=collector.collections, gc_full_ms=collector.full_ms)
            if reader is not None and usage0 is not None:
                measured["classifier"] = classifier_usage(usage0, reader.usage)
            if sampler:
                gc.enable()
                measured.update(samples=sampler.stop(), other_threads=dict(sampler.other_threads))

    pipeline.run_graph = measured_run_graph
    try:
        with tempfile.TemporaryDirectory(prefix="profile-calls-") as tmp, open(os.devnull, "w") as devnull:
            console = Console(file=devnull, force_terminal=True, width=120) if args.trace else \
                Console(stderr=True, quiet=True)
            with TerminalTrace(console, settings.run.personas, trace=args.trace) as observer:
                result = pipeline.execute(settings, Path(tmp), observer=observer)
    finally:
        pipeline.run_graph = original
    if result.summary["status"] != "finished":
        raise SystemExit(f"the run did not finish: {result.summary['status']}: {result.summary['message']}")
    calls = measured["calls"]
    measured.update(cpu_ms_per_call=1000 * measured["cpu_s"] / calls, gc_ms_per_call=1000 * measured["gc_s"] / calls,
                    main_ms_per_call=1000 * measured["main_cpu_s"] / calls, calls_per_s=calls / measured["wall_s"])
    return measured


def classifier_reader() -> Any:
    """The offline classifier's reader (the process's, as the critics use it), or None when it cannot load."""
    from personagen.agents.critics.offline_emotion import emotion_reader

    reader = emotion_reader()
    return None if isinstance(reader, str) else reader


def classifier_usage(before: Any, after: Any) -> dict[str, Any]:
    """What the offline classifier did in one run: texts through the model, batches, readings answered from the
    remembered logits, the model's CPU (ms per text)."""
    texts, cpu = after.texts - before.texts, after.cpu_seconds - before.cpu_seconds
    return {"texts": texts, "batches": after.batches - before.batches, "reused": after.reused - before.reused,
            "cpu_s": round(cpu, 3), "cpu_ms_per_text": round(1000 * cpu / texts, 2) if texts else None}


GC = "garbage collection (gc.callbacks in the plain runs; the profiled run has the collector off)"


def breakdown(profiled: dict[str, Any], plain: list[dict[str, Any]]) -> dict[str, Any]:
    """ms per call of each bucket (with its top frames) and each spot: its share of a thread group's busy samples x
    that group's CPU per call in the profiled run (collector off), plus the collector's own CPU per call measured in
    the plain runs. Main thread and other threads (the default executor: LangChain's `_create_chat_result`, sync
    nodes and critics, ...) separately."""
    main, other = classify(profiled["samples"]["main"]), classify(profiled["samples"]["other"])
    main_ms = profiled["main_ms_per_call"] - profiled["gc_ms_per_call"]
    other_ms = profiled["cpu_ms_per_call"] - profiled["main_ms_per_call"]

    def ranked(counts: Counter[str], ms: float, busy: float, top: int | None = None) -> dict[str, float]:
        return {k: round(v * ms / busy, 3) for k, v in counts.most_common(top)} if busy else {}

    exclusive = ranked(main["exclusive"], main_ms, main["busy_s"])
    exclusive[GC] = round(statistics.median(r["gc_ms_per_call"] for r in plain), 3)
    return {"exclusive_ms_per_call": dict(sorted(exclusive.items(), key=lambda kv: -kv[1])),
            "inclusive_ms_per_call": ranked(main["inclusive"], main_ms, main["busy_s"]),
            "top_frames_ms_per_call": {k: ranked(v, main_ms, main["busy_s"], 5) for k, v in main["frames"].items()},
            "other_threads_ms_per_call": ranked(other["exclusive"], other_ms, other["busy_s"]),
            "other_threads_top_frames_ms_per_call": {k: ranked(v, other_ms, other["busy_s"], 5)
                                                     for k, v in other["frames"].items()},
            "busy_s": round(main["busy_s"], 3), "idle_s": round(main["idle_s"], 3),
            "other_threads_sampled_s": {k: round(v, 3) for k, v in profiled.get("other_threads", {}).items()}}


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} [{min(values):.2f}-{max(values):.2f}]"


def render(plain: list[dict[str, Any]], profiled: dict[str, Any], parts: dict[str, Any]) -> str:
    total = sum(parts["exclusive_ms_per_call"].values())
    lines = [f"plain runs ({len(plain)}): {plain[0]['calls']} calls each; calls/s "
             f"{spread([r['calls_per_s'] for r in plain])}; CPU ms/call {spread([r['cpu_ms_per_call'] for r in plain])}"
             f" (main thread {spread([r['main_ms_per_call'] for r in plain])}, of which garbage collection "
             f"{spread([r['gc_ms_per_call'] for r in plain])}; collections per generation "
             f"{[r['gc_collections'] for r in plain]})",
             classifier_line(plain),
             f"profiled run (collector off): {profiled['calls']} calls, {profiled['calls_per_s']:.0f} calls/s, CPU "
             f"{profiled['cpu_ms_per_call']:.2f} ms/call (main thread {profiled['main_ms_per_call']:.2f}); main-thread "
             f"samples: busy {parts['busy_s']} s, idle {parts['idle_s']} s; other threads (s): "
             f"{parts['other_threads_sampled_s']}",
             f"breakdown: main thread {total:.2f} ms/call (profiled run, collector off, + the plain runs' collector), "
             f"other threads {sum(parts['other_threads_ms_per_call'].values()):.2f} ms/call",
             "", f"{'exclusive: where the main thread spends its CPU per model call':86} {'ms/call':>7} {'share':>6}"]
    for name, ms in parts["exclusive_ms_per_call"].items():
        lines.append(f"  {name:84} {ms:7.3f} {100 * ms / total if total else 0:5.1f}%")
        lines += top_frame_lines(parts["top_frames_ms_per_call"].get(name, {}))
    lines += ["", f"{'other threads (CPU per model call)':86} {'ms/call':>7}"]
    for name, ms in parts["other_threads_ms_per_call"].items():
        lines.append(f"  {name:84} {ms:7.3f}")
        lines += top_frame_lines(parts["other_threads_top_frames_ms_per_call"].get(name, {}))
    lines += ["", f"{'inclusive (overlapping): a spot and everything it calls':86} {'ms/call':>7} {'share':>6}"]
    for name, ms in parts["inclusive_ms_per_call"].items():
        lines.append(f"  {name:84} {ms:7.3f} {100 * ms / total if total else 0:5.1f}%")
    return "\n".join(lines)


def classifier_line(plain: list[dict[str, Any]]) -> str:
    per_call = [1000 * r["classifier"]["cpu_s"] / r["calls"] for r in plain if r.get("classifier")]
    return (f"offline classifier per plain run (texts through the model, batches, reused readings, model CPU): "
            f"{[r.get('classifier') for r in plain]}; model CPU per call {spread(per_call or [0.0])} ms")


def top_frame_lines(frames: dict[str, float]) -> list[str]:
    """A bucket's three busiest frames (those of at least 0.01 ms per call), indented under it."""
    return [f"      {frame[:80]:80} {ms:7.3f}" for frame, ms in list(frames.items())[:3] if ms >= 0.01]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Profile PersonaGen's client CPU per model call against the stub.")
    p.add_argument("--personas", type=int, default=78, help="personas (78: ~1,000 model calls)")
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--latency", type=float, default=0.1)
    p.add_argument("--mode", choices=("keep-alive", "no-keep-alive"), default="keep-alive")
    p.add_argument("--repeat", type=int, default=3, help="plain runs before the profiled one")
    p.add_argument("--profiler", choices=("py-spy", "pyinstrument"), default="py-spy")
    p.add_argument("--rate", type=int, default=1000, help="samples per second")
    p.add_argument("--trace", action="store_true", help="the live trace on (as `personagen run` without -q)")
    p.add_argument("-e", "--emotions", default="joy,anger", help="as `personagen run -e` (default: the old shape)")
    p.add_argument("-k", type=int, default=1, help="texts per emotion, as `personagen run -k`")
    p.add_argument("--no-curate", action="store_true", help="as `personagen run --no-curate`")
    add_no_critic(p)
    p.add_argument("--json-out", default=None)
    return p.parse_args(argv)


def add_no_critic(p: argparse.ArgumentParser) -> None:
    """`--no-critic NAME` (repeatable), as `personagen run` has it: e.g. offline_emotion, whose classifier is data
    work the peers do not do (docs/benchmarks.md)."""
    p.add_argument("--no-critic", action="append", default=[], metavar="NAME", help="disable a critic (repeatable)")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if missing := missing_profiler(args.profiler):
        print(f"error: {missing}", file=sys.stderr)
        return 2
    with start_stub(latency=args.latency, backlog=4096, no_keep_alive=args.mode == "no-keep-alive") as (_, url):
        plain = [run_once(url, args) for _ in range(max(1, args.repeat))]
        profiled = run_once(url, args, profile=True)
    parts = breakdown(profiled, plain)
    print(render(plain, profiled, parts))
    if args.json_out:
        runs = {"plain": plain, "profiled": {k: v for k, v in profiled.items() if k != "samples"}}
        machine = machine_info({"personagen": sys.executable}, str(Path(__file__).resolve().parent.parent))
        doc = {"settings": {"argv": sys.argv, **vars(args)}, "machine": machine, **parts, "runs": runs}
        Path(args.json_out).write_text(json.dumps(doc, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
