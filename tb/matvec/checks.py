"""Scoreboard comparison logic (pure Python, unit-tested with synthetic results).

``expected_for`` asks the golden models what a product must produce; ``compare_result`` turns
an observed :class:`~tb.matvec.items.MatvecResult` into a list of human-readable mismatch messages
(empty list = pass).  Messages name the row and lane, the counter or the lane statistic, the
expected and the observed value, so a failing regression log is a bug report.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from golden.config import FEAT_SPLIT, HwConfig, LayerConfig, partition_bounds
from golden.matvec import matvec_q
from golden.perf import PerfFlag, PerfResult
from golden.perf_v2 import simulate_product, simulate_product_run, split_events
from tb.common.bfm import LANE_STAT_NAMES, MEM_NAMES, PERF_REGS, STATUS_BUSY, STATUS_DONE, STATUS_ERROR
from tb.matvec.coverage import ProductFacts, product_facts
from tb.matvec.items import ERR_NAMES, ERR_NO_PRODUCT, ERR_WPTR, MatvecItem, MatvecResult

MAX_ROW_MESSAGES = 8
MAX_LANE_MESSAGES = 16


@dataclass
class Expected:
    y: Optional[np.ndarray]              # None when no product runs (rejected / aborted)
    perf: Optional[PerfResult]
    facts: Optional[ProductFacts] = None  # the coverage bins of the golden values


def product_runs(item: MatvecItem) -> bool:
    return item.expect_err not in ERR_NO_PRODUCT


def expected_for(item: MatvecItem, hw: HwConfig) -> Expected:
    if not product_runs(item):
        return Expected(None, None)
    return expected_values(item.W, item.x, item.bias, item.layer, hw, item.plan)


def expected_values(W: np.ndarray, x: np.ndarray, bias: np.ndarray, layer: LayerConfig,
                    hw: HwConfig, plan: Optional[np.ndarray] = None) -> Expected:
    """Golden y and performance of one product that runs (a pure function: tb.common.predictor runs it
    in a worker process)."""
    y = matvec_q(W, x, bias, layer.shift)
    # Traced (v1): the coverage collector reads which side won each dual-thief contest from it.
    # CFG_FEAT != 0: the v2 engine with the selected features (golden.perf_v2).
    # CFG_FEAT.SPLIT: the plan registers the image holds (None: the uniform plan), and the
    # split-range corners the run reached (coverage masr.split).
    events: tuple[str, ...] = ()
    if layer.feat & FEAT_SPLIT:
        run, rplan = simulate_product_run(W != 0, x != 0, hw, layer, plan)
        perf = run.result
        events = tuple(sorted(split_events(run, rplan)))
    else:
        perf = simulate_product(W != 0, x != 0, hw, layer, trace=True)
    lanes = {(h, v): perf.lanes.words(h, v) for h, v in hw.lanes()}
    return Expected(y, perf, product_facts(W, x, y, lanes, hw, layer, perf, events))


def flag_names(flags: int) -> str:
    names = [f.name for f in PerfFlag if flags & int(f)]
    return "|".join(names) if names else "0"


def _err(code: int) -> str:
    return f"{code} ({ERR_NAMES.get(code, '?')})"


def _row_detail(item: MatvecItem, hw: HwConfig, r: int) -> str:
    """Per-partition partial sums of row r: which lane (h, v) contributed what."""
    N = item.layer.N
    parts = []
    for v in range(hw.V):
        lo, hi = partition_bounds(hw, N, v)
        p = int(np.dot(item.W[r, lo:hi].astype(np.int64), item.x[lo:hi].astype(np.int64)))
        parts.append(f"v{v}:{p}")
    return " ".join(parts)


def compare_y(item: MatvecItem, hw: HwConfig, exp_y: np.ndarray, got: np.ndarray,
              prefix: str) -> list[str]:
    errors: list[str] = []
    got = np.asarray(got, dtype=np.int64)
    exp = np.asarray(exp_y, dtype=np.int64)
    if got.shape != exp.shape:
        return [f"{prefix}: read {got.shape[0]} outputs, expected {exp.shape[0]}"]
    bad = np.nonzero(got != exp)[0]
    for r in bad[:MAX_ROW_MESSAGES]:
        h, i = int(r) % hw.H, int(r) // hw.H
        errors.append(f"{prefix}: y row {r} (lane-row h={h}, local row {i}, lanes ({h},0..{hw.V - 1})) "
                      f"expected {exp[r]} got {got[r]} [partials {_row_detail(item, hw, int(r))}]")
    if len(bad) > MAX_ROW_MESSAGES:
        errors.append(f"{prefix}: ... {len(bad)} of {len(exp)} rows mismatch in total")
    return errors


def compare_counters(exp: PerfResult, got: dict[str, int], prefix: str) -> list[str]:
    want = exp.counters()
    return [f"{prefix}: counter {name} expected {want[name]} got {got.get(name)}"
            for name in PERF_REGS if got.get(name) != want[name]]


def compare_lane_stats(exp: PerfResult, got: dict[tuple[int, int], dict[str, int]], hw: HwConfig,
                       prefix: str) -> list[str]:
    errors: list[str] = []
    n_bad = 0
    for h, v in hw.lanes():
        want = exp.lanes.words(h, v)
        have = got.get((h, v), {})
        for name in LANE_STAT_NAMES:
            if have.get(name) != want[name]:
                n_bad += 1
                if n_bad <= MAX_LANE_MESSAGES:
                    if name == "FLAGS":
                        errors.append(f"{prefix}: lane ({h},{v}) FLAGS expected {want[name]:#x} "
                                      f"[{flag_names(want[name])}] got "
                                      f"{have.get(name, -1):#x} [{flag_names(have.get(name, 0))}]")
                    else:
                        errors.append(f"{prefix}: lane ({h},{v}) {name} expected {want[name]} "
                                      f"got {have.get(name)}")
    if n_bad > MAX_LANE_MESSAGES:
        errors.append(f"{prefix}: ... {n_bad} lane statistics mismatch in total")
    return errors


def compare_result(res: MatvecResult, hw: HwConfig, exp: Optional[Expected] = None) -> list[str]:
    item = res.item
    prefix = f"product #{res.index} '{item.get_name()}'"
    if res.timed_out or not res.done:
        return [f"{prefix}: done_o did not rise within {res.wait_cycles} cycles "
                f"(STATUS={res.status:#x}, ERR_CODE={res.err_code}); DUT hung or never finished"]
    exp = exp if exp is not None else expected_for(item, hw)
    errors: list[str] = []
    if res.err_code != item.expect_err:
        errors.append(f"{prefix}: ERR_CODE expected {_err(item.expect_err)} got {_err(res.err_code)}")
    # STATUS after done: not busy, done set, error bit mirrors ERR_CODE != 0.
    want_status = STATUS_DONE | (STATUS_ERROR if res.err_code else 0)
    if res.status & (STATUS_BUSY | STATUS_DONE | STATUS_ERROR) != want_status:
        errors.append(f"{prefix}: STATUS expected {want_status:#x} (idle, done"
                      f"{', error' if res.err_code else ''}) got {res.status:#x}")
    if res.irq_pulses != 1:
        errors.append(f"{prefix}: irq_o expected 1 pulse when done rose, saw {res.irq_pulses}")
    if exp.y is not None:
        if res.y is None:
            errors.append(f"{prefix}: no outputs were read")
        else:
            errors += compare_y(item, hw, exp.y, res.y, prefix)
    elif res.y is not None and res.y_before:
        # Rejected or aborted product: the y memory must be untouched.
        for r, val in enumerate(res.y):
            if r in res.y_before and res.y_before[r] != int(val):
                errors.append(f"{prefix}: y row {r} changed by a {'aborted' if item.expect_err == ERR_WPTR else 'rejected'} "
                              f"product: was {res.y_before[r]} now {int(val)}")
                if len(errors) > MAX_ROW_MESSAGES:
                    break
    if exp.perf is not None:
        errors += compare_counters(exp.perf, res.counters, prefix)
        errors += compare_lane_stats(exp.perf, res.lane_stats, hw, prefix)
    for sel, unit, addr, want, got in res.readback:
        if want != got:
            errors.append(f"{prefix}: loaded state changed: mem {MEM_NAMES[sel]} unit {unit} "
                          f"addr {addr} expected {want:#x} got {got:#x}")
    for c in res.checks:
        if c.expected != c.got:
            errors.append(f"{prefix}: {c.what}: expected {c.expected:#x} got {c.got:#x}")
    return errors
