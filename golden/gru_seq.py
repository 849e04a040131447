"""Golden expectations of the GRU phase sequencer (docs/gru-layer.md, contract section 8).

One direction of a GRU layer runs as two phases on the accelerator: the X phase computes
``gx_t = W_ih x_t + b_ih`` for every t (one product per step, results in GX), the H phase runs
the recurrence ``gh_t = W_hh h_{t-1} + b_hh`` followed by the element-wise unit (results in HOUT
and HBUF).  This module predicts, for one phase, everything the RTL reports:

- the numbers (GX, h_t, the gates, the final HBUF) from golden.gru (``matvec_q``,
  ``gru_gates_q``), i.e. exactly ``golden.gru.gru_layer_q``;
- each step's product counters from ``golden.perf.simulate_matvec`` (the RTL's PERF_* rules);
- each step's STEP_CYCLES and the phase's PERF_GRU_CYCLES from the sequencer's cycle formula
  (contract 8.6, :func:`x_step_cycles` / :func:`h_step_cycles`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from golden.config import (FEAT_OVERLAP, FEAT_PREFETCH, FEAT_RUN_AHEAD, FEAT_WIDE_ENC, MAX_SHIFT,
                           HwConfig, LayerConfig, StealMode, _require_int, ceil_div,
                           partition_width, words_per_row)
from golden.errors import SpecError
from golden.gru import check_threshold, gru_gates_q
from golden.matvec import matvec_q
from golden.numerics import as_int_array
from golden.perf import PerfResult
from golden.perf_v2 import run_ahead_products, simulate_product

__all__ = [
    "GruRun", "StepExpect", "PhaseExpect", "expect_x_phase", "expect_h_phase", "hd_max",
    "encoder_pad", "encoder_feed_cycles", "drain_margin", "x_step_cycles", "h_step_cycles",
    "h_phase_wide_cell_cycles", "phase_cycles_bound", "STEP_WORDS",
    "STEP_NAMES", "OverlapStep", "x_phase_overlap", "x_phase_prefetch", "RunAheadPhase",
    "x_phase_run_ahead",
]

# STEP memory: word k of step s at address s*8 + k (contract 8.4).
STEP_NAMES = ("PROD_CYCLES", "MAC_BUSY", "STEAL_GRANTED", "STEAL_REFUSED", "IDLE", "ROWS_DONE",
              "STEP_CYCLES", "ACT_NNZ")
STEP_WORDS = len(STEP_NAMES)


def hd_max(hw: HwConfig) -> int:
    """HD_MAX = min(M_MAX div 3, N_MAX) (contract 8.1)."""
    return min(hw.M_MAX // 3, hw.N_MAX)


# -- configuration ------------------------------------------------------------------------------

@dataclass(frozen=True)
class GruRun:
    """One phase's configuration, as the registers hold it at the phase start."""

    I: int             # CFG_GRU_I
    Hd: int            # CFG_GRU_HD
    T: int             # CFG_GRU_T
    threshold: int     # CFG_GRU_THR (Q8.8 magnitude)
    direction: int     # CFG_GRU_DIR: 0 forward, 1 backward
    mode: StealMode    # CFG_MODE
    rep_rows: int      # CFG_REP_ROWS
    shift: int         # CFG_SHIFT
    feat: int = 0      # CFG_FEAT (v2 features, latched at the phase start like the others)

    def __post_init__(self) -> None:
        for name in ("I", "Hd", "T", "threshold", "direction", "rep_rows", "shift", "feat"):
            object.__setattr__(self, name, _require_int("GruRun", name, getattr(self, name)))
        mode = _require_int("GruRun", "mode", self.mode)
        for name in ("I", "Hd", "T"):
            if getattr(self, name) < 1:
                raise SpecError(f"GruRun.{name}={getattr(self, name)} must be >= 1")
        check_threshold(self.threshold)
        if self.direction not in (0, 1):
            raise SpecError(f"GruRun.direction={self.direction} must be 0 (forward) or "
                            f"1 (backward)")
        if mode not in (0, 1, 2):
            raise SpecError(f"GruRun.mode={mode} must be 0 (none), 1 (vertical) or "
                            f"2 (horizontal)")
        object.__setattr__(self, "mode", StealMode(mode))
        if self.rep_rows < 0:
            raise SpecError(f"GruRun.rep_rows={self.rep_rows} must be >= 0")
        if not 0 <= self.shift <= MAX_SHIFT:
            raise SpecError(f"GruRun.shift={self.shift} must be in 0..{MAX_SHIFT}")

    @property
    def M(self) -> int:
        """Rows of both products: 3 * Hd (gates r | z | n)."""
        return 3 * self.Hd

    def layer(self, N: int) -> LayerConfig:
        """The LayerConfig of the phase's products (N = I in the X phase, Hd in the H phase)."""
        return LayerConfig(self.M, N, self.mode, self.rep_rows, self.shift, self.feat)

    def check_fits(self, hw: HwConfig) -> None:
        """Raise SpecError where the RTL would reject the start (codes 11, 9 and 3)."""
        if self.I > hw.N_MAX:
            raise SpecError(f"GruRun.I={self.I} exceeds N_MAX={hw.N_MAX} "
                            f"(over by {self.I - hw.N_MAX})")
        hdm = hd_max(hw)
        if self.Hd > hdm:
            raise SpecError(f"GruRun.Hd={self.Hd} exceeds HD_MAX={hdm} "
                            f"(min(M_MAX div 3, N_MAX); over by {self.Hd - hdm})")
        if self.T > hw.T_MAX:
            raise SpecError(f"GruRun.T={self.T} exceeds T_MAX={hw.T_MAX} "
                            f"(over by {self.T - hw.T_MAX})")
        # ERR_MODE / ERR_SLOTS with M = 3Hd (N is irrelevant); SPLIT: each phase's products run
        # the split ranges of that phase's image (its plan registers), checked when it is encoded
        self.layer(self.Hd).check_fits(hw)

    def time_order(self) -> list[int]:
        """Time index t of each H-phase step s (backward: T-1 .. 0)."""
        return list(range(self.T - 1, -1, -1)) if self.direction else list(range(self.T))


