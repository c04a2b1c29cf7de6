"""The public API for critic authors: `from personagen.critics import critic, accept, reject, Candidate`."""

from personagen.agents.critics.registry import Candidate, CriticError, accept, critic, reject
from personagen.personas.models import Stage, Verdict

__all__ = ["Candidate", "CriticError", "Stage", "Verdict", "accept", "critic", "reject"]
