"""Scoreboard: every product bit-exact against golden.matvec and cycle-exact against golden.perf.

The comparison itself lives in tb.matvec.checks (pure, unit-tested); this component collects the
messages, logs them as they happen and keeps a per-product record for summary.json.  It marks
each result ``passed`` so the coverage collector (connected after it on the same analysis port)
only counts products that matched the reference models.  The test fails in its report phase if
``errors`` is not empty.
"""
from __future__ import annotations

from typing import Any, Optional

from pyuvm import ConfigDB, uvm_subscriber

from golden.config import HwConfig, StealMode
from golden.perf import duplication_fraction
from tb.common.predictor import PredictionWorker
from tb.matvec.checks import Expected, compare_result, expected_for, expected_values, product_runs
from tb.matvec.items import ERR_NAMES, MatvecItem, MatvecResult


def _matvec_prediction(W: Any, x: Any, bias: Any, layer: Any, hw: HwConfig,
                       plan: Any = None) -> Expected:
    return expected_values(W, x, bias, layer, hw, plan)


class Predictor:
    """Predictions for matrix-vector products (tb.matvec.checks.expected_for)."""

    def __init__(self, hw: HwConfig, workers: Optional[int] = None) -> None:
        self.hw = hw
        self._worker = PredictionWorker(_matvec_prediction, workers)
        self._proc = self._worker._proc          # for tests: the process must end on close()

    def submit(self, item: MatvecItem) -> None:
        """Start predicting ``item`` (call before the DUT runs it)."""
        if product_runs(item):
            self._worker.submit(id(item), item.W, item.x, item.bias, item.layer, self.hw,
                                item.plan)

    def expected(self, item: MatvecItem) -> Expected:
        """The prediction for ``item``: the worker's answer, or computed here."""
        if self._worker.has(id(item)):
            return self._worker.result(id(item))
        return expected_for(item, self.hw)

    def discard(self, item: MatvecItem) -> None:
        self._worker.discard(id(item))

    def close(self) -> None:
        self._worker.close()


class MasrScoreboard(uvm_subscriber):
    def build_phase(self) -> None:
        self.hw = ConfigDB().get(self, "", "HW")
        try:
            self.predictor: Predictor = ConfigDB().get(self, "", "PREDICTOR")
        except Exception:  # a scoreboard outside MasrBaseTest predicts in-process
            self.predictor = Predictor(self.hw, workers=0)
        self.errors: list[str] = []
        self.products: list[dict[str, Any]] = []

    def write(self, res: MatvecResult) -> None:
        item = res.item
        try:
            if res.notes or not res.done:
                self.predictor.discard(item)
            if res.notes:
                errors = [f"product #{res.index} '{item.get_name()}': {n}" for n in res.notes]
                exp = None
            else:
                exp = self.predictor.expected(item) if res.done else None
                errors = compare_result(res, self.hw, exp)
        except Exception as exc:  # a reference-model failure is a test failure, not a crash
            exp = None
            errors = [f"product #{res.index} '{item.get_name()}': scoreboard exception "
                      f"{type(exc).__name__}: {exc}"]
        res.passed = not errors
        res.expected_perf = exp.perf if exp is not None else None
        res.expected_facts = exp.facts if exp is not None else None
        for e in errors:
            self.logger.error(e)
        self.errors += errors
        L = item.layer
        rec: dict[str, Any] = {
            "index": res.index, "name": item.get_name(), "passed": not errors,
            "M": L.M, "N": L.N, "mode": L.mode.name, "rep_rows": L.rep_rows, "shift": L.shift,
            "feat": L.feat,
            "load": item.load, "inject": item.inject, "overrides": item.reg_overrides,
            "expect_err": ERR_NAMES[item.expect_err], "err_code": res.err_code,
            "wait_cycles": res.wait_cycles, "counters": res.counters,
            # per-lane DUT stats, for the sign-off report's utilization heat map and steal plots
            "lane_stats": {f"{h},{v}": st for (h, v), st in res.lane_stats.items()},
        }
        if exp is not None and exp.perf is not None:
            rec["expected_counters"] = exp.perf.counters()
            # replica weights / weight non-zeros: the x axis of the stealing-speedup figure
            rec["dup_fraction"] = (duplication_fraction(item.W != 0, self.hw, L)
                                   if L.mode != StealMode.NONE else 0.0)
        self.products.append(rec)
        status = "ok" if not errors else f"FAIL ({len(errors)} mismatches)"
        self.logger.info(f"product #{res.index} {item}: {status} "
                         f"cycles={res.counters.get('PERF_CYCLES')} "
                         f"steals={res.counters.get('PERF_STEAL_GRANTED')}")

    def check_phase(self) -> None:
        n_run = len(self.products)
        if not self.products:
            self.errors.append("no product was checked (the sequence produced no items)")
        self.logger.info(f"scoreboard: {n_run} products, {len(self.errors)} mismatches")
