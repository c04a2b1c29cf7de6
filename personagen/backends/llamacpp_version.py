"""The llama-cpp-python version PersonaGen's patches to its server were written for, and the check that refuses
any other (imports nothing heavy: the parent process checks before it starts the server, llama_cpp unimported).
"""

from __future__ import annotations

from personagen.errors import RunFailure

TESTED_VERSION = "0.3.36"  # the `local` extra pins llama-cpp-python[server] to it (pyproject.toml)
PATCHED = "personagen/backends/grammar_sampling.py and personagen/backends/llamacpp_serve.py"


class UntestedLlamaCppError(RunFailure):
    """The installed llama-cpp-python is not the version PersonaGen's patches to its server were written for."""


def check_version(installed: str | None = None) -> None:
    """Raise UntestedLlamaCppError unless llama-cpp-python is the version the patches were written for.

    `installed`: the version to check (default: the installed distribution's, read without importing it).
    The patches replace private methods of ``llama_cpp.Llama`` (``_init_sampler``, ``load_state``); on another
    version they could break the server or change its output unseen, so the embedded model refuses to start.
    """
    if installed is None:
        from importlib import metadata

        try:
            installed = metadata.version("llama-cpp-python")
        except metadata.PackageNotFoundError:
            return  # not installed: local_server.check_server_installed says how to install it
    if installed != TESTED_VERSION:
        raise UntestedLlamaCppError(
            f"llama-cpp-python {installed} is installed, but PersonaGen's patches to its server ({PATCHED}: "
            f"grammar by rejection, the seed kept on a prompt-cache hit) were written for {TESTED_VERSION}, and "
            f"the embedded model does not start on a version they were not checked against. Fix: "
            f"pip install 'llama-cpp-python[server]=={TESTED_VERSION}' (the version the `local` extra pins), or "
            "run another OpenAI-compatible server and pass --base-url. A developer moving the pin: check both "
            "patches against the new llama_cpp/llama.py, then change TESTED_VERSION.")
