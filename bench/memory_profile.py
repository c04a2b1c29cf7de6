"""Memory of one PersonaGen run over its life: where the RSS goes as personas finish (docs/benchmarks.md, "peak
memory from 1,000 to 10,000 personas").

Runs `personagen run -n N --concurrency 64` in this process against the repo's stub (latency 0; early stop off, as
the bench's memory runs) and samples, every second, the finished personas (lines of personas.jsonl) and:
RssAnon / RssFile (/proc/self/status), glibc's heap by `mallinfo2` (in use, free inside the heap, mmapped blocks;
https://man7.org/linux/man-pages/man3/mallinfo.3.html) and Python's allocated blocks. At the end it prints those
at a few persona counts and the growth per persona between two of them (`--window`): free heap that grows while
the in-use part stays flat is fragmentation, not data kept.

    .venv/bin/python bench/memory_profile.py -n 1500 -- -e default -k 2
    .venv/bin/python bench/memory_profile.py -n 1500 --json-out /tmp/memory.json -- -e default -k 2 --no-curate

Linux with glibc only (mallinfo2: glibc >= 2.33).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stub_process import start_stub  # noqa: E402
from personagen.heap import heap_info  # noqa: E402


def sample(personas: int) -> dict[str, float]:
    info = heap_info()
    assert info is not None  # main() checked
    status = {k: int(v.split()[0]) / 1000 for k, _, v in (line.partition(":") for line in open("/proc/self/status"))
              if k in ("RssAnon", "RssFile", "VmHWM")}
    return {"t": time.time(), "personas": personas, **status, "heap_in_use": info.uordblks / 1e6,
            "heap_free": info.fordblks / 1e6, "heap": info.arena / 1e6, "mmapped": info.hblkhd / 1e6,
            "python_blocks": sys.getallocatedblocks()}


def finished(runs: Path) -> int:
    try:
        newest = max(runs.iterdir(), key=lambda p: p.stat().st_mtime)
        with open(newest / "personas.jsonl", "rb") as lines:
            return sum(1 for _ in lines)
    except (ValueError, FileNotFoundError):
        return 0


def profile(n: int, flags: list[str]) -> tuple[list[dict[str, float]], int]:
    folder = Path(tempfile.mkdtemp(prefix="memory-profile-"))
    runs, config = folder / "runs", folder / "config.toml"
    config.write_text("[limits]\nearly_stop_personas = 0\n")
    samples: list[dict[str, float]] = []
    done = threading.Event()

    def watch() -> None:
        while not done.wait(1.0):
            samples.append(sample(finished(runs)))

    from personagen.cli import main

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    code = 0
    with start_stub(latency=0.0, backlog=4096) as (_, url):
        sys.argv = ["personagen", "run", "--base-url", url, "--model", "stub", "-n", str(n), "--concurrency", "64",
                    "-q", "--json", "--runs-dir", str(runs), "--config", str(config), *flags]
        try:
            main()
        except SystemExit as stop:
            code = int(stop.code or 0)
    done.set()
    watcher.join()
    samples.append(sample(finished(runs)))
    return samples, code


def first_at(samples: list[dict[str, float]], personas: int) -> dict[str, float] | None:
    return next((s for s in samples if s["personas"] >= personas), None)


def report(samples: list[dict[str, float]], window: tuple[int, int]) -> None:
    keys = ("RssAnon", "RssFile", "heap_in_use", "heap_free", "heap", "mmapped", "python_blocks")
    print("personas  " + "  ".join(f"{k:>13}" for k in keys), file=sys.stderr)
    for personas in sorted({100, 300, *window, samples[-1]["personas"]}):
        s = first_at(samples, personas)
        if s:
            print(f"{int(s['personas']):8d}  " + "  ".join(f"{s[k]:13.1f}" for k in keys), file=sys.stderr)
    a, b = first_at(samples, window[0]), first_at(samples, window[1])
    if a and b and b["personas"] > a["personas"]:
        per = {k: round((b[k] - a[k]) * 1000 / (b["personas"] - a["personas"]), 2) for k in keys[:-1]}
        print(f"KB a persona from {int(a['personas'])} to {int(b['personas'])}: {per}", file=sys.stderr)
    print(f"peak RSS (VmHWM) {samples[-1]['VmHWM']:.1f} MB", file=sys.stderr)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=1500, help="personas")
    p.add_argument("--window", type=int, nargs=2, default=(600, 1400), metavar=("FROM", "TO"),
                   help="personas between which the growth per persona is given")
    p.add_argument("--json-out", type=Path, help="write every sample here")
    p.add_argument("flags", nargs="*", help="after --: flags for `personagen run` (e.g. -e default -k 2)")
    args = p.parse_args()
    if not sys.platform.startswith("linux") or heap_info() is None:
        p.error("this profile reads /proc and glibc's mallinfo2 (glibc >= 2.33): Linux with glibc only")
    samples, code = profile(args.n, args.flags)
    if args.json_out:
        args.json_out.write_text(json.dumps(samples) + "\n")
    report(samples, tuple(args.window))
    sys.exit(code)


if __name__ == "__main__":
    main()
