"""The MASR UVM environment: one agent, one scoreboard, one coverage collector.

    sequence -> sequencer -> driver --(MasrBfm: regs, mem port, bd_load_i, done_o)--> masr_top
                                                                                       |
    scoreboard <--+-- monitor.ap (MatvecResult) <-- monitor <--(MasrBfm readback)------+
    coverage   <--+
"""
from __future__ import annotations

from pyuvm import uvm_env

from tb.matvec.agent import MasrAgent
from tb.matvec.coverage import MasrCoverage
from tb.matvec.scoreboard import MasrScoreboard


class MasrEnv(uvm_env):
    def build_phase(self) -> None:
        self.agent = MasrAgent("agent", self)
        self.scoreboard = MasrScoreboard("scoreboard", self)
        self.coverage = MasrCoverage("coverage", self)

    def connect_phase(self) -> None:
        # Order matters: the scoreboard marks results passed/failed before coverage samples them.
        self.agent.monitor.ap.connect(self.scoreboard.analysis_export)
        self.agent.monitor.ap.connect(self.coverage.analysis_export)
