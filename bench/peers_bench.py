#!/usr/bin/env python3
"""PersonaGen vs its peers on one stub model server: records/s, model calls/s, client CPU per call, RSS.

    python bench/peers_bench.py --n 256 --concurrency 64 --latency 0.1 \
        --distilabel-venv /tmp/peers/venv-distilabel --dd-venv /tmp/peers/venv-dd

Starts bench/stub_server.py once, then runs each target one after another against it: the asyncio+openai
reference, NeMo Data Designer and distilabel (the scripts in --peers-dir, each in its own venv; a missing venv
is skipped with a note) and PersonaGen itself through --personagen-cmd. Per target it measures, from outside:
model calls (GET /v1/stats delta), wall time, CPU and peak RSS of the child and its reaped children (wait4),
and the stub's own CPU per call (to show the stub is not the bottleneck). Peers also report their generation
phase (records/s, cpu_gen_s) on their last stdout line; that figure is preferred where present.

PersonaGen hook: --personagen-cmd is a template with {base_url} {n} {concurrency} {model} {python}. If its
last stdout line is a JSON object, `records_ok` (or `records`), `wall_s` and `cpu_gen_s` are taken from it;
otherwise records = n and wall time is the whole process. Prints a table and one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.stub_process import fetch_stats, start_stub  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PERSONAGEN = "{personagen} run --base-url {base_url} --personas {n} --concurrency {concurrency}"
REFERENCE = "ideal_asyncio"


@dataclass
class Target:
    """One program to benchmark: a name, an argv (None when unavailable) and why it was skipped."""

    name: str
    argv: list[str] | None
    note: str = ""


def peer_target(name: str, script: str, venv: str | None, args: argparse.Namespace, base_url: str) -> Target:
    """argv for a peer script in its venv, or a skipped Target saying what is missing."""
    path = Path(args.peers_dir) / script
    python = Path(venv or "") / "bin" / "python"
    if not venv or not python.exists():
        return Target(name, None, f"skipped: no venv ({venv or 'not given'}); see docs/benchmarks.md")
    if not path.exists():
        return Target(name, None, f"skipped: {path} not found")
    argv = [
        str(python),
        str(path),
        "--base-url",
        base_url,
        "--n",
        str(args.n),
        "--concurrency",
        str(args.concurrency),
    ]
    return Target(name, argv)


def personagen_target(args: argparse.Namespace, base_url: str) -> Target:
    """argv for PersonaGen from the --personagen-cmd template."""
    exe = shutil.which("personagen") or str(ROOT / ".venv" / "bin" / "personagen")
    if args.personagen_cmd == DEFAULT_PERSONAGEN and not Path(exe).exists():
        return Target("personagen", None, "skipped: no `personagen` executable yet (pass --personagen-cmd)")
    cmd = args.personagen_cmd.format(
        personagen=exe,
        base_url=base_url,
        n=args.n,
        concurrency=args.concurrency,
        model="stub",
        python=sys.executable,
    )
    return Target("personagen", shlex.split(cmd))


def targets(args: argparse.Namespace, base_url: str) -> list[Target]:
    """Every target requested by --only, in a fixed order."""
    asyncio_venv = args.asyncio_venv or args.distilabel_venv
    found = {
        REFERENCE: lambda: peer_target(REFERENCE, "ideal_asyncio.py", asyncio_venv, args, base_url),
        "data_designer": lambda: peer_target(
            "data_designer", "datadesigner_chain.py", args.dd_venv, args, base_url
        ),
        "distilabel": lambda: peer_target(
            "distilabel", "distilabel_chain.py", args.distilabel_venv, args, base_url
        ),
        "personagen": lambda: personagen_target(args, base_url),
    }
    wanted = [w.strip() for w in args.only.split(",")] if args.only else list(found)
    return [found[w]() for w in wanted if w in found]


def last_json_line(text: str) -> dict[str, Any]:
    """The last stdout line that parses as a JSON object ({} if none)."""
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return {}


def run_target(target: Target, base_url: str, workdir: str, timeout: float) -> dict[str, Any]:
    """Run one target as a child process and measure it from outside."""
    row: dict[str, Any] = {"tool": target.name, "status": "skipped", "note": target.note}
    if target.argv is None:
        return row
    before = fetch_stats(base_url)
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(target.argv, cwd=workdir, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        status, usage = _wait(proc, timeout)
        wall = time.perf_counter() - t0
        out.seek(0), err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    after = fetch_stats(base_url)
    row.update(
        status="ok" if status == 0 else f"failed (exit {status})",
        process_wall_s=round(wall, 3),
        cpu_total_s=round(usage.ru_utime + usage.ru_stime, 3),
        peak_rss_mb=round(usage.ru_maxrss / 1024, 1),
        calls=after["requests"] - before["requests"],
        stub_cpu_s=round(after["cpu_s"] - before["cpu_s"], 3),
    )
    if status != 0:
        row["note"] = stderr.strip().splitlines()[-1][:200] if stderr.strip() else "no stderr"
    row["reported"] = last_json_line(stdout)
    return derive(row)


def _wait(proc: subprocess.Popen, timeout: float) -> tuple[int, Any]:
    """wait4 the child (its rusage includes its reaped children), killing it after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage
        if time.monotonic() > deadline:
            proc.kill()
        time.sleep(0.05)


