"""GRU functional coverage (cocotb-coverage), fed from the GRU monitor's analysis port.

Groups (root ``masr``, so the XML names them ``top.masr.gru_*`` next to the matrix-vector groups
and ``make sim``'s coverage table lists them; docs/coverage-model.md explains every bin):

- ``masr.gru_steal``: stealing across consecutive steps of one phase (same weights, the
  activation masks change every step): a pair of steps (s, s+1) that both steal with a changed
  activation mask, whose steal counts differ, where stealing starts or stops; x phase and mode.
- ``masr.gru_act``: activation sparsity of every step's product (ACT_NNZ / N) x phase.
- ``masr.gru_sat``: the region each step's sigmoid (r, z) and tanh (n) inputs fell in
  (saturated negative / linear negative / linear positive / saturated positive), from the
  golden pre-activations of a phase the DUT matched bit-exactly.
- ``masr.gru_h``: h_t all zero / mixed / all non-zero, and steps where the threshold cut a
  non-zero value.
- ``masr.gru_cfg``: per layer: T (1, 2-8, 9..T_MAX-1, T_MAX), direction (fwd/bwd/bi) x steal
  mode, threshold bins, I and Hd extremes, load path.
- ``masr.gru_err``: the error codes the GRU tests provoke (9-12 and 2-8 on GRU starts, GRU
  memories, running GRU phases and GRU registers).
- ``masr.gru_overlap``: CFG_FEAT.OVERLAP in X phases (a compute beside the previous output
  phase, a start after it, T = 1) and H phases started with the bit, x steal mode; with
  PREFETCH: a product started in SqStep from a vector encoded earlier or in that very cycle, one
  that waited for the encoder, an ERR_WPTR abort while the encoder streams the next vector.
- ``masr.gru_enc``: CFG_FEAT.WIDE_ENC X phases (the encoder takes a mask word per cycle): serial,
  with OVERLAP, with PREFETCH; a word shorter than B at a partition's end, trailing pad words,
  a word of B non-zeros (every value port in one cycle), an all-zero word.
- ``masr.gru_split``: CFG_FEAT.SPLIT phases x steal mode: a step that stole through the split
  ranges in an X phase and in an H phase (dependent products), and X phases that also ran
  OVERLAP, PREFETCH and WIDE_ENC.
- ``masr.gru_ahead``: CFG_FEAT.RUN_AHEAD X phases x steal mode: lanes in a product before the
  previous one's compute ended, entries that waited for the encoder or for the accumulator bank,
  products whose computes end in consecutive cycles (back-to-back SqSteps), the encoder waiting
  for an RF set to be free, T = 1, steals (shared and split ranges), WIDE_ENC, an H phase
  started with the bit (runs unchanged) and an ERR_WPTR abort from a lane that ran ahead.

The bin functions are pure and unit-tested (tests/test_gru_tb.py).  Only phases the scoreboard
passed are sampled.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_db
from pyuvm import ConfigDB, uvm_subscriber

from golden.config import (FEAT_OVERLAP, FEAT_PREFETCH, FEAT_RUN_AHEAD, FEAT_SPLIT, FEAT_WIDE_ENC,
                           HwConfig, StealMode, partition_width)
from golden.gru_seq import encoder_pad
from golden.numerics import SIGMOID_SAT, TANH_SAT
from tb.gru.bfm import PHASE_H, PHASE_M, PHASE_X, STEP_NAMES, geometry
from tb.gru.items import BUSY_CODES

PAIR_EVENTS = ("steal_both_mask_changed", "steal_count_changed", "steal_starts", "steal_stops")
PHASE_KINDS = ("x", "h")
STEAL_MODES = ("vertical", "horizontal")
ACT_BINS = ("act_zero", "act_sparse", "act_mid", "act_dense", "act_full")
GATES = ("r", "z", "n")
REGIONS = ("sat_neg", "lin_neg", "lin_pos", "sat_pos")
H_STATES = ("h_all_zero", "h_mixed", "h_all_nonzero", "thr_cut", "h_eq_thr")
T_BINS = ("t1", "t2_8", "t9_max_1", "t_max")
DIR_KINDS = ("fwd", "bwd", "bi")
MODES_ALL = ("none", "vertical", "horizontal")
THR_BINS = ("thr0", "thr_small", "thr_mid", "thr_large", "thr_max")
HD_BINS = ("hd1", "hd_mid", "hd_max")
I_BINS = ("i1", "i_mid", "i_max")
LOADS = ("backdoor", "frontdoor")
GRU_ERR_BINS = (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
# CFG_FEAT.OVERLAP (docs/gru-layer.md 8.6): a product computing beside the previous output phase,
# or starting after it has ended (encoding x_t took longer), T = 1, an H phase started with the
# bit (which must run unchanged), and an ERR_WPTR abort that cuts an output phase short.
# CFG_FEAT.PREFETCH (8.6): the next product starts in SqStep from a vector encoded before that
# cycle or in it, or waits for the encoder in SqEncWait; an abort while x_{s+1} is streaming.
PREFETCH_EVENTS = ("prefetch_ready_early", "prefetch_ready_in_step", "prefetch_waited",
                   "abort_mid_prefetch")
OVERLAP_EVENTS = ("beside_drain", "drain_before_start", "t1", "h_phase_unchanged",
                  "abort_beside_drain", "start_at_drain_end") + PREFETCH_EVENTS

# CFG_FEAT.WIDE_ENC (docs/gru-datapath.md 3, word mode): how the phase ran and which word shapes
# the encoder met.
WIDE_ENC_EVENTS = ("word_serial", "word_overlap", "word_prefetch", "short_last_word",
                   "pad_words", "full_dense_word", "empty_word")

# CFG_FEAT.SPLIT in GRU phases (docs/gru-layer.md 8.5): split-range steals in either phase, and
# the X-phase schedules they ran beside.
SPLIT_EVENTS = ("x_steal", "h_steal", "x_overlap", "x_prefetch", "x_wide")

# CFG_FEAT.RUN_AHEAD (docs/gru-layer.md 8.6), from the golden schedule of a phase whose STEP
# words (every product's counters and STEP_CYCLES) the scoreboard matched.
AHEAD_EVENTS = ("lanes_apart", "gate_encoder", "gate_bank", "ends_back_to_back",
                "encoder_waits_set", "t1", "steal", "split_steal", "wide", "h_phase_unchanged",
                "abort_ahead")

_STEAL = STEP_NAMES.index("STEAL_GRANTED")
_NNZ = STEP_NAMES.index("ACT_NNZ")


# -- pure bin functions -------------------------------------------------------------------------------

def act_bin(nnz: int, n: int) -> str:
    """ACT_NNZ / N of one step's product."""
    if nnz == 0:
        return "act_zero"
    if nnz >= n:
        return "act_full"
    d = nnz / n
    return "act_sparse" if d <= 0.3 else "act_mid" if d <= 0.7 else "act_dense"


