"""Reporting of interleaved benchmark rounds: medians and spread per (tool, stub mode), and the machine they ran on.

Input: the rows of bench/peers_bench.py's `run_rounds` (one per tool, stub mode and round, each with `calls_per_s`,
`cpu_ms_per_call`, ...). Output: `summarise(rows)`, one entry per (mode, tool) with the median and the min-max of
every figure, and `vs_ref`, the tool's calls/s over the reference's in the *same* round and mode (a shared, noisy
machine moves all tools of a round together, so only ratios within a round are compared); `table(summary)`, the
plain-text tables; `machine_info(pythons)`, CPU model, cores, load and the package versions of each interpreter.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
from typing import Any

FIGURES = ("calls", "calls_per_s", "vs_ref", "cpu_ms_per_call", "cpu_vs_ref", "cpu_total_ms_per_call",
           "peak_rss_mb", "stub_cpu_ms_per_call", "records_per_s", "curation_s", "curation_cpu_s")
COLUMNS = [  # header, key, width, format, spread shown
    ("tool", "tool", 20, "{}", False),
    ("calls", "calls", 11, "{:.0f}", True),
    ("calls/s", "calls_per_s", 17, "{:.0f}", True),
    ("vs ref", "vs_ref", 17, "{:.2f}", True),
    ("CPU ms/call", "cpu_ms_per_call", 17, "{:.2f}", True),
    ("CPU x ref", "cpu_vs_ref", 17, "{:.2f}", True),
    ("incl. start", "cpu_total_ms_per_call", 11, "{:.1f}", False),
    ("RSS MB", "peak_rss_mb", 7, "{:.0f}", False),
    ("stub ms/call", "stub_cpu_ms_per_call", 12, "{:.2f}", False),
    ("curate s", "curation_s", 13, "{:.1f}", True),
    ("ok runs", "ok_runs", 7, "{}", False),
    ("ref in", "ref_rounds", 6, "{}", False),
]


def with_ratios(rows: list[dict[str, Any]], reference: str | tuple[str, ...]) -> list[dict[str, Any]]:
    """Adds `vs_ref` (calls/s ratio) and `cpu_vs_ref` (CPU per call ratio) against the reference's row of the same
    round and mode. With several references (one client on different transports), each round's denominator is
    the one that spent the least CPU per call in that round and mode (the reference at its best transport); that
    row gets `ref_best` True, and every row names its denominator in `ref_tool`."""
    names = (reference,) if isinstance(reference, str) else tuple(reference)
    refs: dict[tuple[Any, Any], dict[str, Any]] = {}
    for r in rows:
        if r["tool"] in names and r.get("calls_per_s") and r.get("status", "ok") == "ok":
            key, best = (r.get("round"), r.get("mode")), refs.get((r.get("round"), r.get("mode")))
            if best is None or (r.get("cpu_ms_per_call") or float("inf")) < (best.get("cpu_ms_per_call")
                                                                               or float("inf")):
                refs[key] = r
    for r in rows:
        ref = refs.get((r.get("round"), r.get("mode")))
        ok = ref is not None and r.get("calls_per_s")
        r["ref_tool"] = ref["tool"] if ref is not None else None
        r["ref_best"] = ref is r
        r["vs_ref"] = round(r["calls_per_s"] / ref["calls_per_s"], 2) if ok else None
        ok_cpu = ok and r.get("cpu_ms_per_call") and ref.get("cpu_ms_per_call")
        r["cpu_vs_ref"] = round(r["cpu_ms_per_call"] / ref["cpu_ms_per_call"], 2) if ok_cpu else None
    return rows


def spread(values: list[float]) -> dict[str, float] | None:
    """Median, min and max of the values (None when there are none)."""
    if not values:
        return None
    return {"median": round(statistics.median(values), 3), "min": min(values), "max": max(values)}


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (mode, tool), in first-seen order: median and min-max of each figure over its ok runs."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r.get("mode") or "", r["tool"]), []).append(r)
    out = []
    for (mode, tool), runs in groups.items():
        ok = [r for r in runs if r["status"] == "ok"]
        entry: dict[str, Any] = {"mode": mode, "tool": tool, "runs": len(runs), "ok_runs": len(ok),
                                 "ref_rounds": sum(1 for r in ok if r.get("ref_best")) or None}
        for key in FIGURES:
            entry[key] = spread([r[key] for r in ok if r.get(key) is not None])
        notes = sorted({r["note"] for r in runs if r.get("note")})
        if notes:
            entry["notes"] = notes
        out.append(entry)
    return out


def cell(value: Any, form: str, with_spread: bool) -> str:
    """A figure as `median [min-max]` (or the median alone when the runs agree or no spread is wanted)."""
    if value is None:
        return "-"
    if not isinstance(value, dict):
        return form.format(value)
    median = form.format(value["median"])
    low, high = form.format(value["min"]), form.format(value["max"])
    return median if not with_spread or low == high else f"{median} [{low}-{high}]"


def table(summary: list[dict[str, Any]]) -> str:
    """Plain-text tables, one per stub mode: median [min-max] over the rounds."""
    lines: list[str] = []
    for mode in dict.fromkeys(e["mode"] for e in summary):
        lines += ["", f"stub {mode or '(default)'}: median [min-max] over the rounds; vs ref, CPU x ref: against the "
                  "reference with the least CPU per call in the same round (ref in: the rounds it was that one)",
                  "  ".join(h.ljust(w) for h, _, w, _, _ in COLUMNS)]
        for e in (e for e in summary if e["mode"] == mode):
            cells = [cell(e.get(k), form, s) for _, k, _, form, s in COLUMNS]
            lines.append("  ".join(c.ljust(w) for c, (_, _, w, _, _) in zip(cells, COLUMNS, strict=True)))
            for note in e.get("notes", []):
                lines.append(f"    {e['tool']}: {note}")
    return "\n".join(lines).lstrip("\n")


VERSION_SCRIPT = """
import json, sys, importlib.metadata as md
out = {"python": sys.version.split()[0]}
for name in sys.argv[1:]:
    try:
        out[name] = md.version(name)
    except md.PackageNotFoundError:
        pass
