#!/usr/bin/env python3
"""PersonaGen throughput against the stub server: model calls/s, CPU per call, peak memory; peers for scale.

    .venv/bin/python bench/bench_throughput.py --n 256 --concurrency 64 --latency 0.1 \
        --memory 1000,10000 --sequential 20 [--peers] [--json-out F]

Starts one stub (bench/stub_server.py, `--latency`, big backlog) and runs, each as a child process measured
from outside (wait4 rusage, GET /v1/stats deltas; bench/peers_bench.py does the measuring):
- `throughput`: `personagen run -n N --concurrency C -k 1 -e joy,anger -q --json` (model calls/s; CPU per
  model call from the run's own generation-phase CPU and from the whole child);
- `sequential`: the same with --concurrency 1, the naive one-persona-at-a-time loop over the graph;
- `memory-<n>`: peak RSS for each n in --memory, with `--stages base -k 1 -e joy` against a second stub with
  latency 0 (memory must be flat in n: nothing accumulates per persona);
- with --peers, the asyncio+openai reference and NeMo Data Designer (their venvs, see docs/benchmarks.md).
Prints a table and one JSON document.
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


def personagen_argv(base_url: str, runs: str, n: int, concurrency: int, *extra: str) -> list[str]:
    return [PERSONAGEN, "run", "--base-url", base_url, "--model", "stub", "-n", str(n), "--concurrency",
            str(concurrency), "-k", "1", "-q", "--json", "--runs-dir", runs, *extra]


def measure(name: str, argv: list[str], url: str, workdir: str, timeout: float) -> dict[str, Any]:
    row = peers_bench.run_target(peers_bench.Target(name, argv), url, workdir, timeout)
    row.pop("reported", None)
    return row


def personagen_rows(args: argparse.Namespace, url: str, fast_url: str, tmp: str) -> list[dict[str, Any]]:
    """The PersonaGen measurements: throughput, sequential loop, memory at each size."""
    runs = str(Path(tmp) / "runs")
    rows = [measure("personagen", personagen_argv(url, runs, args.n, args.concurrency, "-e", "joy,anger"),
                    url, tmp, args.timeout)]
    if args.sequential:
        rows.append(measure("sequential", personagen_argv(url, runs, args.sequential, 1, "-e", "joy,anger"),
                            url, tmp, args.timeout))
    for n in args.memory:
        argv = personagen_argv(fast_url, runs, n, args.concurrency, "-e", "joy", "--stages", "base")
        rows.append(measure(f"memory-{n}", argv, fast_url, tmp, args.timeout))
    return rows


def peer_rows(args: argparse.Namespace, url: str, tmp: str) -> list[dict[str, Any]]:
    """The asyncio reference and Data Designer, through bench/peers_bench.py's targets."""
    pargs = peers_bench.parse_args(["--n", str(args.n), "--concurrency", str(args.concurrency),
                                    "--only", "ideal_asyncio,data_designer"])
    return [peers_bench.run_target(t, url, tmp, args.timeout) for t in peers_bench.targets(pargs, url)]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="PersonaGen throughput and memory on the stub server.")
    p.add_argument("--n", type=int, default=256, help="personas of the throughput run (records for peers)")
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--latency", type=float, default=0.1)
    p.add_argument("--sequential", type=int, default=20, help="personas of the sequential run (0: skip)")
    p.add_argument("--memory", default="", help="comma list of persona counts for the memory runs")
    p.add_argument("--peers", action="store_true", help="also run the asyncio reference and Data Designer")
    p.add_argument("--timeout", type=float, default=1800)
    p.add_argument("--json-out", default=None)
    args = p.parse_args(argv)
    args.memory = [int(x) for x in args.memory.split(",") if x.strip()]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp,
        start_stub(latency=args.latency, backlog=4096) as (_, url),
        start_stub(latency=0.0, backlog=4096) as (_, fast_url),
    ):
        rows = peer_rows(args, url, tmp) if args.peers else []
        rows += personagen_rows(args, url, fast_url, tmp)
    settings = {k: getattr(args, k) for k in ("n", "concurrency", "latency", "memory")}
    return peers_bench.report(rows, settings, args.json_out)


if __name__ == "__main__":
    sys.exit(main())