# -- results ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OverlapStep:
    """One step of an overlapped X phase (contract 8.6, "OVERLAP")."""

    step_cycles: int         # STEP k=6
    beside_drain: int        # compute cycles of this product beside the previous output phase
    # started in the previous output phase's last cycle: the engine goes from that output phase
    # straight to computing (beside_drain is 0, as for a start after the output phase)
    start_at_drain_end: bool = False
    # PREFETCH: cycles in SqEncWait before the start, i.e. how long the product waited for its
    # vector after the previous step (0: started in that step's SqStep); None without PREFETCH
    encoder_wait: int | None = None
    # PREFETCH: the vector was encoded before the previous step's SqStep (not in that cycle)
    ready_early: bool = False


@dataclass(frozen=True)
class StepExpect:
    product: PerfResult      # golden.perf.simulate_matvec of the step's product (STEP k = 0..5)
    step_cycles: int         # STEP k=6
    act_nnz: int             # STEP k=7
    overlap: OverlapStep | None = None   # X phase with OVERLAP: the schedule behind step_cycles

    def words(self) -> tuple[int, ...]:
        """The step's 8 STEP words in address order (k = 0 .. 7)."""
        p = self.product
        return (p.cycles, p.mac_busy, p.steals_granted, p.steals_refused, p.idle, p.rows_done,
                self.step_cycles, self.act_nnz)