print(json.dumps(out))
"""
PACKAGES = ("personagen", "openai", "langchain-openai", "langchain-core", "langgraph", "httpx", "httpx2", "httpcore",
            "aiohttp", "pydantic", "data-designer", "distilabel")


def versions(python: str, packages: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Python and package versions of an interpreter (packages it lacks are left out)."""
    try:
        argv = [os.path.abspath(python), "-c", VERSION_SCRIPT, *packages]
        # cwd: not the checkout, whose egg-info would make every venv "have" personagen
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd="/")
        return json.loads(done.stdout)
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def checkout(repo: str) -> dict[str, Any]:
    """The commit of the checkout being measured and how many files differ from it (others edit concurrently)."""
    def git(*argv: str) -> str:
        try:
            return subprocess.run(["git", "-C", repo, *argv], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            return ""

    return {"commit": git("rev-parse", "--short", "HEAD").strip() or None,
            "changed_files": len(git("status", "--porcelain").splitlines())}


def machine_info(pythons: dict[str, str], repo: str | None = None) -> dict[str, Any]:
    """CPU model, cores, kernel, load average, the checkout's commit and, per named interpreter, its Python and
    package versions."""
    info = {"cpu": cpu_model(), "cores": os.cpu_count(), "kernel": platform.release(),
            "load_avg": [round(x, 2) for x in os.getloadavg()]}
    if repo:
        info["checkout"] = checkout(repo)
    return {**info, "interpreters": {name: {"path": path, **versions(path)} for name, path in pythons.items()}}


def machine_line(machine: dict[str, Any]) -> str:
    """One line: CPU, cores, load, then each interpreter's versions."""
    parts = [f"{machine['cpu']}, {machine['cores']} cores, Linux {machine['kernel']}, "
             f"load {' '.join(map(str, machine['load_avg']))} at start"]
    if machine.get("checkout"):
        co = machine["checkout"]
        parts.append(f"checkout {co['commit']} with {co['changed_files']} changed files")
    for name, info in machine["interpreters"].items():
        pkgs = ", ".join(f"{k} {v}" for k, v in info.items() if k not in ("path", "python"))
        parts.append(f"{name}: Python {info.get('python', '?')}" + (f", {pkgs}" if pkgs else ""))
    return "; ".join(parts)
