"""pyuvm tests (the cocotb test module the regression runs: ``tb.matvec.tests``).

``MasrBaseTest`` builds the environment, resets the DUT and runs ``MasrBaseSequence`` created
through the factory; every variant only installs a factory override of the sequence type.  At the
end each test writes ``coverage.xml`` (cocotb-coverage) and ``summary.json`` into the run
directory (cocotb's cwd) and fails if the scoreboard saw any mismatch.

Run one test per simulation (COCOTB_TEST_FILTER / testcase=...): cocotb-coverage's database is
global to the process.
"""
from __future__ import annotations

import pyuvm

from tb.common.base_test import SeededTest
from tb.common.bfm import MasrBfm
from tb.matvec.env import MasrEnv
from tb.matvec.scoreboard import Predictor
from tb.matvec.sequences import (BackToBackSequence, CornerSequence, ErrorSequence, FrontdoorSequence,
                          MasrBaseSequence, PaperWorkloadSequence, RandomSequence, SmokeSequence,
                          SplitStealSequence, StealHorizontalSequence, StealNoneSequence,
                          StealSweepSequence, StealVerticalSequence, NullSkipSequence)


class MasrBaseTest(SeededTest):
    """MasrEnv + reset + the (factory-overridable) MasrBaseSequence."""

    base_sequence = MasrBaseSequence
    bfm_class, bfm_key = MasrBfm, "BFM"
    predictor_class, predictor_key = Predictor, "PREDICTOR"
    env_class = MasrEnv

    def summary_fields(self) -> dict:
        sb = self.env.scoreboard
        return {"n_products": len(sb.products), "products": sb.products}


@pyuvm.test()
class SmokeTest(MasrBaseTest):
    sequence_override = SmokeSequence


@pyuvm.test()
class RandomTest(MasrBaseTest):
    sequence_override = RandomSequence


@pyuvm.test()
class CornerTest(MasrBaseTest):
    sequence_override = CornerSequence


@pyuvm.test()
class StealNoneTest(MasrBaseTest):
    sequence_override = StealNoneSequence


@pyuvm.test()
class StealVerticalTest(MasrBaseTest):
    sequence_override = StealVerticalSequence


@pyuvm.test()
class StealHorizontalTest(MasrBaseTest):
    sequence_override = StealHorizontalSequence


@pyuvm.test()
class StealSweepTest(MasrBaseTest):
    sequence_override = StealSweepSequence


@pyuvm.test()
class SplitStealTest(MasrBaseTest):
    """CFG_FEAT.SPLIT: split replica ranges with uniform and load plans (issue #12)."""
    sequence_override = SplitStealSequence


@pyuvm.test()
class ErrorTest(MasrBaseTest):
    sequence_override = ErrorSequence


@pyuvm.test()
class FrontdoorTest(MasrBaseTest):
    sequence_override = FrontdoorSequence


@pyuvm.test()
class BackToBackTest(MasrBaseTest):
    sequence_override = BackToBackSequence


@pyuvm.test()
class NullSkipTest(MasrBaseTest):
    """CFG_FEAT.NULL_SKIP (rule N1) against CFG_FEAT = 0 on the same data, all steal modes."""
    sequence_override = NullSkipSequence


@pyuvm.test()
class PaperWorkloadTest(MasrBaseTest):
    sequence_override = PaperWorkloadSequence


TESTS = ("SmokeTest", "RandomTest", "CornerTest", "StealNoneTest", "StealVerticalTest",
         "StealHorizontalTest", "StealSweepTest", "ErrorTest", "FrontdoorTest", "BackToBackTest",
         "PaperWorkloadTest", "NullSkipTest", "SplitStealTest")
