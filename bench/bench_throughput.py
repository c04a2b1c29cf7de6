#!/usr/bin/env python3
"""PersonaGen throughput against the stub server, side by side with the asyncio reference and its peers.

    .venv/bin/python bench/bench_throughput.py --n 256 --pg-n 64 --concurrency 64 --latency 0.1 --repeat 3 \
        --json-out /tmp/bench.json [--no-peers] [--rows pg_job,...] [--k-sweep 1,4] [--sequential 20] \
        [--memory 1000,10000 [--memory-flags "-e joy,anger -k 1"]]

Every client runs against both stub modes (`--modes keep-alive,no-keep-alive`: bench/stub_server.py keeping
connections alive, or closing them after each answer), `--repeat` interleaved rounds (bench/peers_bench.py's
`run_rounds`: each round runs every client once per mode, the order rotating), each as a child process measured
from outside (wait4 rusage, GET /v1/stats deltas). Clients:
- unless --no-peers: the asyncio+openai reference on openai's default client (`reference`) and on
  `openai.DefaultAioHttpClient` (`reference_aiohttp`), NeMo Data Designer and distilabel (their venvs; a missing
  one is a skipped row). `vs ref` and `CPU x ref` divide by the reference with the least CPU per call in the same
  round and stub mode: the reference at its best transport, chosen per round by measuring both;
- PersonaGen, `personagen run -n PG_N --concurrency C -q --json` with the flags of `--rows` (`ROWS` below):
  `pg_job`, the whole job as a user runs it (`-e default -k 2`, default critics, curation on); `pg_job_no_classifier`
  (the same without the offline classifier's two critics, offline_emotion and offline_strength); `pg_orchestration`
  (classifier off, `--no-curate`: orchestration alone); `pg_shape_k1` (`-e joy,anger -k 1`, orchestration alone: the
  shape earlier versions measured). Calls/s and CPU per call are over the run's generation phase (its own summary)
  plus, for a run that curates, its curation (curation.json `timings_s`: wall `total` and `cpu`): `curate s` is the
  time the curation takes after the last model call. `--k-sweep 1,4` adds orchestration-alone and whole-job
  (classifier off) rows at those texts per emotion;
then, once each, on the keep-alive stub:
- `sequential`: PersonaGen with --concurrency 1 (the naive one-persona-at-a-time loop), `--sequential` personas
  (`-e joy,anger -k 1`, default critics);
- `memory-<n>`: peak RSS for each n in --memory, with `--memory-flags` against a stub with latency 0, early stop
  off (`[limits] early_stop_personas = 0`, unless the flags give a --config): the stub's judges answer at random
  (bench/stub_schema.py), so a window of personas with no text can stop a long run that should measure all n.
Prints the machine line (CPU, cores, load, versions), one table per stub mode (median [min-max] over the rounds)
and one JSON document.
"""

from __future__ import annotations

import argparse
import shlex
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
# the offline classifier's two critics (onnxruntime MiniLM + the GoEmotions head): offline_emotion and offline_strength
# (advisory on a server's texts, but it still reads every text)
NO_CLASSIFIER = ("--no-critic", "offline_emotion", "--no-critic", "offline_strength")
DEFAULT_JOB = ("-e", "default", "-k", "2")  # what `personagen run` does out of the box: 6 emotions, 2 texts each
SHAPE = ("-e", "joy,anger", "-k", "1")  # the shape earlier versions of this bench measured
# PersonaGen's rows: name -> flags. Curation runs unless --no-curate; a run that curates has its curation added to
# its phase (bench/peers_bench.py `derive`): the whole job is generation, then curation.
ROWS: dict[str, tuple[str, ...]] = {
    "pg_job": DEFAULT_JOB,  # the whole job: default critics (the classifier too), curation on
    "pg_job_no_classifier": (*DEFAULT_JOB, *NO_CLASSIFIER),  # the whole job, the classifier off
    "pg_orchestration": (*DEFAULT_JOB, *NO_CLASSIFIER, "--no-curate"),  # orchestration alone
    "pg_shape_k1": (*SHAPE, *NO_CLASSIFIER, "--no-curate"),  # orchestration alone, the old shape
}


def personagen_argv(base_url: str, runs: str, n: int, concurrency: int, *extra: str) -> list[str]:
    return [PERSONAGEN, "run", "--base-url", base_url, "--model", "stub", "-n", str(n), "--concurrency",
            str(concurrency), "-q", "--json", "--runs-dir", runs, *extra]


