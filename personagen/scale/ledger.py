"""The cost cap of a `--ray` run, shared by its shards (`--max-cost` with `--ray`, docs/costs.md).

The driver starts one `CostLedger` as a Ray actor (no CPU) holding the run's cap and what earlier processes of the
run spent. A shard's cost cap (personagen/cost_cap.py) holds only money it has leased from the ledger: when the next
request's worst case does not fit in its lease it asks for more (a slice of the cap, or at least the shortfall);
when the ledger has nothing left to grant, that shard stops at the cap (status budget) as a single run does. A
shard hands back what it did not use when it ends. Leases are taken before requests are sent, so the shards
together never commit more than the cap; a shard that dies keeps its lease counted (the money may have been spent).
"""

from __future__ import annotations

from typing import Any

SLICE = 0.02  # a lease asks for this share of the cap (or the shortfall, if larger): few round trips per shard


class CostLedger:
    """What the shards of one Ray run have committed of its cap (wrapped with `ray.remote` by the driver)."""

    def __init__(self, limit: float, spent: float) -> None:
        self.limit, self.committed = limit, spent

    def take(self, want: float, need: float) -> float:
        """Grant `want` if it fits, else `need` if that fits, else nothing."""
        for amount in (want, need):
            if self.committed + amount <= self.limit:
                self.committed += amount
                return amount
        return 0.0

    def force(self, amount: float) -> None:
        """Count money already spent whatever is left (the capability probes run before any cap can be asked)."""
        self.committed += amount

    def give_back(self, amount: float) -> None:
        self.committed -= max(0.0, amount)

    def report(self) -> dict[str, Any]:
        return {"max_cost": self.limit, "committed": round(self.committed, 6)}


def start_ledger(ray: Any, limit: float, spent: float) -> Any:
    """The run's ledger as a Ray actor handle."""
    return ray.remote(num_cpus=0)(CostLedger).remote(limit, spent)