def derive(row: dict[str, Any]) -> dict[str, Any]:
    """Rates per call and per record from the raw measurements (self-reported phase figures preferred)."""
    rep, calls = row["reported"], row["calls"] or 0
    wall = rep.get("wall_s") or row["process_wall_s"]
    records = rep.get("records_ok", rep.get("records"))
    row["records"] = records
    row["records_per_s"] = rep.get("records_per_s") or (round(records / wall, 2) if records else None)
    row["calls_per_s"] = round(calls / wall, 1) if wall else None
    cpu_gen = rep.get("cpu_gen_s")
    row["cpu_ms_per_call"] = (
        round(1000 * (cpu_gen if cpu_gen is not None else row["cpu_total_s"]) / calls, 2) if calls else None
    )
    row["cpu_total_ms_per_call"] = round(1000 * row["cpu_total_s"] / calls, 2) if calls else None
    row["stub_cpu_ms_per_call"] = round(1000 * row["stub_cpu_s"] / calls, 3) if calls else None
    return row


COLUMNS = [
    ("tool", "tool", 14),
    ("records/s", "records_per_s", 9),
    ("calls", "calls", 6),
    ("calls/s", "calls_per_s", 8),
    ("vs ref", "vs_ref", 6),
    ("CPU ms/call", "cpu_ms_per_call", 11),
    ("(incl. start)", "cpu_total_ms_per_call", 13),
    ("peak RSS MB", "peak_rss_mb", 11),
    ("stub ms/call", "stub_cpu_ms_per_call", 12),
    ("status", "status", 8),
]


def table(rows: list[dict[str, Any]]) -> str:
    """A plain-text comparison table; `vs ref` is calls/s relative to the asyncio reference."""
    ref = next((r.get("calls_per_s") for r in rows if r["tool"] == REFERENCE and r.get("calls_per_s")), None)
    lines = ["  ".join(h.ljust(w) for h, _, w in COLUMNS)]
    for r in rows:
        r["vs_ref"] = round(r["calls_per_s"] / ref, 2) if ref and r.get("calls_per_s") else None
        cells = ["-" if r.get(k) is None else str(r[k]) for _, k, _ in COLUMNS]
        lines.append("  ".join(c.ljust(w) for c, (_, _, w) in zip(cells, COLUMNS, strict=True)))
        if r.get("note"):
            lines.append(f"    {r['tool']}: {r['note']}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Compare PersonaGen with its peers on one stub model server.")
    p.add_argument("--n", type=int, default=256, help="records (peers) / personas (PersonaGen)")
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--latency", type=float, default=0.1, help="stub latency per call, seconds")
    p.add_argument("--backlog", type=int, default=2048)
    p.add_argument("--no-keep-alive", action="store_true", help="stub closes connections after each answer")
    p.add_argument("--peers-dir", default="/work/shared/bench/peers")
    p.add_argument("--distilabel-venv", default="/tmp/peers/venv-distilabel")
    p.add_argument("--dd-venv", default="/tmp/peers/venv-dd")
    p.add_argument("--asyncio-venv", default=None, help="venv with `openai` (default: the distilabel venv)")
    p.add_argument(
        "--personagen-cmd", default=DEFAULT_PERSONAGEN, help="template: {base_url} {n} {concurrency}"
    )
    p.add_argument(
        "--only", default="", help="comma list of ideal_asyncio,data_designer,distilabel,personagen"
    )
    p.add_argument(
        "--workdir", default=None, help="scratch folder for the tools' caches (default: a temp dir)"
    )
    p.add_argument("--timeout", type=float, default=900, help="per-target limit, seconds")
    p.add_argument("--json-out", default=None, help="also write the JSON document here")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; prints the table, then the JSON document."""
    args = parse_args(argv)
    settings = {k: getattr(args, k) for k in ("n", "concurrency", "latency", "backlog", "no_keep_alive")}
    with (
        tempfile.TemporaryDirectory(prefix="peers-bench-") as tmp,
        start_stub(latency=args.latency, backlog=args.backlog, no_keep_alive=args.no_keep_alive) as (_, url),
    ):
        workdir = args.workdir or tmp
        rows = []
        for target in targets(args, url):
            print(f"running {target.name} ...", file=sys.stderr, flush=True)
            rows.append(run_target(target, url, workdir, args.timeout))
    return report(rows, settings, args.json_out)


def report(rows: list[dict[str, Any]], settings: dict[str, Any], json_out: str | None) -> int:
    """Print the table and the JSON document (also to `json_out`); exit code 1 if any target failed."""
    print(table(rows))
    doc = json.dumps({"settings": settings, "cpus": os.cpu_count(), "results": rows}, indent=1)
    print(doc)
    if json_out:
        Path(json_out).write_text(doc + "\n")
    return 0 if all(r["status"] in ("ok", "skipped") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