@dataclass(frozen=True)
class PhaseExpect:
    steps: list[StepExpect]          # processing order s
    cycles: int                      # PERF_GRU_CYCLES
    gx: np.ndarray | None            # X phase: (T, 3Hd) int16, by time t
    h: np.ndarray | None             # H phase: (T, Hd) int16 h_t by time t (the HOUT rows of dir)
    r: np.ndarray | None             # H phase: (T, Hd) gates by time t (for failure messages)
    z: np.ndarray | None
    n: np.ndarray | None
    h_last: np.ndarray | None        # H phase: HBUF after the phase
    ahead: "RunAheadPhase | None" = None   # X phase with RUN_AHEAD: the schedule behind it

    @property
    def mac_busy(self) -> int:
        """PERF_GRU_MAC_BUSY: MAC-busy cycles summed over the phase's products."""
        return sum(s.product.mac_busy for s in self.steps)

    @property
    def steals(self) -> int:
        """PERF_GRU_STEALS: steals granted summed over the phase's products."""
        return sum(s.product.steals_granted for s in self.steps)

    @property
    def last(self) -> PerfResult:
        """The last product: PERF_* and the lane statistics after the phase."""
        return self.steps[-1].product

    def registers(self) -> dict[str, int]:
        """GRU_STEPS and PERF_GRU_* after a completed phase."""
        return {"GRU_STEPS": len(self.steps), "PERF_GRU_CYCLES": self.cycles,
                "PERF_GRU_MAC_BUSY": self.mac_busy, "PERF_GRU_STEALS": self.steals}

    def step_words(self) -> np.ndarray:
        """(T, 8) int64: the STEP memory rows of the phase in processing order."""
        return np.array([s.words() for s in self.steps], dtype=np.int64)


# -- cycle formula (contract 8.6) ---------------------------------------------------------------

def drain_margin(hw: HwConfig, I: int, M: int, wide: bool = False) -> int:
    """Overlapped X phase (8.6): compute cycles of a product beside the previous product's output
    phase (ceil(M/H) cycles, which began E + 2 cycles before the start, E = feed + pad(I) + 2);
    0 = started in its last cycle, negative = started after it."""
    return ceil_div(M, hw.H) - (encoder_feed_cycles(hw, I, wide) + encoder_pad(hw, I) + 2) - 2


def encoder_feed_cycles(hw: HwConfig, N: int, wide: bool = False) -> int:
    """Cycles the encoder takes elements of an N-vector: N, or in word mode (CFG_FEAT.WIDE_ENC,
    docs/gru-datapath.md 3) one per mask word holding elements, u*K + k + 1 for column N-1 in
    word k of partition u (so that feed + pad = V*K)."""
    if not wide:
        return N
    P, K = partition_width(hw, N), words_per_row(hw, N)
    u = (N - 1) // P
    return u * K + (N - 1 - u * P) // hw.B + 1


def encoder_pad(hw: HwConfig, N: int) -> int:
    """Zero mask words masr_act_encoder writes after the last element of an N-vector.

    pad = V*K - 1 - (u*K + k) for column N-1 in word k of partition u (docs/gru-datapath.md 3).
    """
    N = _require_int("encoder_pad", "N", N)
    if not 1 <= N <= hw.N_MAX:
        raise SpecError(f"encoder_pad: N={N} must be in 1..N_MAX={hw.N_MAX}")
    P, K = partition_width(hw, N), words_per_row(hw, N)
    u = (N - 1) // P
    k = (N - 1 - u * P) // hw.B
    return hw.V * K - 1 - (u * K + k)


def x_step_cycles(hw: HwConfig, I: int, prod_cycles: int, wide: bool = False) -> int:
    """STEP_CYCLES of an X-phase step: encoder start 1 + the feed (I elements, or its words with
    WIDE_ENC) + (1 + pad) up to the encoder's done (which starts the product) + the product + 1
    (SqStep)."""
    return encoder_feed_cycles(hw, I, wide) + encoder_pad(hw, I) + prod_cycles + 3


