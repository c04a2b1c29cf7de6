"""bench/memory_profile.py on a real (short) run against the repo's stub: it samples the run's memory and prints the
table and the peak, with the run's exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and glibc's mallinfo2")
def test_a_short_run_is_sampled(tmp_path: Path) -> None:
    out = tmp_path / "samples.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "memory_profile.py"), "-n", "4", "--json-out", str(out), "--",
         "-e", "joy", "-k", "1", "--no-critic", "offline_emotion", "--no-critic", "offline_strength", "--no-curate"],
        capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr
    samples = json.loads(out.read_text())
    last = samples[-1]
    assert last["personas"] == 4 and last["RssAnon"] > 10 and last["heap_in_use"] > 0
    assert [line.split()[0] for line in done.stderr.splitlines()[1:2]] == ["4"]  # the row at the last count
    assert f"peak RSS (VmHWM) {last['VmHWM']:.1f} MB" in done.stderr