def pair_events(steals: np.ndarray, masks: np.ndarray) -> list[set[str]]:
    """For each consecutive step pair (s, s+1): which stealing events it shows.

    steals: (T,) STEAL_GRANTED per step; masks: (T, N) bool activation masks the products read.
    """
    out = []
    for s in range(len(steals) - 1):
        a, b = int(steals[s]), int(steals[s + 1])
        ev: set[str] = set()
        if a and b:
            if not np.array_equal(masks[s], masks[s + 1]):
                ev.add("steal_both_mask_changed")
            if a != b:
                ev.add("steal_count_changed")
        elif b:
            ev.add("steal_starts")
        elif a:
            ev.add("steal_stops")
        out.append(ev)
    return out


def region(pre: np.ndarray, sat: int) -> set[str]:
    """Regions a gate's inputs fell in: |x| >= sat saturates (sigmoid 2048, tanh 1024 LSB)."""
    p = np.asarray(pre, dtype=np.int64)
    out = set()
    if (p <= -sat).any():
        out.add("sat_neg")
    if ((p > -sat) & (p < 0)).any():
        out.add("lin_neg")
    if ((p >= 0) & (p < sat)).any():
        out.add("lin_pos")
    if (p >= sat).any():
        out.add("sat_pos")
    return out


def h_states(h: np.ndarray, h_raw: np.ndarray, threshold: int = 0) -> list[str]:
    """One step's h_t (after the threshold), h before it and the threshold."""
    h, h_raw = np.asarray(h), np.asarray(h_raw, dtype=np.int64)
    nz = h != 0
    out = ["h_all_zero" if not nz.any() else "h_all_nonzero" if nz.all() else "h_mixed"]
    if ((h_raw != 0) & ~nz).any():
        out.append("thr_cut")
    if threshold > 0 and (np.abs(h_raw) == threshold).any():
        out.append("h_eq_thr")            # |h| == thr: kept (the compare is strict)
    return out