def h_step_cycles(hw: HwConfig, Hd: int, prod_cycles: int, first: bool,
                  wide_cell: bool = False) -> int:
    """STEP_CYCLES of an H-phase step: the product + Hd cell inputs + (3 cell stages + 1 + pad) up
    to the encoder's done + 1 (SqStep, which also starts the next product). The first step also
    holds the initial encode of h_0: 1 + Hd + (1 + pad).

    ``wide_cell`` (proposed, not in the RTL: docs/gru-layer.md 8.6 "Wide cell"): B cells take one
    mask word of h_t per cycle and feed the word-mode encoder, and h_0 is encoded a word per
    cycle from HBUF, so feed(Hd) (the words holding elements) replaces Hd in both."""
    pad = encoder_pad(hw, Hd)
    feed = encoder_feed_cycles(hw, Hd, wide_cell)
    cycles = prod_cycles + feed + pad + 5
    if first:
        cycles += feed + pad + 2
    return cycles


def h_phase_wide_cell_cycles(hw: HwConfig, phase: PhaseExpect, Hd: int) -> int:
    """PERF_GRU_CYCLES of an H phase (``expect_h_phase``'s products) with the proposed wide cell:
    the same products, the cell pass and the encoder a mask word per cycle."""
    return sum(h_step_cycles(hw, Hd, st.product.cycles, s == 0, wide_cell=True)
               for s, st in enumerate(phase.steps))


def x_phase_overlap(hw: HwConfig, I: int, M: int, products: list[PerfResult],
                    wide: bool = False) -> list[OverlapStep]:
    """The steps of an X phase with CFG_FEAT.OVERLAP (contract 8.6, "OVERLAP").

    Step s's product starts in the encoder's done cycle (E = I + pad(I) + 2 cycles into the
    step) and its step ends with SqStep two cycles after its last compute cycle; its output phase
    (O = ceil(M/H) cycles) runs from the cycle after that last compute cycle, beside the next
    step. The last step ends after its own output phase, as without OVERLAP. Nothing waits: a
    compute phase lasts at least O cycles (each lane handles at most one row per cycle), so the
    previous output phase has always ended when a product's compute ends.
    """
    enc = encoder_feed_cycles(hw, I, wide) + encoder_pad(hw, I) + 2
    out = ceil_div(M, hw.H)
    margin = drain_margin(hw, I, M, wide)
    steps = []
    for s, prod in enumerate(products):
        if prod.compute_cycles < out:
            raise AssertionError(f"x_phase_overlap: step {s} computes {prod.compute_cycles} "
                                 f"cycles < ceil(M/H) = {out}: the contract's no-wait argument "
                                 f"fails (golden.perf_v2 inconsistent)")
        last = s == len(products) - 1
        cycles = enc + prod.compute_cycles + (out + 1 if last else 2)
        # The previous output phase ran from 2 + E cycles before this product's start.
        beside = 0 if s == 0 else max(0, margin)
        steps.append(OverlapStep(step_cycles=cycles, beside_drain=beside,
                                 start_at_drain_end=s > 0 and margin == 0))
    return steps


def x_phase_prefetch(hw: HwConfig, I: int, M: int, products: list[PerfResult],
                     wide: bool = False) -> list[OverlapStep]:
    """The steps of an X phase with CFG_FEAT.OVERLAP and PREFETCH (contract 8.6, "PREFETCH").

    Step 0 is as with OVERLAP alone. The cycle that starts product s also starts the encoder on
    x_{s+1}, whose done cycle comes F = feed + pad(I) + 1 cycles later (feed = I, or with
    WIDE_ENC the words holding elements, F = V*K + 1); step s's SqStep is
    C_s + 2 cycles after the start. Product s+1 therefore starts F - (C_s + 2) cycles after that
    SqStep if positive (SqEncWait), else in the SqStep itself, and its step lasts that wait +
    C_{s+1} + 2 cycles (the last step: + ceil(M/H) + 1 instead of + 2). Product s's output phase
    (the ceil(M/H) cycles after its last compute cycle) overlaps the next product's first
    ceil(M/H) - 2 - wait compute cycles.
    """
    out = ceil_div(M, hw.H)
    feed = encoder_feed_cycles(hw, I, wide) + encoder_pad(hw, I) + 1
    steps = x_phase_overlap(hw, I, M, products, wide)[:1]
    for s in range(1, len(products)):
        prev, prod = products[s - 1].compute_cycles, products[s].compute_cycles
        wait = max(0, feed - (prev + 2))
        last = s == len(products) - 1
        beside = out - 2 - wait
        steps.append(OverlapStep(step_cycles=wait + prod + (out + 1 if last else 2),
                                 beside_drain=max(0, beside), start_at_drain_end=beside == 0,
                                 encoder_wait=wait, ready_early=feed < prev + 2))
    return steps


