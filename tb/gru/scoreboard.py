"""GRU scoreboard: every phase checked against golden.gru (bigru_layer_q) and golden.gru_seq.

The comparison lives in tb.gru.checks (pure, unit-tested).  This component predicts each layer
once (``GruPredictor``: in a forked worker while the DUT simulates, or in-process), compares
every phase result the monitor publishes, logs the mismatches, marks the result ``passed`` (the
coverage collector, connected after it on the same analysis port, samples only passed phases)
and keeps a per-phase record for summary.json.
"""
from __future__ import annotations

from typing import Any, Optional

from pyuvm import ConfigDB, uvm_subscriber

from golden.config import HwConfig
from tb.gru.checks import GoldenLayer, compare_phase, golden_layer
from tb.gru.items import GRU_ERR_NAMES, GruLayerItem, GruPhaseResult
from tb.common.predictor import PredictionWorker


def _predict(spec: Any, hw: HwConfig) -> GoldenLayer:
    return golden_layer(spec, hw)


class GruPredictor:
    """Golden layers, predicted in tb.common.predictor's worker process (or in-process), kept until
    the layer's last phase has been checked."""

    def __init__(self, hw: HwConfig, workers: Optional[int] = None) -> None:
        self.hw = hw
        self._worker = PredictionWorker(_predict, workers)
        self._done: dict[int, GoldenLayer] = {}

    def submit(self, item: GruLayerItem) -> None:
        if item.err is None and id(item) not in self._done:
            self._worker.submit(id(item), item.spec(), self.hw)

    def expected(self, item: GruLayerItem) -> GoldenLayer:
        key = id(item)
        if key not in self._done:
            self._done[key] = (self._worker.result(key) if self._worker.has(key)
                               else golden_layer(item.spec(), self.hw))
        return self._done[key]

    def forget(self, item: GruLayerItem) -> None:
        self._done.pop(id(item), None)
        self._worker.discard(id(item))

    def close(self) -> None:
        self._worker.close()


class GruScoreboard(uvm_subscriber):
    def build_phase(self) -> None:
        self.hw = ConfigDB().get(self, "", "HW")
        try:
            self.predictor: GruPredictor = ConfigDB().get(self, "", "GRU_PREDICTOR")
        except Exception:
            self.predictor = GruPredictor(self.hw, workers=0)
        self.errors: list[str] = []
        self.phases: list[dict[str, Any]] = []
        self.layers_checked = 0

    def write(self, res: GruPhaseResult) -> None:
        item = res.item
        gold: Optional[GoldenLayer] = None
        try:
            if item.err is None and not res.notes and res.done:
                gold = self.predictor.expected(item)
            errors = compare_phase(res, gold, self.hw)
        except Exception as exc:  # a reference-model failure fails the test, it is no crash
            import traceback
            errors = [f"scoreboard exception on '{item.get_name()}' phase {res.phase}: "
                      f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"]
        res.passed = not errors
        res.expected = gold
        for e in errors:
            self.logger.error(e)
        self.errors += errors
        if res.last_phase or not res.done or res.notes:
            self.predictor.forget(item)
            self.layers_checked += res.last_phase
        d = res.dump
        rec: dict[str, Any] = {
            "index": res.index, "name": item.get_name(), "phase": res.phase,
            "direction": res.dir_name, "passed": not errors, "I": item.I, "Hd": item.Hd,
            "T": item.T, "mode": int(item.mode), "rep_rows": item.rep_rows,
            "feat": getattr(item, "feat", 0),
            "threshold": item.threshold, "load": item.load,
            "err_case": item.err.name if item.err else None,
            "expect_err": GRU_ERR_NAMES[item.err.expect] if item.err else None,
            "wait_cycles": res.wait_cycles,
        }
        if d is not None:
            rec["err_code"] = d.reg("ERR_CODE")
            rec["gru_counters"] = d.gru_counters()
            rec["counters"] = d.counters()
        self.phases.append(rec)
        status = "ok" if not errors else f"FAIL ({len(errors)} mismatches)"
        self.logger.info(f"phase #{res.index} {item} {res.phase}/{res.dir_name}: {status}"
                         + (f" cycles={d.reg('PERF_GRU_CYCLES')} steals={d.reg('PERF_GRU_STEALS')}"
                            if d is not None else ""))

    def check_phase(self) -> None:
        if not self.phases:
            self.errors.append("no GRU phase was checked (the sequence produced no items)")
        self.logger.info(f"GRU scoreboard: {len(self.phases)} phases, {self.layers_checked} "
                         f"layers, {len(self.errors)} mismatches")
