#!/usr/bin/env python3
"""The overhead of the Ray executor: the same dataset with `personagen run` alone and with `--ray`, on the stub.

    .venv/bin/python bench/bench_ray.py --n 200 --latency 0.05 --repeat 3 --shards 2 --json-out /tmp/bench_ray.json

Each round runs both variants once, the order alternating (interleaved), each as a child process against one
stub server (bench/stub_server.py):
- `single`: `personagen run -n N -e joy,anger -k 1 --concurrency C -q --json`;
- `ray`: the same plus `--ray --ray-shards S` (a local Ray instance started and stopped by the run itself).
Measured per run: model calls (the stub's GET /v1/stats delta, the endpoint probes included: one per process);
the generation time (`ray`: the slowest shard's own `wall_s`), the run's wall time (its summary's `wall_s`; for
`ray` from before `ray.init` to the merged summary) and the child's whole wall time (imports included); the
generation CPU (the summary's `cpu_s`: the process, or the sum over the shard processes) and the CPU of the whole
process tree, sampled from /proc (this harness is a child subreaper, so Ray's daemons stay in view).
Prints one JSON line per run, a table of median [min-max] per variant with the ratios ray/single of the medians,
and (--json-out) one JSON document.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.peers_bench import last_json_line  # noqa: E402
from bench.stub_process import fetch_stats, start_stub  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PERSONAGEN = str(ROOT / ".venv" / "bin" / "personagen")
PR_SET_CHILD_SUBREAPER = 36
CLK_TCK = os.sysconf("SC_CLK_TCK")
SAMPLE_S = 0.1
METRICS = ("calls_per_s_generation", "calls_per_s", "calls_per_s_process", "cpu_ms_per_call",
           "cpu_tree_ms_per_call", "generation_s", "wall_s", "process_wall_s")


def become_subreaper() -> None:
    """Orphaned descendants (Ray's daemons once the driver exits) are re-parented to us, so we can see them."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def proc_table() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, start time, user+system CPU seconds) of every process, from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        table[int(entry.name)] = (int(fields[1]), fields[19], (int(fields[11]) + int(fields[12])) / CLK_TCK)
    return table


def tree_of(table: dict[int, tuple[int, str, float]], roots: set[int]) -> set[int]:
    """The roots and all their descendants."""
    found, frontier = set(), {r for r in roots if r in table}
    while frontier:
        found |= frontier
        frontier = {pid for pid, (ppid, _, _) in table.items() if ppid in frontier and pid not in found}
    return found


def reap() -> list[tuple[int, int]]:
    """(pid, wait status) of every child that has ended (orphans re-parented to us included)."""
    ended = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return ended
        if pid == 0:
            return ended
        ended.append((pid, status))


def run_tree(argv: list[str], keep: set[int], timeout: float) -> tuple[int, float, float, str, int]:
    """Run argv; (exit code, wall s, CPU s of it and every descendant, stdout, processes left after 20 s).

    The CPU of the tree is sampled from /proc every SAMPLE_S (the last sample of each process counts: a process
    loses at most its last SAMPLE_S); wait4's rusage would miss Ray's workers, which their raylet reaps without
    collecting their usage."""
    me, cpu = os.getpid(), {}
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        code, wall, deadline = None, 0.0, time.monotonic() + timeout
        while True:
            table = proc_table()
            orphans = {pid for pid, (ppid, _, _) in table.items() if ppid == me and pid not in keep}
            tree = tree_of(table, orphans | {proc.pid})
            for pid in tree:
                cpu[(pid, table[pid][1])] = table[pid][2]
            for pid, status in reap():
                if pid == proc.pid:
                    code, wall = os.waitstatus_to_exitcode(status), time.perf_counter() - t0
                    deadline = time.monotonic() + 20  # then wait for the processes Ray leaves behind
            if code is not None and not (tree - {proc.pid}):
                break
            if time.monotonic() > deadline:
                if code is None:
                    proc.kill()
                    continue
                break
            time.sleep(SAMPLE_S)
        out.seek(0)
        return code, wall, sum(cpu.values()), out.read().decode(errors="replace"), len(tree - {proc.pid})


def measure(name: str, argv: list[str], url: str, keep: set[int], timeout: float) -> dict[str, Any]:
    before = fetch_stats(url)
    code, wall, cpu_tree, stdout, left = run_tree(argv, keep, timeout)
    calls = fetch_stats(url)["requests"] - before["requests"]
    rep = last_json_line(stdout)
    scale = rep.get("scale") or {}
    shard_walls = [s["wall_s"] for s in scale.get("shard_runs", []) if s.get("wall_s")]
    row = {"variant": name, "exit": code, "calls": calls, "records": rep.get("records"),
           "wall_s": rep.get("wall_s"), "process_wall_s": round(wall, 3), "cpu_gen_s": rep.get("cpu_s"),
           "cpu_tree_s": round(cpu_tree, 3), "processes_left": left, "ray_init_s": scale.get("ray_init_s"),
           "generation_s": max(shard_walls) if shard_walls else rep.get("wall_s")}
    if calls and rep.get("wall_s"):
        row.update(calls_per_s=round(calls / rep["wall_s"], 1), calls_per_s_process=round(calls / wall, 1),
                   calls_per_s_generation=round(calls / row["generation_s"], 1),
                   cpu_ms_per_call=round(1000 * rep["cpu_s"] / calls, 2),
                   cpu_tree_ms_per_call=round(1000 * cpu_tree / calls, 2))
    return row


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """median, min, max of every metric per variant, and the ratio ray/single of the medians."""
    out: dict[str, Any] = {}
    for variant in ("single", "ray"):
        mine = [r for r in rows if r["variant"] == variant and r.get("calls_per_s")]
        out[variant] = {m: {"median": statistics.median(r[m] for r in mine), "min": min(r[m] for r in mine),
                            "max": max(r[m] for r in mine)} for m in METRICS} if mine else {}
    if out["single"] and out["ray"]:
        out["ratio_ray_over_single"] = {m: round(out["ray"][m]["median"] / out["single"][m]["median"], 2)
                                        for m in METRICS}
    return out


def table(summary: dict[str, Any]) -> str:
    """Markdown: one row per metric, median [min-max] per variant, ratio ray/single of the medians."""
    lines = ["| metric | single | ray | ray / single |", "|---|---|---|---|"]
    ratios = summary.get("ratio_ray_over_single", {})
    for m in METRICS:
        cells = [f"{v[m]['median']} [{v[m]['min']}-{v[m]['max']}]" if (v := summary[k]) else "-"
                 for k in ("single", "ray")]
        lines.append(f"| {m} | {cells[0]} | {cells[1]} | {ratios.get(m, '-')} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="personagen run vs personagen run --ray on the stub server.")
    p.add_argument("--n", type=int, default=200, help="personas per run")
    p.add_argument("--latency", type=float, default=0.05, help="stub latency per call, seconds")
    p.add_argument("--concurrency", type=int, default=64, help="persona threads per process")
    p.add_argument("--shards", type=int, default=2, help="shards (Ray workers) of the --ray variant")
    p.add_argument("--repeat", type=int, default=3, help="interleaved rounds")
    p.add_argument("--timeout", type=float, default=600.0)
    p.add_argument("--json-out", default=None)
    args = p.parse_args(argv)
    become_subreaper()
    rows = []
    with start_stub(latency=args.latency, backlog=4096) as (stub, url), tempfile.TemporaryDirectory() as runs:
        keep = {stub.pid}
        base = [PERSONAGEN, "run", "--base-url", url, "--model", "stub", "-n", str(args.n), "-e", "joy,anger",
                "-k", "1", "--concurrency", str(args.concurrency), "-q", "--json", "--runs-dir", runs]
        variants = {"single": base, "ray": [*base, "--ray", "--ray-shards", str(args.shards)]}
        for rnd in range(args.repeat):
            order = ["single", "ray"] if rnd % 2 == 0 else ["ray", "single"]
            for name in order:
                row = measure(name, variants[name], url, keep, args.timeout)
                rows.append({"round": rnd + 1, **row})
                print(json.dumps(rows[-1]), flush=True)
    result = {"settings": vars(args), "load_avg": os.getloadavg(), "cores": os.cpu_count(), "rows": rows,
              "summary": summarise(rows)}
    print(table(result["summary"]))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