@dataclass(frozen=True)
class RunAheadPhase:
    """An X phase under the proposed lane run-ahead rules (O2 with the RTL's encoder; contract
    8.6 "Run-ahead (proposed)"): per step its product's counters and STEP_CYCLES, and the
    engine cycles (0 = product 0's first compute cycle) at which the encoder started each
    vector and lanes could first enter each product."""

    products: list[PerfResult]
    step_cycles: list[int]
    encoder_start: list[int]     # x_0: -E (SqEncStart); x_q, q >= 1: the cycle it started
    entry_ready: list[int]       # first cycle a lane may claim in product q (0 for q = 0)
    first_entry: list[int]       # first cycle a lane did
    compute_end: list[int]       # the cycle after product q's last compute cycle
    drain_end: list[int]         # the cycle after product q's output phase

    @property
    def cycles(self) -> int:
        """PERF_GRU_CYCLES."""
        return sum(self.step_cycles)

    @property
    def mac_busy(self) -> int:
        """PERF_GRU_MAC_BUSY: MAC-busy cycles summed over the phase's products."""
        return sum(p.mac_busy for p in self.products)


def x_phase_run_ahead(hw: HwConfig, run: GruRun, w_nonzero: np.ndarray, x_masks: np.ndarray,
                      sets: int = 2, plan: np.ndarray | None = None,
                      encoder_cycles: int | None = None) -> RunAheadPhase:
    """The steps of an X phase whose lanes run ahead (O2) through products whose activations
    come from the RTL's encoder (proposed for CFG_FEAT bit 6; needs OVERLAP and PREFETCH).

    Step 0 is as with PREFETCH: x_0 is encoded (E = feed + pad(I) + 2 cycles), product 0 starts
    in the encoder's done cycle and so does the encoder on x_1. From then on the encoder takes
    x_q into activation RF set q mod ``sets`` as soon as it is idle (x_{q-1} done) and that set is
    free (product q - sets has no lane, AG or queue op left: its compute has ended), taking
    F = feed + pad(I) + 1 cycles to its done cycle, in which it writes its last word; a lane may
    enter product q from the next cycle (and, as in golden.perf_v2's O2, once product q - 2's
    drain has ended). Entering is a per-lane start: a lane that leaves p in cycle c claims in
    p + 1 from c + 1 (``entry_delay`` 1). Products end in order, one per cycle at most. Step
    s's SqStep is the cycle after its last compute cycle + 1 (as with OVERLAP); the last step's
    SqStep is the cycle its output phase has ended, as without OVERLAP.

    ``sets`` and ``encoder_cycles`` (F, default the encoder's) explore more activation RF sets
    and a faster encoder than the RTL has.
    """
    _check_run(hw, run)
    if not run.feat & FEAT_OVERLAP or not run.feat & FEAT_PREFETCH:
        raise SpecError("x_phase_run_ahead: run-ahead needs OVERLAP and PREFETCH in run.feat")
    if sets < 2:
        raise SpecError(f"x_phase_run_ahead: sets={sets}: the encoder needs a free set, >= 2")
    wide = bool(run.feat & FEAT_WIDE_ENC)
    E = encoder_feed_cycles(hw, run.I, wide) + encoder_pad(hw, run.I) + 2
    F = E - 1 if encoder_cycles is None else encoder_cycles
    if F < 1:
        raise SpecError(f"x_phase_run_ahead: encoder_cycles={F} must be >= 1")
    done = [-1]                  # the encoder's done cycle for x_0 .. x_q (engine cycles)
    starts = [-E]

    def entry_ready(q: int, compute_end) -> int | None:
        while len(done) <= q:
            k = len(done)        # the next vector: needs its set free of product k - sets
            if k >= sets and compute_end[k - sets] < 0:
                return None
            starts.append(max(done[-1], compute_end[k - sets] if k >= sets else -1))
            done.append(starts[-1] + F)
        return done[q] + 1

    # (the encoder can hold the lanes back for up to F cycles per vector)
    trace = run_ahead_products(w_nonzero, list(x_masks), hw, run.layer(run.I), entry_ready, plan,
                               entry_delay=1, gate_cycles=len(x_masks) * (F + 1))
    T = len(trace.runs)
    sq: list[int] = []
    for s in range(T):
        at = trace.drain_end[s] if s == T - 1 else trace.compute_end[s] + 1
        sq.append(max(at, sq[-1] + 1) if sq else at)
    cycles = [E + sq[0] + 1] + [b - a for a, b in zip(sq, sq[1:])]
    ready = [0] + [entry_ready(q, trace.compute_end) for q in range(1, T)]
    return RunAheadPhase(products=[r.result for r in trace.runs], step_cycles=cycles,
                         encoder_start=starts[:T], entry_ready=ready,
                         first_entry=trace.first_entry, compute_end=trace.compute_end,
                         drain_end=trace.drain_end)


