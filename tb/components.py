"""Coverage collector (a uvm_subscriber wrapping tb.coverage.CoverageSampler)."""
from __future__ import annotations

from pyuvm import ConfigDB, uvm_subscriber

from tb.coverage import CoverageSampler
from tb.seq_items import MatvecResult


class MasrCoverage(uvm_subscriber):
    def build_phase(self) -> None:
        self.hw = ConfigDB().get(self, "", "HW")
        self.sampler = CoverageSampler(self.hw)

    def write(self, res: MatvecResult) -> None:
        # The scoreboard is connected first and sets res.passed: only matching products count.
        self.sampler.sample(res, passed=bool(getattr(res, "passed", True)))

    def percentages(self) -> dict[str, float]:
        return self.sampler.model.percentages()