def t_bin(T: int, t_max: int) -> str:
    return "t1" if T == 1 else "t_max" if T >= t_max else "t2_8" if T <= 8 else "t9_max_1"


def thr_bin(thr: int) -> str:
    if thr == 0:
        return "thr0"
    if thr >= 32767:
        return "thr_max"
    return "thr_small" if thr < 64 else "thr_mid" if thr < 1024 else "thr_large"


def extreme_bin(v: int, top: int, prefix: str) -> str:
    return f"{prefix}1" if v == 1 else f"{prefix}_max" if v >= top else f"{prefix}_mid"


def mode_name(mode: int) -> str:
    return StealMode(int(mode)).name.lower()


# -- the cocotb-coverage model ------------------------------------------------------------------------

@dataclass
class GruCoverageModel:
    root: str
    sample_pair: Callable[..., Any]
    sample_act: Callable[..., Any]
    sample_sat: Callable[..., Any]
    sample_h: Callable[..., Any]
    sample_cfg: Callable[..., Any]
    sample_thr: Callable[..., Any]
    sample_dims: Callable[..., Any]
    sample_err: Callable[..., Any]
    sample_overlap: Callable[..., Any]
    sample_enc: Callable[..., Any]
    sample_split: Callable[..., Any]
    sample_ahead: Callable[..., Any]

    def groups(self) -> list[str]:
        prefix = self.root + ".gru_"
        return sorted(k for k in coverage_db if k.startswith(prefix) and k.count(".") == 1)

    def percentages(self) -> dict[str, float]:
        return {g: round(coverage_db[g].cover_percentage, 2) for g in self.groups()}

    def detail(self) -> dict[str, dict]:
        out = {}
        for name in sorted(coverage_db):
            if name.startswith(self.root + ".gru_") and name.count(".") == 2:
                out[name] = {str(k): v for k, v in coverage_db[name].detailed_coverage.items()}
        return out


_MODELS: dict[str, GruCoverageModel] = {}


