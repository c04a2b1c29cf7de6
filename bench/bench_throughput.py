#!/usr/bin/env python3
"""PersonaGen throughput against the stub server, side by side with its peers: calls/s, CPU per call, RSS.

    .venv/bin/python bench/bench_throughput.py --n 256 --concurrency 64 --latency 0.1 --repeat 3 \
        --dd-venv /tmp/peers/venv-dd --distilabel-venv /tmp/peers/venv-distilabel --json-out /tmp/bench.json \
        [--no-peers] [--sequential 20] [--memory 1000,10000]

Every client runs against both stub modes (`--modes keep-alive,no-keep-alive`: bench/stub_server.py keeping
connections alive, or closing them after each answer), `--repeat` interleaved rounds (bench/peers_bench.py's
`run_rounds`: each round runs every client once per mode, the order rotating), each as a child process measured
from outside (wait4 rusage, GET /v1/stats deltas). Clients:
- `personagen`: `personagen run -n N --concurrency C -k 1 -e joy,anger -q --json --no-critic offline_emotion` (full
  stages, ~12 calls per persona; calls/s and CPU per call over the run's generation phase, from its own summary):
  the orchestration comparison, without the offline emotion critic's classifier (onnxruntime MiniLM in worker
  threads, ~1.4 ms of CPU per call: data work the peers do not do);
- `personagen_critics`: the same with the default critics (offline emotion critic included), so nothing is hidden;
- unless --no-peers: the asyncio+openai reference on openai's default client (`reference`) and on its aiohttp
  transport (`reference_aiohttp`), NeMo Data Designer and distilabel (their venvs; a missing one is a skipped row);
then, once each, on the keep-alive stub:
- `sequential`: PersonaGen with --concurrency 1 (the naive one-persona-at-a-time loop), `--sequential` personas;
- `memory-<n>`: peak RSS for each n in --memory, `--stages base -k 1 -e joy --no-curate` against a stub with latency 0
  (the generation, default critics: nothing may accumulate per persona; the curation pass after a run holds every
  text's embedding by design and is measured in docs/curation.md).
Prints the machine line (CPU, cores, load, versions), one table per stub mode (median [min-max] over the rounds;
`vs ref`: calls/s over the reference's in the same round) and one JSON document.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import peers_bench  # noqa: E402
from bench.stub_process import start_stub  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PERSONAGEN = str(ROOT / ".venv" / "bin" / "personagen")
PEERS = "reference,reference_aiohttp,data_designer,distilabel"
NO_CLASSIFIER = ("--no-critic", "offline_emotion")  # the primary row: orchestration, not the critic's classifier


def personagen_argv(base_url: str, runs: str, n: int, concurrency: int, *extra: str) -> list[str]:
    return [PERSONAGEN, "run", "--base-url", base_url, "--model", "stub", "-n", str(n), "--concurrency",
            str(concurrency), "-k", "1", "-q", "--json", "--runs-dir", runs, *extra]


def clients(args: argparse.Namespace, runs: str, base_url: str) -> list[peers_bench.Target]:
    """The peers (unless --no-peers) and PersonaGen without and with the offline emotion critic, against one stub."""
    found = [] if args.no_peers else peers_bench.targets(args, base_url)
    argv = personagen_argv(base_url, runs, args.n, args.concurrency, "-e", "joy,anger")
    return [*found, peers_bench.Target("personagen", [*argv, *NO_CLASSIFIER]),
            peers_bench.Target("personagen_critics", argv)]


def single_rows(args: argparse.Namespace, mode: str, url: str, runs: str, tmp: str) -> list[dict[str, Any]]:
    """The sequential loop (on the `mode` stub) and the memory runs (on a stub with latency 0), once each."""
    rows = []
    if args.sequential:
        argv = personagen_argv(url, runs, args.sequential, 1, "-e", "joy,anger")
        rows.append(peers_bench.run_target(peers_bench.Target("sequential", argv), url, tmp, args.timeout))
    if args.memory:
        with start_stub(latency=0.0, backlog=args.backlog, **peers_bench.MODES[mode]) as (_, fast_url):
            for n in args.memory:
                argv = personagen_argv(fast_url, runs, n, args.concurrency, "-e", "joy", "--stages", "base",
                                       "--no-curate")
                target = peers_bench.Target(f"memory-{n}", argv)
                rows.append(peers_bench.run_target(target, fast_url, tmp, args.timeout))
    for row in rows:
        row.pop("reported", None)
        row.update(round=1, mode=mode if row["tool"] == "sequential" else f"{mode}, latency 0")
    return rows


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="PersonaGen throughput and memory on the stub server, with its peers.")
    peers_bench.add_common(p)
    p.add_argument("--no-peers", action="store_true", help="PersonaGen only")
    p.add_argument("--sequential", type=int, default=0, help="personas of the sequential run (0: skip)")
    p.add_argument("--memory", default="", help="comma list of persona counts for the memory runs")
    args = p.parse_args(argv)
    args.modes = peers_bench.parse_modes("no-keep-alive" if args.no_keep_alive else args.modes)
    args.memory = [int(x) for x in args.memory.split(",") if x.strip()]
    args.only = PEERS  # the peers' order in each round (personagen comes last, then rotates)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    machine = peers_bench.bench_report.machine_info(peers_bench.interpreters(args), str(ROOT))
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    with (
        tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp,
        peers_bench.start_stubs(args.modes, args.latency, args.backlog) as urls,
    ):
        workdir, runs = args.workdir or tmp, str(Path(tmp) / "runs")
        rows = peers_bench.run_rounds(lambda url: clients(args, runs, url), urls, args.repeat, workdir,
                                      args.timeout, log=log)
        mode = "keep-alive" if "keep-alive" in urls else args.modes[0]
        rows += single_rows(args, mode, urls[mode], runs, workdir)
    settings = peers_bench.settings_of(args, "no_peers", "sequential", "memory")
    return peers_bench.report(rows, settings, machine, args.json_out)


if __name__ == "__main__":
    sys.exit(main())
