"""Evaluation of a run's synthetic texts: diversity, human-likeness (LLM judge), realism against a real
corpus, downstream classifier utility and population fidelity; `personagen eval` and `personagen compare`.

Heavy dependencies (numpy, scikit-learn, onnxruntime, matplotlib) are the `eval` extra; they are imported
by the modules that need them, so importing this package stays cheap.
"""

from personagen.evaluation.errors import EvalError

__all__ = ["EvalError"]