def build_gru_model(hw: HwConfig, root: str = "masr") -> GruCoverageModel:
    """Create (once per process and root) every GRU cover point and cross."""
    if root in _MODELS:
        return _MODELS[root]
    r = root

    @CoverPoint(f"{r}.gru_steal.pair", xf=lambda ev, ph, m: ev, bins=list(PAIR_EVENTS))
    @CoverPoint(f"{r}.gru_steal.phase", xf=lambda ev, ph, m: ph, bins=list(PHASE_KINDS))
    @CoverPoint(f"{r}.gru_steal.mode", xf=lambda ev, ph, m: m, bins=list(STEAL_MODES))
    @CoverCross(f"{r}.gru_steal.pair_x_phase_x_mode",
                items=[f"{r}.gru_steal.pair", f"{r}.gru_steal.phase", f"{r}.gru_steal.mode"])
    def sample_pair(ev: str, ph: str, m: str) -> None:
        pass

    @CoverPoint(f"{r}.gru_act.density", xf=lambda d, ph: d, bins=list(ACT_BINS))
    @CoverPoint(f"{r}.gru_act.phase", xf=lambda d, ph: ph, bins=list(PHASE_KINDS))
    @CoverCross(f"{r}.gru_act.density_x_phase",
                items=[f"{r}.gru_act.density", f"{r}.gru_act.phase"])
    def sample_act(d: str, ph: str) -> None:
        pass

    @CoverPoint(f"{r}.gru_sat.gate", xf=lambda g, reg: g, bins=list(GATES))
    @CoverPoint(f"{r}.gru_sat.region", xf=lambda g, reg: reg, bins=list(REGIONS))
    @CoverCross(f"{r}.gru_sat.gate_x_region", items=[f"{r}.gru_sat.gate", f"{r}.gru_sat.region"])
    def sample_sat(g: str, reg: str) -> None:
        pass

    @CoverPoint(f"{r}.gru_h.state", bins=list(H_STATES))
    def sample_h(state: str) -> None:
        pass

    @CoverPoint(f"{r}.gru_cfg.t_len", xf=lambda t, d, m, ld: t, bins=list(T_BINS))
    @CoverPoint(f"{r}.gru_cfg.direction", xf=lambda t, d, m, ld: d, bins=list(DIR_KINDS))
    @CoverPoint(f"{r}.gru_cfg.mode", xf=lambda t, d, m, ld: m, bins=list(MODES_ALL))
    @CoverPoint(f"{r}.gru_cfg.load", xf=lambda t, d, m, ld: ld, bins=list(LOADS))
    @CoverCross(f"{r}.gru_cfg.direction_x_mode",
                items=[f"{r}.gru_cfg.direction", f"{r}.gru_cfg.mode"])
    def sample_cfg(t: str, d: str, m: str, ld: str) -> None:
        pass

    @CoverPoint(f"{r}.gru_cfg.threshold", bins=list(THR_BINS))
    def sample_thr(b: str) -> None:
        pass

    @CoverPoint(f"{r}.gru_cfg.hd", xf=lambda hd, i: hd, bins=list(HD_BINS))
    @CoverPoint(f"{r}.gru_cfg.inputs", xf=lambda hd, i: i, bins=list(I_BINS))
    def sample_dims(hd: str, i: str) -> None:
        pass

    @CoverPoint(f"{r}.gru_err.code", bins=list(GRU_ERR_BINS))
    def sample_err(code: int) -> None:
        pass

    @CoverPoint(f"{r}.gru_overlap.event", xf=lambda ev, m: ev, bins=list(OVERLAP_EVENTS))
    @CoverPoint(f"{r}.gru_overlap.mode", xf=lambda ev, m: m, bins=list(MODES_ALL))
    def sample_overlap(ev: str, m: str) -> None:
        pass

    @CoverPoint(f"{r}.gru_enc.event", bins=list(WIDE_ENC_EVENTS))
    def sample_enc(ev: str) -> None:
        pass

    @CoverPoint(f"{r}.gru_split.event", xf=lambda ev, m: ev, bins=list(SPLIT_EVENTS))
    @CoverPoint(f"{r}.gru_split.mode", xf=lambda ev, m: m, bins=list(STEAL_MODES))
    @CoverCross(f"{r}.gru_split.event_x_mode",
                items=[f"{r}.gru_split.event", f"{r}.gru_split.mode"])
    def sample_split(ev: str, m: str) -> None:
        pass

    @CoverPoint(f"{r}.gru_ahead.event", xf=lambda ev, m: ev, bins=list(AHEAD_EVENTS))
    @CoverPoint(f"{r}.gru_ahead.mode", xf=lambda ev, m: m, bins=list(MODES_ALL))
    def sample_ahead(ev: str, m: str) -> None:
        pass

    model = GruCoverageModel(r, sample_pair, sample_act, sample_sat, sample_h, sample_cfg,
                             sample_thr, sample_dims, sample_err, sample_overlap, sample_enc,
                             sample_split, sample_ahead)
    _MODELS[root] = model
    return model


def overlap_events(steps: list[Any]) -> set[str]:
    """OVERLAP_EVENTS of one overlapped X phase from its golden schedule (StepExpect.overlap;
    the scoreboard has checked every STEP_CYCLES word of it against the DUT)."""
    later = [st.overlap.beside_drain for st in steps[1:]]
    return ({"t1"} if len(steps) == 1 else set()) | \
        ({"beside_drain"} if any(later) else set()) | \
        ({"drain_before_start"} if later and not all(later) else set()) | \
        ({"start_at_drain_end"} if any(st.overlap.start_at_drain_end for st in steps) else set()) | \
        prefetch_events(steps)


def prefetch_events(steps: list[Any]) -> set[str]:
    """PREFETCH_EVENTS of one X phase from its golden schedule (none without PREFETCH)."""
    waits = [(st.overlap.encoder_wait, st.overlap.ready_early) for st in steps[1:]
             if st.overlap.encoder_wait is not None]
    return ({"prefetch_ready_early"} if any(w == 0 and e for w, e in waits) else set()) | \
        ({"prefetch_ready_in_step"} if any(w == 0 and not e for w, e in waits) else set()) | \
        ({"prefetch_waited"} if any(w > 0 for w, _ in waits) else set())


