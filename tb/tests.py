"""pyuvm tests (the cocotb test module the regression runs: ``tb.tests``).

``MasrBaseTest`` builds the environment, resets the DUT and runs ``MasrBaseSequence`` created
through the factory; every variant only installs a factory override of the sequence type.  At the
end each test writes ``coverage.xml`` (cocotb-coverage) and ``summary.json`` into the run
directory (cocotb's cwd) and fails if the scoreboard saw any mismatch.

Run one test per simulation (COCOTB_TEST_FILTER / testcase=...): cocotb-coverage's database is
global to the process.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import cocotb
import numpy as np
import pyuvm
from cocotb_coverage.coverage import coverage_db
from pyuvm import ConfigDB, uvm_factory, uvm_test

from tb.bfm import MasrBfm
from tb.configs import current_config
from tb.env import MasrEnv
from tb.predictor import Predictor
from tb.sequences import (BackToBackSequence, CornerSequence, ErrorSequence, FrontdoorSequence,
                          MasrBaseSequence, RandomSequence, SmokeSequence, StealHorizontalSequence,
                          StealNoneSequence, StealVerticalSequence)


class MasrBaseTest(uvm_test):
    """Env + reset + the (factory-overridable) MasrBaseSequence."""

    sequence_override: type | None = None

    def build_phase(self) -> None:
        if self.sequence_override is not None:
            uvm_factory().set_type_override_by_type(MasrBaseSequence, self.sequence_override)
        self.config_name, self.hw = current_config()
        # cocotb derives a per-test seed from (module, test name, COCOTB_RANDOM_SEED): a run
        # reproduces from (test, seed).  numpy draws everything from that per-test seed.
        self.test_seed = int(cocotb.RANDOM_SEED)
        self.seed = int(os.environ.get("COCOTB_RANDOM_SEED", os.environ.get("MASR_SEED", "-1")))
        self.bfm = MasrBfm(cocotb.top, self.hw)
        ConfigDB().set(None, "*", "BFM", self.bfm)
        ConfigDB().set(None, "*", "HW", self.hw)
        self.predictor = Predictor(self.hw)
        ConfigDB().set(None, "*", "PREDICTOR", self.predictor)
        self.env = MasrEnv("env", self)
        self.run_error: str | None = None
        self.t_start = time.time()

    async def run_phase(self) -> None:
        self.raise_objection()
        try:
            await self.bfm.reset()
            seq = MasrBaseSequence.create("seq")
            seq.hw = self.hw
            seq.rng = np.random.default_rng(self.test_seed)
            self.sequence_name = type(seq).__name__
            self.logger.info(f"{type(self).__name__}: config {self.config_name}, seed {self.seed} "
                             f"(test seed {self.test_seed}), "
                             f"sequence {self.sequence_name}, backdoor dir {self.bfm.bd_dir}")
            await seq.start(self.env.agent.seqr)
        except Exception as exc:  # recorded and reported after the summary is written
            import traceback
            self.run_error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
            self.logger.error(self.run_error)
        finally:
            self.drop_objection()

    def report_phase(self) -> None:
        self.predictor.close()
        sb = self.env.scoreboard
        errors = list(sb.errors)
        if self.run_error:
            errors.insert(0, f"run_phase exception: {self.run_error}")
        cov = self.env.coverage.percentages()
        coverage_db.export_to_xml(filename="coverage.xml")
        summary = {
            "test": type(self).__name__,
            "sequence": getattr(self, "sequence_name", None),
            "config": self.config_name,
            "seed": self.seed,
            "test_seed": str(self.test_seed),
            "passed": not errors,
            "n_products": len(sb.products),
            "n_errors": len(errors),
            "errors": errors[:50],
            "wall_s": round(time.time() - self.t_start, 2),
            "coverage": cov,
            "coverage_bins": self.env.coverage.sampler.model.detail(),
            "products": sb.products,
        }
        Path("summary.json").write_text(json.dumps(summary, indent=1, default=_json_default))
        self.logger.info(f"coverage: {cov}")
        if errors:
            head = "\n".join(errors[:20])
            raise AssertionError(f"{len(errors)} scoreboard/testbench errors "
                                 f"(config {self.config_name}, seed {self.seed}):\n{head}")


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


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
class ErrorTest(MasrBaseTest):
    sequence_override = ErrorSequence


@pyuvm.test()
class FrontdoorTest(MasrBaseTest):
    sequence_override = FrontdoorSequence


@pyuvm.test()
class BackToBackTest(MasrBaseTest):
    sequence_override = BackToBackSequence


TESTS = ("SmokeTest", "RandomTest", "CornerTest", "StealNoneTest", "StealVerticalTest",
         "StealHorizontalTest", "ErrorTest", "FrontdoorTest", "BackToBackTest")