# -- input checks -------------------------------------------------------------------------------

def _check_run(hw: HwConfig, run: GruRun) -> None:
    if not isinstance(run, GruRun):
        raise SpecError(f"run must be a GruRun, got {type(run).__name__}")
    run.check_fits(hw)


def _check_weights(name_w: str, W: object, name_b: str, b: object, run: GruRun,
                   N: int) -> tuple[np.ndarray, np.ndarray]:
    Wi = as_int_array(name_w, W, 8, 2)
    bi = as_int_array(name_b, b, 16, 1)
    if Wi.shape != (run.M, N):
        raise SpecError(f"{name_w} has shape {Wi.shape}, expected ({run.M}, {N}) "
                        f"for Hd={run.Hd}")
    if bi.shape != (run.M,):
        raise SpecError(f"{name_b} has shape {bi.shape}, expected ({run.M},) for Hd={run.Hd}")
    return Wi, bi


def _check_seq(name: str, a: object, run: GruRun, width: int) -> np.ndarray:
    arr = as_int_array(name, a, 16, 2)
    if arr.shape != (run.T, width):
        raise SpecError(f"{name} has shape {arr.shape}, expected ({run.T}, {width}) "
                        f"for T={run.T}")
    return arr


# -- phases -------------------------------------------------------------------------------------

