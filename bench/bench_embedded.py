#!/usr/bin/env python3
"""The embedded model's cost per accepted text, before and after a change, run back to back.

    .venv/bin/python bench/bench_embedded.py --before 668c1f3 [--paths agents personagen/backends] \
        [--args "-n 6 -e joy,anger --seed 5"] [--variants before,after] [--repeat 1] [--json-out FILE]

`after` is the working tree as it is; `before` is a copy of the working tree in which the files under `--paths`
are as at the commit `--before` (files added since are removed), so both sides share everyone else's current
code, critics and settings. Each variant runs `personagen run ARGS -q --json` on the embedded model (one at a time:
they share the cores), then `personagen eval RUN --no-judge --json`. Printed per variant, from the run's summary,
the embedded server's log and the evaluation:
- wall time (the run's own, server start excluded) and wall per accepted text; personas and texts accepted and
  dropped;
- model calls, prompt and completion tokens per accepted text;
- prompt tokens reused from the server's cache (its log: "N prefix-match hit"), as a share of all prompt tokens;
- server time split from the log: prompt evaluation, forward passes while generating, and the rest (sampling,
  which is where a grammar is applied), all summed over requests;
- self-BLEU and distinct-2 of the accepted texts.
`--existing LABEL=RUN_FOLDER=SERVER_LOG` adds a row for a run made earlier with the working tree's code.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
DEFAULT_PATHS = ("agents/prompts", "agents/prompting.py", "agents/examples.py", "agents/drafting.py",
                 "agents/emotion_writer.py", "agents/socio_enricher.py", "agents/scenario_designer.py",
                 "personagen/backends/local_server.py", "personagen/backends/llamacpp.py",
                 "personagen/backends/grammar_sampling.py", "personagen/backends/llamacpp_serve.py")
# Runs `personagen` from another copy of the source tree (the editable install maps the package to this one).
LAUNCH = """
import sys
from importlib.machinery import PathFinder
root = sys.argv.pop(1)
folders = {"personagen": "", "personagen.agents": "", "personagen.graph": "", "personagen.personas": ""}
class TreeFinder:
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        return PathFinder.find_spec(name, [root]) if name in folders else None
sys.meta_path.insert(0, TreeFinder)
sys.argv[0] = "personagen"
from personagen.cli import main
main()
"""
PATTERNS = {"reused": re.compile(r"Llama\.generate: (\d+) prefix-match hit"),
            "prompt": re.compile(r"prompt eval time =\s*([\d.]+) ms /\s*(\d+) tokens"),
            "eval": re.compile(r"\beval time =\s*([\d.]+) ms /\s*(\d+) runs"),
            "total": re.compile(r"total time =\s*([\d.]+) ms /\s*(\d+) tokens")}


def copy_tree(before: str, paths: list[str], dest: Path) -> Path:
    """The working tree's source files (tracked or not, unless ignored), with `paths` as at commit `before`."""
    for name in git("ls-files", "--cached", "--others", "--exclude-standard").split("\n"):
        if name and (ROOT / name).is_file() and not name.startswith(tuple(paths)):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    for name in git("ls-tree", "-r", "--name-only", before, "--", *paths).split() if paths else []:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        (dest / name).write_text(git("show", f"{before}:{name}"), encoding="utf-8")
    return dest


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def personagen(tree: Path | None, *argv: str) -> list[str]:
    """The command that runs `personagen argv` from `tree` (None: the working tree, as installed)."""
    if tree is None:
        return [str(ROOT / ".venv" / "bin" / "personagen"), *argv]
    return [PYTHON, "-c", LAUNCH, str(tree), *argv]


def run_variant(label: str, tree: Path | None, args: list[str], runs: Path) -> dict[str, Any]:
    """One embedded run, then its evaluation; the figures of `figures`."""
    cmd = personagen(tree, "run", *args, "--run-id", label, "--runs-dir", str(runs), "-q", "--json")
    print(f"[{time.strftime('%H:%M:%S')}] {label}: {shlex.join(cmd[-len(args) - 7:])}", file=sys.stderr, flush=True)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    out, _ = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"{label}: personagen run failed ({proc.returncode})")
    summary = json.loads(out)
    outside = time.monotonic() - t0
    return figures(label, runs / label, summary, server_log(proc.pid), tree, outside)


def server_log(pid: int) -> Path | None:
    """The embedded server's log of the run whose process id is `pid` (LocalModelServer's default name)."""
    from personagen.cachedir import cache_subdir

    logs = sorted(cache_subdir("logs").glob(f"llama-server-{pid}-*.log"), key=lambda p: p.stat().st_mtime)
    return logs[-1] if logs else None


