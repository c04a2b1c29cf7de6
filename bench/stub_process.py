"""Run the stub server as a child process: `start_stub(**opts)` for tests and the benchmark harness.

    from bench.stub_server import start_stub
    with start_stub(latency=0.0, error_rate=0.1) as (proc, base_url):
        ChatOpenAI(base_url=base_url, api_key="stub", model="stub")...

Keyword options are the server's CLI flags with underscores (latency, error_rate, rate_limit, burst,
malformed_rate, timeout_rate, hang, backlog, seed, host); switches are booleans (no_keep_alive=True).
The child runs on the current interpreter; the helper waits until GET /v1/models answers and stops the
child (SIGTERM, then SIGKILL) on exit.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SERVER = Path(__file__).resolve().parent / "stub_server.py"


def stub_command(port_file: str, python: str | None = None, **opts: Any) -> list[str]:
    """The argv that starts the stub with these options."""
    cmd = [python or sys.executable, str(SERVER), "--port-file", port_file]
    for key, value in opts.items():
        flag = f"--{key.replace('_', '-')}"
        if value is True:
            cmd.append(flag)  # a switch such as no_keep_alive=True
        elif value is not None and value is not False:
            cmd += [flag, str(value)]
    return cmd


def _wait_ready(proc: subprocess.Popen, port_file: Path, log: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"stub server exited with {proc.returncode}: {log.read_text()[-2000:]}")
        if port_file.exists():
            base_url = f"http://{_host_for_url(proc)}:{port_file.read_text().strip()}/v1"
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(base_url + "/models", timeout=2) as resp:
                    json.loads(resp.read())
                return base_url
        time.sleep(0.02)
    raise RuntimeError(f"stub server not ready after {timeout}s: {log.read_text()[-2000:]}")


def _host_for_url(proc: subprocess.Popen) -> str:
    args = list(proc.args)  # type: ignore[arg-type]
    host = args[args.index("--host") + 1] if "--host" in args else "127.0.0.1"
    return "127.0.0.1" if host in ("0.0.0.0", "") else host


@contextlib.contextmanager
def start_stub(ready_timeout: float = 15.0, **opts: Any) -> Iterator[tuple[subprocess.Popen, str]]:
    """Start the stub server in a subprocess; yields (process, base_url ending in /v1)."""
    with tempfile.TemporaryDirectory(prefix="stub-") as tmp:
        port_file, log = Path(tmp) / "port", Path(tmp) / "stub.log"
        opts.setdefault("port", 0)
        with open(log, "wb") as log_fh:
            proc = subprocess.Popen(
                stub_command(str(port_file), **opts),
                stdout=log_fh,
                stderr=log_fh,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        try:
            yield proc, _wait_ready(proc, port_file, log, ready_timeout)
        finally:
            stop(proc)


def stop(proc: subprocess.Popen, grace: float = 5.0) -> None:
    """Terminate the child, escalating to SIGKILL after `grace` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def fetch_stats(base_url: str) -> dict[str, Any]:
    """GET /v1/stats of a running stub."""
    with urllib.request.urlopen(base_url.rstrip("/") + "/stats", timeout=10) as resp:
        return json.loads(resp.read())