def sweep_rows(ks: list[int]) -> dict[str, tuple[str, ...]]:
    """Orchestration alone and the whole job (classifier off) at each -k of --k-sweep (-e default)."""
    rows: dict[str, tuple[str, ...]] = {}
    for k in ks:
        job = ("-e", "default", "-k", str(k), *NO_CLASSIFIER)
        rows[f"pg_orchestration_k{k}"] = (*job, "--no-curate")
        rows[f"pg_job_no_cls_k{k}"] = job
    return rows


def clients(args: argparse.Namespace, runs: str, base_url: str) -> list[peers_bench.Target]:
    """The references and peers (unless --no-peers), then PersonaGen's rows, against one stub."""
    found = [] if args.no_peers else peers_bench.targets(args, base_url)
    rows = {name: flags for name, flags in ROWS.items() if name in args.rows} | sweep_rows(args.k_sweep)
    n = args.pg_n or args.n
    return [*found, *(peers_bench.Target(name, personagen_argv(base_url, runs, n, args.concurrency, *flags))
                      for name, flags in rows.items())]


def single_rows(args: argparse.Namespace, mode: str, url: str, runs: str, tmp: str) -> list[dict[str, Any]]:
    """The sequential loop (on the `mode` stub) and the memory runs (on a stub with latency 0), once each."""
    rows = []
    if args.sequential:
        argv = personagen_argv(url, runs, args.sequential, 1, *SHAPE)
        rows.append(peers_bench.run_target(peers_bench.Target("sequential", argv), url, tmp, args.timeout))
    if args.memory:
        flags = memory_flags(args.memory_flags, tmp)
        with start_stub(latency=0.0, backlog=args.backlog, **peers_bench.MODES[mode]) as (_, fast_url):
            for n in args.memory:
                argv = personagen_argv(fast_url, runs, n, args.concurrency, *flags)
                target = peers_bench.Target(f"memory-{n}", argv)
                rows.append(peers_bench.run_target(target, fast_url, tmp, args.timeout))
    for row in rows:
        row.pop("reported", None)
        row.update(round=1, mode=mode if row["tool"] == "sequential" else f"{mode}, latency 0")
    return rows


def memory_flags(flags: list[str], tmp: str) -> list[str]:
    """The memory runs' flags: with a config turning early stop off, unless they give their own --config."""
    if "--config" in flags:
        return flags
    config = Path(tmp) / "memory-runs.toml"
    config.write_text("[limits]\nearly_stop_personas = 0\n", encoding="utf-8")
    return [*flags, "--config", str(config)]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="PersonaGen throughput and memory on the stub server, with its peers.")
    peers_bench.add_common(p)
    p.add_argument("--no-peers", action="store_true", help="PersonaGen only")
    p.add_argument("--sequential", type=int, default=0, help="personas of the sequential run (0: skip)")
    p.add_argument("--memory", default="", help="comma list of persona counts for the memory runs")
    p.add_argument("--memory-flags", default="-e joy,anger -k 1",
                   help="personagen run flags of the memory runs (default: full stages, default critics, curation)")
    p.add_argument("--peers", default=PEERS, help=f"references and peers, in order (default {PEERS})")
    p.add_argument("--pg-n", type=int, default=64,
                   help="personas of PersonaGen's rows (0: --n); -e default -k 2 makes ~40-50 calls per persona")
    p.add_argument("--rows", default=",".join(ROWS), help=f"PersonaGen rows (of {', '.join(ROWS)})")
    p.add_argument("--k-sweep", default="", help="comma list of -k values: orchestration and whole-job rows each")
    args = p.parse_args(argv)
    args.rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    unknown = sorted(set(args.rows) - set(ROWS))
    if unknown:
        p.error(f"--rows: unknown {', '.join(unknown)} (known: {', '.join(ROWS)})")
    args.k_sweep = [int(k) for k in args.k_sweep.split(",") if k.strip()]
    args.memory_flags = shlex.split(args.memory_flags)
    args.modes = peers_bench.parse_modes("no-keep-alive" if args.no_keep_alive else args.modes)
    args.memory = [int(x) for x in args.memory.split(",") if x.strip()]
    args.only = args.peers  # the peers' order in each round (personagen comes last, then rotates)
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
    settings = peers_bench.settings_of(args, "pg_n", "peers", "no_peers", "sequential", "memory", "memory_flags",
                                       "rows", "k_sweep")
    return peers_bench.report(rows, settings, machine, args.json_out)


if __name__ == "__main__":
    sys.exit(main())