def requests_in(log: Path) -> list[dict[str, float]]:
    """Per request in a llama.cpp server log: tokens reused from the cache, then llama.cpp's timings (the
    `total time` line ends a request's block)."""
    rows, current = [], {"reused": 0.0}
    for line in log.read_text(errors="replace").splitlines():
        for key, pattern in PATTERNS.items():
            found = pattern.search(line)
            if found and key == "reused":
                current["reused"] = float(found.group(1))
            elif found:
                current[f"{key}_ms"], current[f"{key}_n"] = float(found.group(1)), float(found.group(2))
        if "total_ms" in current:
            rows.append(current)
            current = {"reused": 0.0}
    return rows


def log_figures(log: Path | None) -> dict[str, Any]:
    """Prompt tokens and reuse, generated tokens and server time, summed over the server's requests."""
    if log is None:
        return {}
    rows = requests_in(log)
    total = {key: sum(r.get(key, 0.0) for r in rows) for key in ("reused", "prompt_ms", "eval_ms", "eval_n",
                                                                  "total_ms", "total_n")}
    prompt_tokens = total["reused"] + total["total_n"] - total["eval_n"]  # reused + evaluated
    return {"requests": len(rows), "prompt_tokens_log": int(prompt_tokens), "reused_tokens": int(total["reused"]),
            "reused_share": round(total["reused"] / max(prompt_tokens, 1), 3), "generated_tokens": int(total["eval_n"]),
            "cache_hits": log.read_text(errors="replace").count("Llama._create_completion: cache hit"),
            "server_s": round(total["total_ms"] / 1000, 1), "prompt_eval_s": round(total["prompt_ms"] / 1000, 1),
            "generate_forward_s": round(total["eval_ms"] / 1000, 1),
            "sampling_s": round((total["total_ms"] - total["prompt_ms"] - total["eval_ms"]) / 1000, 1)}


def evaluation(tree: Path | None, folder: Path) -> dict[str, Any]:
    cmd = personagen(tree, "eval", folder.name, "--runs-dir", str(folder.parent), "--no-judge", "--json",
                     "--out", str(folder / "eval"))
    metrics = json.loads(subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout)
    return {"self_bleu": find(metrics, "self_bleu"), "distinct_2": find(metrics, "distinct_2")}


def find(doc: Any, key: str) -> Any:
    """The first value under `key` anywhere in a nested document (the metrics file's layout may move)."""
    if isinstance(doc, dict):
        if key in doc:
            return doc[key]
        doc = list(doc.values())
    if isinstance(doc, list):
        for item in doc:
            found = find(item, key)
            if found is not None:
                return found
    return None


def figures(label: str, folder: Path, summary: dict[str, Any], log: Path | None, tree: Path | None,
            outside: float | None = None) -> dict[str, Any]:
    texts = summary["texts"]["accepted"]
    wall = summary["wall_s"]
    row = {"variant": label, "personas": summary["personas"]["accepted"], "personas_dropped":
           summary["personas"]["dropped"], "texts": texts, "dropped": summary["texts"]["dropped"], "wall_s": wall,
           "process_s": round(outside, 1) if outside else None,
           "wall_per_text_s": round(wall / texts, 1) if wall and texts else None,
           "calls": summary["calls"],
           **{key: sum(a[key] for a in summary["agents"].values()) for key in ("tokens_in", "tokens_out")}}
    for key in ("calls", "tokens_in", "tokens_out"):
        row[f"{key}_per_text"] = round(row[key] / texts, 1) if texts else None
    return {**row, **log_figures(log), **evaluation(tree, folder)}


def existing(label: str, folder: str, log: str) -> dict[str, Any]:
    run = Path(folder)
    summary = json.loads((run / "summary.json").read_text())
    return figures(label, run, summary, Path(log), None)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", help="commit whose --paths make the `before` variant")
    p.add_argument("--paths", nargs="+", default=list(DEFAULT_PATHS))
    p.add_argument("--args", default="-n 6 -e joy,anger --seed 5", help="the `personagen run` arguments")
    p.add_argument("--variants", default="before,after")
    p.add_argument("--repeat", type=int, default=1, help="rounds of the variants, interleaved")
    p.add_argument("--runs-dir", type=Path, help="keep the runs here (default: a temporary folder)")
    p.add_argument("--existing", action="append", default=[], metavar="LABEL=RUN_FOLDER=SERVER_LOG")
    p.add_argument("--json-out", type=Path)
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-embedded-") as tmp:
        runs = a.runs_dir or Path(tmp) / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        rows = [existing(*spec.split("=")) for spec in a.existing]
        labels = [label for _ in range(a.repeat) for label in a.variants.split(",") if label]
        if "before" in labels and not a.before:
            raise SystemExit("--before COMMIT is needed for the `before` variant")
        tree = copy_tree(a.before, a.paths, Path(tmp) / "before") if "before" in labels else None
        for i, label in enumerate(labels):
            rows.append(run_variant(f"{label}-{i // len(set(labels)) + 1}", tree if label == "before" else None,
                                    shlex.split(a.args), runs))
    for row in rows:
        print(json.dumps(row))
    if a.json_out:
        a.json_out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