def wide_encoder_events(hw: HwConfig, I: int, x_seq: np.ndarray, feat: int) -> set[str]:
    """WIDE_ENC_EVENTS of one X phase (feat holds WIDE_ENC): its schedule, and the shapes of the
    mask words the encoder took (word k of partition u: columns u*P + k*B .. up to B of them,
    cut at the partition's and the vector's end)."""
    P, B = partition_width(hw, I), hw.B
    sched = ("word_prefetch" if feat & FEAT_PREFETCH else
             "word_overlap" if feat & FEAT_OVERLAP else "word_serial")
    events = {sched}
    nz = np.asarray(x_seq) != 0
    for u in range(-(-I // P)):
        for c0 in range(u * P, min(I, (u + 1) * P), B):
            w = min(B, (u + 1) * P - c0, I - c0)
            events |= {"short_last_word"} if w < B else set()
            counts = nz[:, c0: c0 + w].sum(axis=1)
            events |= {"full_dense_word"} if w == B and (counts == B).any() else set()
            events |= {"empty_word"} if (counts == 0).any() else set()
    return events | ({"pad_words"} if encoder_pad(hw, I) > 0 else set())


def ahead_events(ahead: Any, feat: int, steals: np.ndarray) -> set[str]:
    """AHEAD_EVENTS of one RUN_AHEAD X phase from its golden schedule
    (golden.gru_seq.RunAheadPhase) and STEAL_GRANTED per step."""
    fe, ready, ce, de = ahead.first_entry, ahead.entry_ready, ahead.compute_end, ahead.drain_end
    st, T = ahead.encoder_start, len(fe)
    done = [r - 1 for r in ready]            # the encoder's done cycle of x_q (q >= 1)
    events = {"t1"} if T == 1 else set()
    for q in range(1, T):
        bank = de[q - 2] if q >= 2 else -1   # the cycle from which q's bank is free
        events |= {"lanes_apart"} if fe[q] < ce[q - 1] else set()
        events |= {"gate_encoder"} if fe[q] == ready[q] > bank else set()
        events |= {"gate_bank"} if fe[q] == bank > ready[q] else set()
        events |= {"ends_back_to_back"} if ce[q] == ce[q - 1] + 1 else set()
        if q >= 2 and st[q] == ce[q - 2] > done[q - 1]:
            events.add("encoder_waits_set")
    if (np.asarray(steals) > 0).any():
        events.add("split_steal" if feat & FEAT_SPLIT else "steal")
    return events | ({"wide"} if feat & FEAT_WIDE_ENC else set())


def split_phase_events(phase: str, feat: int, steals: np.ndarray) -> set[str]:
    """SPLIT_EVENTS of one phase run with CFG_FEAT.SPLIT (steals: STEAL_GRANTED per step)."""
    ph = "x" if phase == PHASE_X else "h"
    events = {f"{ph}_steal"} if (np.asarray(steals) > 0).any() else set()
    if phase == PHASE_X:
        events |= {ev for ev, bit in (("x_overlap", FEAT_OVERLAP), ("x_prefetch", FEAT_PREFETCH),
                                      ("x_wide", FEAT_WIDE_ENC)) if feat & bit}
    return events


def step_masks(item: Any, gold: Any, direction: int, phase: str) -> np.ndarray:
    """(T, N) activation masks of the phase's products, in processing order s."""
    if phase == PHASE_X:
        return np.asarray(item.x_seq) != 0
    g = gold.dirs[direction]
    order = [g.time_of_step(s) for s in range(item.T)]
    return np.asarray(g.h_prev)[order] != 0


class GruCoverageSampler:
    """GruPhaseResults -> coverage samples (no UVM; the subscriber wraps it)."""

    def __init__(self, hw: HwConfig, root: str = "masr") -> None:
        self.hw = hw
        self.geo = geometry(hw)
        self.model = build_gru_model(hw, root)

    def sample(self, res: Any) -> None:
        if not res.passed or not res.done or res.dump is None:
            return
        item, m = res.item, self.model
        if item.err is not None:
            m.sample_err(int(item.err.expect))
            if item.err.wptr_step and getattr(item, "feat", 0) & FEAT_OVERLAP:
                # compare_rejected has checked the abort came during the previous drain
                m.sample_overlap("abort_beside_drain", mode_name(item.mode))
            if item.err.wptr_ahead:
                # compare_rejected has checked the abort came from product 1 beside product 0
                m.sample_ahead("abort_ahead", mode_name(item.mode))
            elif item.err.wptr and getattr(item, "feat", 0) & FEAT_PREFETCH:
                # compare_rejected has checked the abort came while x_{s+1} was streaming
                m.sample_overlap("abort_mid_prefetch", mode_name(item.mode))
            return
        if item.busy_inject and res.last_phase:
            m.sample_err(BUSY_CODES[item.busy_inject])
        if res.phase == PHASE_M:
            return                                  # a plain product: tb.matvec.coverage's business
        gold = res.expected
        ph = "x" if res.phase == PHASE_X else "h"
        steps = res.dump.step_words(item.T)
        n = item.I if res.phase == PHASE_X else item.Hd
        for s in range(item.T):
            m.sample_act(act_bin(int(steps[s, _NNZ]), n), ph)
        if getattr(item, "feat", 0) & FEAT_WIDE_ENC and res.phase == PHASE_X:
            for ev in sorted(wide_encoder_events(self.hw, item.I, item.x_seq, item.feat)):
                m.sample_enc(ev)
        if getattr(item, "feat", 0) & FEAT_SPLIT and item.mode != StealMode.NONE:
            for ev in sorted(split_phase_events(res.phase, item.feat, steps[:, _STEAL])):
                m.sample_split(ev, mode_name(item.mode))
        ahead_bit = getattr(item, "feat", 0) & FEAT_RUN_AHEAD
        if ahead_bit:
            events = ({"h_phase_unchanged"} if res.phase == PHASE_H else
                      ahead_events(gold.phases[(res.direction, PHASE_X)].ahead, item.feat,
                                   steps[:, _STEAL]))
            for ev in sorted(events):
                m.sample_ahead(ev, mode_name(item.mode))
        if getattr(item, "feat", 0) & FEAT_OVERLAP and not (ahead_bit and res.phase == PHASE_X):
            events = ({"h_phase_unchanged"} if res.phase == PHASE_H else
                      overlap_events(gold.phases[(res.direction, PHASE_X)].steps))
            for ev in sorted(events):
                m.sample_overlap(ev, mode_name(item.mode))
        if item.mode != StealMode.NONE:
            masks = step_masks(item, gold, res.direction, res.phase)
            for ev in sorted(set().union(*pair_events(steps[:, _STEAL], masks))
                             if item.T > 1 else set()):
                m.sample_pair(ev, ph, mode_name(item.mode))
        if res.phase == PHASE_H:
            g = gold.dirs[res.direction]
            for t in range(item.T):
                for gate, pre, sat in (("r", g.pre_r[t], SIGMOID_SAT), ("z", g.pre_z[t], SIGMOID_SAT),
                                       ("n", g.pre_n[t], TANH_SAT)):
                    for reg in sorted(region(pre, sat)):
                        m.sample_sat(gate, reg)
                for st in h_states(g.h[t], g.h_raw[t], item.threshold):
                    m.sample_h(st)
        if res.last_phase:
            m.sample_cfg(t_bin(item.T, self.geo.T_MAX), item.direction_kind,
                         mode_name(item.mode), item.load)
            m.sample_thr(thr_bin(item.threshold))
            m.sample_dims(extreme_bin(item.Hd, self.geo.HD_MAX, "hd"),
                          extreme_bin(item.I, self.hw.N_MAX, "i"))


class GruCoverage(uvm_subscriber):
    def build_phase(self) -> None:
        self.hw = ConfigDB().get(self, "", "HW")
        self.sampler = GruCoverageSampler(self.hw)

    def write(self, res: Any) -> None:
        self.sampler.sample(res)

    def percentages(self) -> dict[str, float]:
        return self.sampler.model.percentages()


__all__ = ["GruCoverage", "GruCoverageSampler", "build_gru_model", "act_bin", "pair_events",
           "overlap_events",
           "region", "h_states", "t_bin", "thr_bin"]
