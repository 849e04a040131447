"""The skeleton every pyuvm test of this testbench shares (matrix-vector and GRU).

A subclass names its BFM, predictor, environment and base sequence; a test variant only installs
a factory override of the sequence type.  The skeleton seeds everything from cocotb's per-test
seed (a run reproduces from (test, seed)), resets the DUT, runs the sequence, and at the end
writes ``coverage.xml`` and ``summary.json`` into the run directory (cocotb's cwd) and fails if
the scoreboard saw any mismatch.  One test per simulation: cocotb-coverage's database is global.
"""
from __future__ import annotations

import json
import os
import time
import traceback
from pathlib import Path
from typing import Any

import cocotb
import numpy as np
from cocotb_coverage.coverage import coverage_db
from pyuvm import ConfigDB, uvm_factory, uvm_test

from tb.common.configs import current_config


class SeededTest(uvm_test):
    sequence_override: type | None = None
    # Filled in by the environment's base test:
    base_sequence: type
    bfm_class: type
    bfm_key: str                 # ConfigDB name of the BFM
    predictor_class: type
    predictor_key: str           # ConfigDB name of the predictor
    env_class: type

    def build_phase(self) -> None:
        if self.sequence_override is not None:
            uvm_factory().set_type_override_by_type(self.base_sequence, self.sequence_override)
        self.config_name, self.hw = current_config()
        # cocotb derives a per-test seed from (module, test name, COCOTB_RANDOM_SEED); numpy
        # draws everything from it.
        self.test_seed = int(cocotb.RANDOM_SEED)
        self.seed = int(os.environ.get("COCOTB_RANDOM_SEED", os.environ.get("MASR_SEED", "-1")))
        self.bfm = self.bfm_class(cocotb.top, self.hw)
        ConfigDB().set(None, "*", self.bfm_key, self.bfm)
        ConfigDB().set(None, "*", "HW", self.hw)
        self.predictor = self.predictor_class(self.hw)
        ConfigDB().set(None, "*", self.predictor_key, self.predictor)
        self.env = self.env_class("env", self)
        self.run_error: str | None = None
        self.t_start = time.time()

    def start_message(self) -> str:
        return f"backdoor dir {self.bfm.bd_dir}"

    async def run_phase(self) -> None:
        self.raise_objection()
        try:
            await self.bfm.reset()
            seq = self.base_sequence.create("seq")
            seq.hw = self.hw
            seq.rng = np.random.default_rng(self.test_seed)
            self.sequence_name = type(seq).__name__
            self.logger.info(f"{type(self).__name__}: config {self.config_name}, seed {self.seed} "
                             f"(test seed {self.test_seed}), sequence {self.sequence_name}, "
                             f"{self.start_message()}")
            await seq.start(self.env.agent.seqr)
        except Exception as exc:  # recorded and reported after the summary is written
            self.run_error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
            self.logger.error(self.run_error)
        finally:
            self.drop_objection()

    def summary_fields(self) -> dict[str, Any]:
        """What the scoreboard checked, for summary.json (per environment)."""
        raise NotImplementedError

    def report_phase(self) -> None:
        self.predictor.close()
        errors = list(self.env.scoreboard.errors)
        if self.run_error:
            errors.insert(0, f"run_phase exception: {self.run_error}")
        cov = self.env.coverage.percentages()
        coverage_db.export_to_xml(filename="coverage.xml")
        summary = {
            "test": type(self).__name__, "sequence": getattr(self, "sequence_name", None),
            "config": self.config_name, "seed": self.seed, "test_seed": str(self.test_seed),
            "passed": not errors, "n_errors": len(errors), "errors": errors[:50],
            "wall_s": round(time.time() - self.t_start, 2), "coverage": cov,
            "coverage_bins": self.env.coverage.sampler.model.detail(),
            **self.summary_fields(),
        }
        Path("summary.json").write_text(json.dumps(summary, indent=1, default=json_default))
        self.logger.info(f"coverage: {cov}")
        if errors:
            head = "\n".join(errors[:20])
            raise AssertionError(f"{len(errors)} scoreboard/testbench errors "
                                 f"(config {self.config_name}, seed {self.seed}):\n{head}")


def json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)
