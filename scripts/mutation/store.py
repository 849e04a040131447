"""Mutation results: one append-only JSON-lines file per configuration, resumable.

The records reuse the nightly's ResultsStore (one atomic fsync'ed line each, a torn last line is
skipped).  A mutant is named by its stable key and belongs to one RTL digest: results of other
RTL are kept in the file but ignored, so the store accumulates across nights while the RTL stays
the same and starts over when it changes.
"""
from __future__ import annotations

from pathlib import Path

from nightly import ResultsStore

# killed_timeout: the mutant hung the design (the run exceeded ~3x its normal time).
# waived: not simulated, because a waiver for this configuration already calls it equivalent
# (`mutate.py --skip-waived`); it counts as equivalent only while that waiver stands.
STATUSES = ("killed", "killed_timeout", "survived", "not_activated", "invalid", "waived")


class MutationStore:
    def __init__(self, path: Path):
        self.store = ResultsStore(path)
        self.path = self.store.path

    def record(self, rec: dict) -> None:
        assert rec["status"] in STATUSES, rec["status"]
        self.store.append({"event": "finished", **rec})

    def record_passed_run(self, key: str, rtl: str, test: str, seed: int) -> None:
        """A mutant passed one of its runs (batched runner): a resumed session skips it."""
        self.store.append({"event": "passed_run", "key": key, "rtl": rtl, "test": test,
                           "seed": seed})

    def passed_runs(self, rtl: str) -> dict[str, set[tuple[str, int]]]:
        """mutant key -> the (test, seed) runs it already passed, for this RTL digest."""
        out: dict[str, set[tuple[str, int]]] = {}
        for r in self.store.records():
            if r.get("event") == "passed_run" and r.get("rtl") == rtl:
                out.setdefault(r["key"], set()).add((r["test"], int(r["seed"])))
        return out

    def finished(self, rtl: str) -> dict[str, dict]:
        """mutant key -> its last record for this RTL digest."""
        return {r["key"]: r for r in self.store.records()
                if r.get("event") == "finished" and r.get("rtl") == rtl}
