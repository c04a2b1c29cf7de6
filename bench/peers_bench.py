#!/usr/bin/env python3
"""PersonaGen vs its peers on one stub model server: model calls/s, client CPU per call, RSS; interleaved, repeated.

    .venv/bin/python bench/peers_bench.py --n 256 --concurrency 64 --latency 0.1 --repeat 3 \
        --dd-venv /tmp/peers/venv-dd --distilabel-venv /tmp/peers/venv-distilabel --json-out /tmp/peers.json

One stub (bench/stub_server.py) per stub mode (`--modes keep-alive,no-keep-alive`: connections kept alive, or
closed after every answer); `--repeat` rounds, each running every target once against each stub, the targets'
order rotating per round, so that a busy spell on a shared machine hits every tool alike. Targets (`--only`,
default all but `ideal_asyncio`): `reference` (bench/reference_asyncio.py: asyncio + openai with openai's own
default client) and `reference_aiohttp` (the same on PersonaGen's aiohttp transport), both on --asyncio-venv
(default: this interpreter); `ideal_asyncio` (the peers folder's script, with a classic `httpx.AsyncClient`: slow on
keep-alive, docs/benchmarks.md); `data_designer` and `distilabel` (the peers folder's scripts on --dd-venv and
--distilabel-venv; a missing venv is a skipped row); `personagen` (the --personagen-cmd template, with
{personagen} {base_url} {n} {concurrency} {model} {python}). Each run is measured from outside: model calls
(GET /v1/stats delta), wall time, CPU and peak RSS of the child and its reaped children (wait4), the stub's CPU per
call; a tool reporting its generation phase on its last stdout line (`wall_s`, `cpu_gen_s`, `records_ok`) has
calls/s and CPU per call taken over that phase. Prints the machine (CPU, cores, load, checkout, versions), one
table per stub mode (median [min-max] over the rounds; `vs ref`: calls/s over the reference's in the same round)
and one JSON document (every run and the summary).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import bench_report  # noqa: E402
from bench.stub_process import fetch_stats, start_stub  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PERSONAGEN = ("{personagen} run --base-url {base_url} --model {model} --personas {n} "
                      "--concurrency {concurrency} -k 1 -e joy,anger -q --json")
REFERENCES = ("reference", "reference_aiohttp")  # one client, two transports: each round's best is the denominator
ALL_TARGETS = ("reference", "reference_aiohttp", "ideal_asyncio", "data_designer", "distilabel", "personagen")
DEFAULT_TARGETS = "reference,reference_aiohttp,data_designer,distilabel,personagen"
MODES: dict[str, dict[str, Any]] = {"keep-alive": {}, "no-keep-alive": {"no_keep_alive": True}}


@dataclass
class Target:
    """One program to benchmark: a name, an argv (None when unavailable), why it was skipped, extra environment."""

    name: str
    argv: list[str] | None
    note: str = ""
    env: dict[str, str] = field(default_factory=dict)


def venv_python(venv: str | None) -> Path | None:
    """The interpreter of a venv, or None when there is none."""
    python = Path(venv or "") / "bin" / "python"
    return python if venv and python.exists() else None


def script_target(name: str, script: Path, python: Path | None, args: argparse.Namespace, base_url: str,
                  *extra: str, missing: str = "") -> Target:
    """argv for a peer-style script (`--base-url --n --concurrency`) on an interpreter, or a skipped Target."""
    if python is None:
        return Target(name, None, f"skipped: no venv ({missing or 'not given'}); see docs/benchmarks.md")
    if not script.exists():
        return Target(name, None, f"skipped: {script} not found")
    argv = [str(python), str(script), "--base-url", base_url, "--n", str(args.n),
            "--concurrency", str(args.concurrency), *extra]
    return Target(name, argv, env={"PEERS_DIR": str(args.peers_dir)})


def personagen_target(args: argparse.Namespace, base_url: str) -> Target:
    """argv for PersonaGen from the --personagen-cmd template."""
    exe = shutil.which("personagen") or str(ROOT / ".venv" / "bin" / "personagen")
    if args.personagen_cmd == DEFAULT_PERSONAGEN and not Path(exe).exists():
        return Target("personagen", None, "skipped: no `personagen` executable yet (pass --personagen-cmd)")
    cmd = args.personagen_cmd.format(personagen=exe, base_url=base_url, n=args.n, concurrency=args.concurrency,
                                     model="stub", python=sys.executable)
    return Target("personagen", shlex.split(cmd))


def asyncio_python(args: argparse.Namespace) -> Path | None:
    return venv_python(args.asyncio_venv) if args.asyncio_venv else Path(sys.executable)


def targets(args: argparse.Namespace, base_url: str) -> list[Target]:
    """Every target requested by --only, in the order given there."""
    peers, ref = Path(args.peers_dir), ROOT / "bench" / "reference_asyncio.py"
    found: dict[str, Callable[[], Target]] = {
        "reference": lambda: script_target("reference", ref, asyncio_python(args), args, base_url,
                                           missing=args.asyncio_venv),
        "reference_aiohttp": lambda: script_target("reference_aiohttp", ref, asyncio_python(args), args, base_url,
                                                   "--client", "aiohttp", missing=args.asyncio_venv),
        "ideal_asyncio": lambda: script_target("ideal_asyncio", peers / "ideal_asyncio.py", asyncio_python(args),
                                               args, base_url, missing=args.asyncio_venv),
        "data_designer": lambda: script_target("data_designer", peers / "datadesigner_chain.py",
                                               venv_python(args.dd_venv), args, base_url, missing=args.dd_venv),
        "distilabel": lambda: script_target("distilabel", peers / "distilabel_chain.py",
                                            venv_python(args.distilabel_venv), args, base_url,
                                            missing=args.distilabel_venv),
        "personagen": lambda: personagen_target(args, base_url),
    }
    return [found[w]() for w in wanted(args.only)]


def wanted(only: str) -> list[str]:
    names = [w.strip() for w in (only or DEFAULT_TARGETS).split(",") if w.strip()]
    unknown = [w for w in names if w not in ALL_TARGETS]
    if unknown:
        raise SystemExit(f"--only: unknown target(s) {', '.join(unknown)} (known: {', '.join(ALL_TARGETS)})")
    return names


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
        proc = subprocess.Popen(target.argv, cwd=workdir, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                env={**os.environ, **target.env})
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
    """Rates per call and per record from the raw measurements (self-reported phase figures preferred). A run
    folder (`run` in the reported line) holding curation.json adds its curation to the phase: the whole job is
    generation, then curation (`curation_s`: its wall time after the last model call)."""
    rep, calls = row["reported"], row["calls"] or 0
    wall = rep.get("wall_s") or row["process_wall_s"]
    cpu_gen = rep.get("cpu_gen_s")
    curation = curation_phase(rep)
    if curation is not None and cpu_gen is not None and rep.get("wall_s"):
        row["curation_s"], row["curation_cpu_s"] = curation
        wall, cpu_gen = wall + curation[0], cpu_gen + curation[1]
    records = rep.get("records_ok", rep.get("records"))
    row["records"] = records
    row["records_per_s"] = rep.get("records_per_s") or (round(records / wall, 2) if records else None)
    row["calls_per_s"] = round(calls / wall, 1) if wall else None
    row["cpu_ms_per_call"] = (
        round(1000 * (cpu_gen if cpu_gen is not None else row["cpu_total_s"]) / calls, 2) if calls else None
    )
    row["cpu_total_ms_per_call"] = round(1000 * row["cpu_total_s"] / calls, 2) if calls else None
    row["stub_cpu_ms_per_call"] = round(1000 * row["stub_cpu_s"] / calls, 3) if calls else None
    return row


def curation_phase(reported: dict[str, Any]) -> tuple[float, float] | None:
    """(wall s, CPU s) of the curation recorded in the reported run folder's curation.json, if there is one."""
    folder = reported.get("run")
    path = Path(folder) / "curation.json" if isinstance(folder, str) else None
    if path is None or not path.is_file():
        return None
    try:
        timings = json.loads(path.read_text(encoding="utf-8")).get("timings_s") or {}
    except (OSError, ValueError):
        return None
    if "total" not in timings or "cpu" not in timings:
        return None
    return float(timings["total"]), float(timings["cpu"])