def expect_x_phase(hw: HwConfig, run: GruRun, W_ih, b_ih, x_seq,
                   plan: Optional[np.ndarray] = None) -> PhaseExpect:
    """X phase: per step s (t = s, also when run.direction = 1) the product W_ih x_t + b_ih.

    W_ih: int8 (3Hd, I); b_ih: int16 (3Hd,); x_seq: int16 (T, I); plan: with CFG_FEAT.SPLIT,
    the plan registers of the phase's image (None: the uniform plan of rep_rows).
    """
    _check_run(hw, run)
    W, b = _check_weights("W_ih", W_ih, "b_ih", b_ih, run, run.I)
    xs = _check_seq("x_seq", x_seq, run, run.I)
    layer, w_nz = run.layer(run.I), W != 0
    gx = [matvec_q(W, x_t, b, run.shift) for x_t in xs]
    prods = [simulate_product(w_nz, x_t != 0, hw, layer, plan=plan) for x_t in xs]
    nnz = [int(np.count_nonzero(x_t)) for x_t in xs]
    wide = bool(run.feat & FEAT_WIDE_ENC)
    ahead = None
    if run.feat & FEAT_RUN_AHEAD:
        ahead = x_phase_run_ahead(hw, run, W != 0, xs != 0, plan=plan)
        steps = [StepExpect(p, c, n) for p, c, n in zip(ahead.products, ahead.step_cycles, nnz)]
    elif run.feat & FEAT_OVERLAP:
        schedule = x_phase_prefetch if run.feat & FEAT_PREFETCH else x_phase_overlap
        sched = schedule(hw, run.I, run.M, prods, wide)
        steps = [StepExpect(p, o.step_cycles, n, o) for p, o, n in zip(prods, sched, nnz)]
    else:
        steps = [StepExpect(p, x_step_cycles(hw, run.I, p.cycles, wide), n)
                 for p, n in zip(prods, nnz)]
    return PhaseExpect(steps=steps, cycles=sum(s.step_cycles for s in steps),
                       gx=np.stack(gx).astype(np.int16), h=None, r=None, z=None, n=None,
                       h_last=None, ahead=ahead)


def expect_h_phase(hw: HwConfig, run: GruRun, W_hh, b_hh, gx,
                   h0: Optional[np.ndarray] = None,
                   plan: Optional[np.ndarray] = None) -> PhaseExpect:
    """H phase: encode h_0, then per step s (t = s forward, T-1-s backward) the product
    gh_t = W_hh h_{t-1} + b_hh and the element-wise unit (golden.gru.gru_gates_q).

    W_hh: int8 (3Hd, Hd); b_hh: int16 (3Hd,); gx: int16 (T, 3Hd) by time t (the X phase's GX);
    h0: int16 (Hd,) as stored in HBUF (not thresholded), None for zeros; plan: as for
    expect_x_phase.
    """
    _check_run(hw, run)
    W, b = _check_weights("W_hh", W_hh, "b_hh", b_hh, run, run.Hd)
    g = _check_seq("gx", gx, run, run.M)
    if h0 is None:
        h = np.zeros(run.Hd, dtype=np.int64)
    else:
        h = as_int_array("h0", h0, 16, 1)
        if h.shape != (run.Hd,):
            raise SpecError(f"h0 has shape {h.shape}, expected ({run.Hd},) for Hd={run.Hd}")
    layer, w_nz = run.layer(run.Hd), W != 0
    shape = (run.T, run.Hd)
    out = {k: np.zeros(shape, dtype=np.int16) for k in ("h", "r", "z", "n")}
    steps = []
    for s, t in enumerate(run.time_order()):
        gh = matvec_q(W, h, b, run.shift)
        prod = simulate_product(w_nz, h != 0, hw, layer, plan=plan)
        steps.append(StepExpect(prod, h_step_cycles(hw, run.Hd, prod.cycles, s == 0),
                                int(np.count_nonzero(h))))
        r, z, n, h_new = gru_gates_q(g[t], gh, h, run.threshold)
        out["h"][t], out["r"][t], out["z"][t], out["n"][t] = h_new, r, z, n
        h = h_new.astype(np.int64)
    return PhaseExpect(steps=steps, cycles=sum(st.step_cycles for st in steps), gx=None,
                       h=out["h"], r=out["r"], z=out["z"], n=out["n"],
                       h_last=h.astype(np.int16))


def phase_cycles_bound(hw: HwConfig, run: GruRun) -> int:
    """A generous upper bound on a phase's busy cycles (for testbench watchdogs)."""
    _check_run(hw, run)
    N = max(run.I, run.Hd)
    k = words_per_row(hw, N)
    # A lane processes at most SLOTS rows of at most K + P AG cycles each.
    prod = hw.SLOTS * (k + partition_width(hw, N)) + hw.QDEPTH + ceil_div(run.M, hw.H) + 16
    return run.T * (prod + 2 * run.Hd + 2 * N + 2 * hw.V * k + 16)
