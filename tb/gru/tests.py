"""pyuvm GRU tests (the cocotb test module ``tb.gru.tests``; docs/gru-layer.md, issue #5).

    sequence -> sequencer -> GruDriver --(GruBfm: regs, mem port, bd_load_i, CTRL bits 2/3,
                                          done_o watchdog)--> masr_top
    GruScoreboard <--+-- GruMonitor.ap (GruPhaseResult) <-- GruMonitor <--(bd_dump_i files)--+
    GruCoverage   <--+

``GruBaseTest`` builds the environment, resets the DUT and runs ``GruBaseSequence`` created
through the factory; every variant only installs a factory override of the sequence type.  At
the end it writes ``coverage.xml`` and ``summary.json`` into the run directory and fails if the
scoreboard saw any mismatch.  One test per simulation (cocotb-coverage's database is global).
"""
from __future__ import annotations

import pyuvm

from tb.common.base_test import SeededTest
from tb.gru.bfm import GruBfm
from tb.gru.env import GruEnv
from tb.gru.scoreboard import GruPredictor
from tb.gru.sequences import (GruBaseSequence, GruCornerSequence, GruErrorSequence,
                              GruFrontdoorSequence, GruOverlapSequence, GruPrefetchSequence,
                              GruRandomSequence, GruRunAheadSequence, GruSmokeSequence,
                              GruSplitSequence, GruWideEncSequence)


class GruBaseTest(SeededTest):
    """GruEnv + reset + the (factory-overridable) GruBaseSequence."""

    base_sequence = GruBaseSequence
    bfm_class, bfm_key = GruBfm, "GRU_BFM"
    predictor_class, predictor_key = GruPredictor, "GRU_PREDICTOR"
    env_class = GruEnv

    def start_message(self) -> str:
        return (f"T_MAX {self.bfm.geo.T_MAX}, HD_MAX {self.bfm.geo.HD_MAX}, "
                f"backdoor dir {self.bfm.bd_dir}")

    def summary_fields(self) -> dict:
        sb = self.env.scoreboard
        return {"n_phases": len(sb.phases), "n_layers": sb.layers_checked, "phases": sb.phases}


@pyuvm.test()
class GruSmokeTest(GruBaseTest):
    sequence_override = GruSmokeSequence


@pyuvm.test()
class GruRandomTest(GruBaseTest):
    sequence_override = GruRandomSequence


@pyuvm.test()
class GruOverlapTest(GruBaseTest):
    sequence_override = GruOverlapSequence


@pyuvm.test()
class GruPrefetchTest(GruBaseTest):
    sequence_override = GruPrefetchSequence


@pyuvm.test()
class GruWideEncTest(GruBaseTest):
    sequence_override = GruWideEncSequence


@pyuvm.test()
class GruSplitTest(GruBaseTest):
    sequence_override = GruSplitSequence


@pyuvm.test()
class GruRunAheadTest(GruBaseTest):
    sequence_override = GruRunAheadSequence


@pyuvm.test()
class GruCornerTest(GruBaseTest):
    sequence_override = GruCornerSequence


@pyuvm.test()
class GruErrorTest(GruBaseTest):
    sequence_override = GruErrorSequence


@pyuvm.test()
class GruFrontdoorTest(GruBaseTest):
    sequence_override = GruFrontdoorSequence


GRU_TESTS = ("GruSmokeTest", "GruRandomTest", "GruOverlapTest", "GruPrefetchTest",
             "GruWideEncTest", "GruSplitTest", "GruRunAheadTest", "GruCornerTest", "GruErrorTest",
             "GruFrontdoorTest")
