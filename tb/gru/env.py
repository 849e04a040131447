"""The GRU UVM environment: one agent, one scoreboard, one coverage collector.

    sequence -> sequencer -> GruDriver --(GruBfm: regs, mem port, bd_load_i, CTRL bits 2/3,
                                          done_o watchdog)--> masr_top
    GruScoreboard <--+-- GruMonitor.ap (GruPhaseResult) <-- GruMonitor <--(bd_dump_i files)--+
    GruCoverage   <--+
"""
from __future__ import annotations

from pyuvm import uvm_env

from tb.gru.agent import GruAgent
from tb.gru.coverage import GruCoverage
from tb.gru.scoreboard import GruScoreboard


class GruEnv(uvm_env):
    def build_phase(self) -> None:
        self.agent = GruAgent("agent", self)
        self.scoreboard = GruScoreboard("scoreboard", self)
        self.coverage = GruCoverage("coverage", self)

    def connect_phase(self) -> None:
        # The scoreboard marks each result passed/failed before coverage samples it.
        self.agent.monitor.ap.connect(self.scoreboard.analysis_export)
        self.agent.monitor.ap.connect(self.coverage.analysis_export)