@contextlib.contextmanager
def start_stubs(modes: list[str], latency: float, backlog: int) -> Iterator[dict[str, str]]:
    """One stub per mode, all running at once; yields {mode: base_url}."""
    with contextlib.ExitStack() as stack:
        urls = {}
        for mode in modes:
            _, urls[mode] = stack.enter_context(start_stub(latency=latency, backlog=backlog, **MODES[mode]))
        yield urls


def run_rounds(make_targets: Callable[[str], list[Target]], urls: dict[str, str], repeat: int, workdir: str,
               timeout: float, log: Callable[[str], None] = lambda line: None) -> list[dict[str, Any]]:
    """`repeat` rounds; in each, every target once per stub mode, the targets' order rotated by one per round."""
    rows: list[dict[str, Any]] = []
    Path(workdir).mkdir(parents=True, exist_ok=True)
    for rnd in range(repeat):
        for mode, url in urls.items():
            found = make_targets(url)
            shift = rnd % max(1, len(found))
            for target in found[shift:] + found[:shift]:
                log(f"round {rnd + 1}/{repeat} {mode}: {target.name} ...")
                row = {**run_target(target, url, workdir, timeout), "round": rnd + 1, "mode": mode}
                row.pop("reported", None)
                rows.append(row)
                if row["status"] != "skipped":
                    log(f"    {row['status']}, {row.get('calls')} calls, {row.get('calls_per_s')} calls/s, "
                        f"{row.get('cpu_ms_per_call')} ms CPU/call")
    return bench_report.with_ratios(rows, REFERENCES)


