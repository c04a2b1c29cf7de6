"""The embedded server process: llama-cpp-python's OpenAI-compatible server, with two changes.

    python -m personagen.backends.llamacpp_serve --model M.gguf ...   (the same arguments as llama_cpp.server)

LocalModelServer starts this module instead of ``python -m llama_cpp.server``. Before running the stock server's
``main`` it
- installs the grammar-checked sampler (personagen.backends.grammar_sampling);
- keeps the random seed when the prompt cache restores a state. A request without a seed gets
  ``Random(self._seed).randint(...)`` and that becomes the next request's base (``Llama._create_completion``,
  llama_cpp/llama.py 0.3.36), but ``Llama.load_state`` also restores the ``_seed`` saved with the state: every
  cache hit rewound the chain, and later requests drew the same seeds as earlier ones (docs/local-model.md).
  The cache is for the prompt's KV state, not for the sampler's seed.
Both refuse (UntestedLlamaCppError, the server exits with its message) on a llama-cpp-python version other than
the one they were written for; LocalModelServer checks the version before it starts the process.
"""

from __future__ import annotations

from typing import Any

from personagen.backends.grammar_sampling import install
from personagen.backends.llamacpp_version import check_version


def keep_seed_on_cache_hit() -> bool:
    """Make ``Llama.load_state`` leave the current seed alone; False when it does already. Raises
    UntestedLlamaCppError on a version it was not written for."""
    import llama_cpp
    from llama_cpp import llama as llama_module

    cls = llama_module.Llama
    check_version(llama_cpp.__version__)
    if getattr(cls, "_keeps_seed", False):
        return False
    original = cls.load_state

    def load_state(self: Any, state: Any) -> None:
        seed = self._seed
        original(self, state)
        self._seed = seed

    cls.load_state = load_state
    cls._keeps_seed = True
    return True


def main() -> None:
    install()
    keep_seed_on_cache_hit()
    from llama_cpp.server.__main__ import main as serve

    serve()


if __name__ == "__main__":
    main()