def interpreters(args: argparse.Namespace) -> dict[str, str]:
    """The interpreters whose versions the report names."""
    found = {"personagen": str(ROOT / ".venv" / "bin" / "python"), "harness": sys.executable}
    for name, python in (("reference", asyncio_python(args)), ("data_designer", venv_python(args.dd_venv)),
                         ("distilabel", venv_python(args.distilabel_venv))):
        if python is not None:
            found[name] = str(python)
    return {k: v for k, v in found.items() if Path(v).exists()}


def parse_modes(text: str) -> list[str]:
    modes = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        raise SystemExit(f"--modes: use keep-alive and/or no-keep-alive, not {text!r}")
    return modes


def add_common(p: argparse.ArgumentParser) -> None:
    """Flags shared with bench/bench_throughput.py."""
    p.add_argument("--n", type=int, default=256, help="records (peers) / personas (PersonaGen)")
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--latency", type=float, default=0.1, help="stub latency per call, seconds")
    p.add_argument("--backlog", type=int, default=4096)
    p.add_argument("--modes", default="keep-alive,no-keep-alive", help="stub modes: keep-alive,no-keep-alive")
    p.add_argument("--no-keep-alive", action="store_true", help="same as --modes no-keep-alive")
    p.add_argument("--repeat", type=int, default=3, help="interleaved rounds")
    p.add_argument("--peers-dir", default="/work/shared/bench/peers")
    p.add_argument("--distilabel-venv", default=os.environ.get("DISTILABEL_VENV", "/tmp/peers/venv-distilabel"))
    p.add_argument("--dd-venv", default=os.environ.get("DD_VENV", "/tmp/peers/venv-dd"))
    p.add_argument("--asyncio-venv", default=os.environ.get("ASYNCIO_VENV"),
                   help="venv with `openai` for the references (default: this interpreter)")
    p.add_argument("--workdir", default=None, help="scratch folder for the tools' caches (default: a temp dir)")
    p.add_argument("--timeout", type=float, default=900, help="per-run limit, seconds")
    p.add_argument("--json-out", default=None, help="also write the JSON document here")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Compare PersonaGen with its peers on one stub model server.")
    add_common(p)
    p.add_argument("--personagen-cmd", default=DEFAULT_PERSONAGEN,
                   help="template: {personagen} {base_url} {n} {concurrency} {model} {python}")
    p.add_argument("--only", default="", help=f"comma list of {','.join(ALL_TARGETS)} (default: {DEFAULT_TARGETS})")
    args = p.parse_args(argv)
    args.modes = parse_modes("no-keep-alive" if args.no_keep_alive else args.modes)
    return args


def settings_of(args: argparse.Namespace, *extra: str) -> dict[str, Any]:
    keys = ("n", "concurrency", "latency", "backlog", "modes", "repeat", *extra)
    return {"argv": sys.argv, **{k: getattr(args, k) for k in keys}}


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; prints the machine, the tables, then the JSON document."""
    args = parse_args(argv)
    machine = bench_report.machine_info(interpreters(args), str(ROOT))
    with (
        tempfile.TemporaryDirectory(prefix="peers-bench-") as tmp,
        start_stubs(args.modes, args.latency, args.backlog) as urls,
    ):
        rows = run_rounds(lambda url: targets(args, url), urls, args.repeat, args.workdir or tmp, args.timeout,
                          log=lambda line: print(line, file=sys.stderr, flush=True))
    return report(rows, settings_of(args, "only"), machine, args.json_out)


def report(rows: list[dict[str, Any]], settings: dict[str, Any], machine: dict[str, Any],
           json_out: str | None) -> int:
    """Print the machine line, the tables and the JSON document (also to `json_out`); 1 if any run failed."""
    machine = {**machine, "load_avg_end": [round(x, 2) for x in os.getloadavg()]}
    if machine.get("checkout"):  # others edit the tree while a long run goes on
        machine["checkout_end"] = bench_report.checkout(str(ROOT))
    summary = bench_report.summarise(rows)
    print(bench_report.machine_line(machine))
    print(bench_report.table(summary))
    doc = json.dumps({"settings": settings, "machine": machine, "summary": summary, "results": rows}, indent=1)
    print(doc)
    if json_out:
        Path(json_out).write_text(doc + "\n")
    return 0 if all(r["status"] in ("ok", "skipped") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
