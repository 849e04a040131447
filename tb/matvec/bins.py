"""Coverage bin vocabularies and the pure functions that name a product's bins.

Shared by the coverage model (tb.matvec.coverage), which samples these bins, and the stimulus
generators (tb.matvec.stimulus), which aim layers at them: both import this module, neither
imports the other's bin logic.  docs/coverage-model.md explains every bin and why it is there.
"""
from __future__ import annotations

import functools
from typing import Iterable, Optional

import numpy as np

from golden.config import (FEAT_SPLIT, HwConfig, LayerConfig, StealMode, ceil_div, neighbours,
                           replica_rows, rows_of_lane)
from golden.perf import PerfFlag

# -- bin vocabularies -------------------------------------------------------------------------------
STEAL_EVENTS = ("stole_prev", "stole_next", "lost_row", "refused", "dual_thief", "last_row_race",
                "refused_exhausted", "refused_done", "refused_contention", "victim_then_thief",
                "zero_work_steal")
DIRECTIONS = ("vertical_prev", "vertical_next", "horizontal_prev", "horizontal_next")
POSITIONS = ("corner", "edge", "interior")
AXIS_POSITIONS = ("first", "middle", "last")
STEAL_MODES = ("vertical", "horizontal")
STEAL_CLASSES = ("steal", "lost", "refused", "contention")
W_DENS = ("w_sparse", "w_mid", "w_dense")
A_DENS = ("a_sparse", "a_mid", "a_dense")
ENC_CORNERS = ("w_word_all_zero", "w_word_all_one", "a_word_all_zero", "a_word_all_one",
               "empty_row", "empty_partition_cols", "empty_partition_weights",
               "empty_partition_acts", "zero_act_vector", "single_nz_weight", "single_nz_act",
               "eff_bit_first", "eff_bit_last", "zero_work_row", "m_not_mult_h", "n_not_mult_v",
               "p_not_mult_b", "m_lt_h", "max_dims", "full_weight_sram", "y_sat_pos",
               "y_sat_neg")
OUTCOMES = ("mode_none", "steals_granted", "steals_refused", "balanced_no_steal",
            "consecutive_step_steals")
MODES_ALL = ("none", "vertical", "horizontal")
STEAL_MODE_OF = {name: StealMode[name.upper()] for name in MODES_ALL}
# CFG_FEAT.NULL_SKIP products (rule N1): null mask words at the row boundaries of a row task
# with K >= 2 words, a claimed row task with weights but no effective op, and such a row stolen;
# rows retired by N2, by the N3 scanner at an owner's head, and at a replica range's tail.
NULL_SKIP_CORNERS = ("first_word_null", "last_word_null", "all_words_null", "zero_work_steal",
                     "row_retired", "scan_head", "scan_tail")
# CFG_FEAT values of those products: NULL_SKIP alone, NULL_SKIP | ROW_SKIP (N2),
# NULL_SKIP | SCAN (N3)
NULL_SKIP_FEATS = ("n1", "n1_n2", "n1_n3")
REP_BINS = ("rep0", "rep1", "rep_mid", "rep_max")
SHIFT_BINS = ("s0", "s_mid", "s15")
LOADS = ("backdoor", "frontdoor", "reuse")
DUAL_WINNERS = ("prev_side", "next_side")
ERR_BINS = tuple(range(1, 9))

# Memory-port range checks (contract section 6): every memory class by select code, with its
# unit count (None: no unit) and address depth.  The GRU memories share the port.
MEM_CLASSES = ("mask", "rowptr", "weight", "amask", "aval", "bias", "y", "stats",
               "xbuf", "hbuf", "gx", "hout", "step", "plan")
PLAN_DEPTH = 2        # split plan registers per lane (masr_pkg::PlanDepth): base_0, base_1
STAT_NUM = 7          # lane statistics words (masr_pkg::STAT_NUM)
STEP_WORDS = 8        # GRU step record words (masr_pkg::StepWords)


def mem_limits(hw: HwConfig) -> list[tuple[str, int, int | None, int]]:
    """(class, select, unit count or None, depth) of every memory class on the port."""
    hd_max = min(hw.M_MAX // 3, hw.N_MAX)
    units = {"mask": hw.n_lanes, "rowptr": hw.n_lanes, "weight": hw.n_lanes,
             "stats": hw.n_lanes, "amask": hw.n_pes, "aval": hw.n_pes, "plan": hw.n_lanes}
    depth = {"mask": hw.MDEPTH, "rowptr": hw.SLOTS, "weight": hw.WDEPTH,
             "amask": hw.AMASK_DEPTH, "aval": hw.AVAL_DEPTH, "bias": hw.M_MAX, "y": hw.M_MAX,
             "stats": STAT_NUM, "xbuf": hw.T_MAX * hw.N_MAX, "hbuf": hd_max,
             "gx": hw.T_MAX * hw.M_MAX, "hout": hw.T_MAX * 2 * hd_max,
             "step": hw.T_MAX * STEP_WORDS, "plan": PLAN_DEPTH}
    # The plan registers exist only in a build with SPLIT (without it select 13 is out of range).
    return [(name, sel, units.get(name), depth[name]) for sel, name in enumerate(MEM_CLASSES)
            if name != "plan" or hw.feat_available & FEAT_SPLIT]


SLOTS_BOUNDARY_TAG = "slots_boundary:"


def slots_boundary_bins(hw: HwConfig) -> list[str]:
    """The replica-slot check (R + Q_prev + Q_next > SLOTS, both sides of every lane) driven at
    the largest legal rep_rows and one past it, per steal mode whose error ErrorTest drives;
    with SPLIT (plan registers, horizontal, H >= 3) the same per replica side, plus each plan
    condition (base_0 <= base_1, base_1 <= R) one past its limit."""
    modes = ["horizontal"] + (["vertical"] if hw.V >= 3 else [])
    bins = [f"{m}.{where}" for m in modes for where in ("at_limit", "one_past")]
    bins += [f"{m}.{side}_side_only" for m in modes for side in ("prev", "next")
             if one_side_slots_overflow(hw, STEAL_MODE_OF[m], side)]
    if split_boundary_possible(hw):
        bins += [f"split_{side}.{where}" for side in ("prev", "next")
                 for where in ("at_limit", "one_past")]
        bins += ["split_plan_order.one_past", "split_plan_rows.one_past"]
    return bins


@functools.lru_cache(maxsize=None)
def one_side_slots_overflow(hw: HwConfig, mode: StealMode, side: str
                            ) -> Optional[tuple[int, int]]:
    """(M, rep_rows) whose ERR_SLOTS only the ``side`` ("prev" / "next") replicas of lanes
    that have that neighbour cause: without them every such lane fits, and the lanes without
    that neighbour fit even counting their own lane-row's replicas on that side (as a check
    indexing the wrong lane-row would).  It needs lane-rows with different row counts (M not a
    multiple of H), which the at-limit items do not have.  None if no layer of ``hw`` is one."""
    s_ = 1 if side == "next" else 0          # index of ``side`` in neighbours()'s (prev, next)
    for M in range(hw.M_MAX, 0, -1):
        if M % hw.H == 0:
            continue
        for rep in range(1, ceil_div(M, hw.H) + 2):
            layer = LayerConfig(M, 1, StealMode(mode), rep)
            over, others_fit = False, True
            for h, v in hw.lanes():
                r, nbrs = rows_of_lane(hw, M, h), neighbours(hw, mode, h, v)
                q = [replica_rows(hw, layer, n[0]) if n else 0 for n in nbrs]
                over |= r + sum(q) > hw.SLOTS
                wrong_index = 0 if nbrs[s_] is not None else replica_rows(hw, layer, h)
                others_fit &= r + q[1 - s_] + wrong_index <= hw.SLOTS
            if over and others_fit:
                return M, rep
            if over:
                break                        # a larger rep_rows only needs more slots
    return None


def split_boundary_possible(hw: HwConfig) -> bool:
    """A lane with both horizontal neighbours (H >= 3) and a build with SPLIT."""
    return hw.H >= 3 and bool(hw.feat_available & FEAT_SPLIT)


def mem_boundary_probes(hw: HwConfig) -> list[tuple[str, int, int, int, bool]]:
    """(bin, select, unit, addr, out of range) reads exactly at each limit and one past it:
    the last legal address / unit must not set ERR_MEM_RANGE, the first illegal one must
    (an off-by-one or a check against the wrong class's limit passes any other access)."""
    probes = []
    for name, sel, units, depth in mem_limits(hw):
        probes += [(f"{name}.addr.last", sel, 0, depth - 1, False),
                   (f"{name}.addr.one_past", sel, 0, depth, True)]
        if units is not None:
            probes += [(f"{name}.unit.last", sel, units - 1, 0, False),
                       (f"{name}.unit.one_past", sel, units, 0, True)]
    return probes

_FLAG_EVENTS = (
    (PerfFlag.DUAL_THIEF, "dual_thief"), (PerfFlag.LAST_ROW_RACE, "last_row_race"),
    (PerfFlag.REFUSED_EXHAUSTED, "refused_exhausted"), (PerfFlag.REFUSED_DONE, "refused_done"),
    (PerfFlag.REFUSED_CONTENTION, "refused_contention"),
    (PerfFlag.VICTIM_THEN_THIEF, "victim_then_thief"),
    (PerfFlag.ZERO_WORK_STEAL, "zero_work_steal"), (PerfFlag.STOLE_PREV, "stole_prev"),
    (PerfFlag.STOLE_NEXT, "stole_next"),
)


# -- pure bin functions -------------------------------------------------------------------------------

def lane_events(stats: dict[str, int]) -> list[str]:
    """Steal events of one lane in one product, from its lane statistics and FLAGS."""
    ev = [name for flag, name in _FLAG_EVENTS if stats.get("FLAGS", 0) & int(flag)]
    if stats.get("ROWS_LOST", 0) > 0:
        ev.append("lost_row")
    if stats.get("REFUSED", 0) > 0:
        ev.append("refused")
    return sorted(ev, key=STEAL_EVENTS.index)


def steal_class(event: str) -> str:
    if event in ("stole_prev", "stole_next", "victim_then_thief", "zero_work_steal"):
        return "steal"
    if event == "lost_row":
        return "lost"
    if event in ("dual_thief", "last_row_race", "refused_contention"):
        return "contention"
    return "refused"


def class_cells(W: np.ndarray, x: np.ndarray, events: Iterable[tuple]) -> set[tuple[str, str, str]]:
    """The (steal class, weight bin, activation bin) bins of the steal_x cross that a product
    with these operands samples; ``events`` are tuples that start with the steal event
    ((event, axis, mode) combinations or (event, position, axis, mode) lane bins)."""
    wd, ad = densities(W, x)
    wb, ab = w_density_bin(wd), a_density_bin(ad)
    return {(steal_class(e[0]), wb, ab) for e in events}


def lane_position(hw: HwConfig, h: int, v: int) -> str:
    """corner / edge / interior in the 2D array."""
    on_h = h in (0, hw.H - 1)
    on_v = v in (0, hw.V - 1)
    return "corner" if on_h and on_v else "edge" if on_h or on_v else "interior"


def axis_length(hw: HwConfig, mode: StealMode) -> int:
    return hw.V if StealMode(mode) == StealMode.VERTICAL else hw.H


def axis_position(hw: HwConfig, mode: StealMode, h: int, v: int) -> str:
    """first (no prev neighbour) / last (no next) / middle along the steal axis of ``mode``."""
    idx = v if StealMode(mode) == StealMode.VERTICAL else h
    n = axis_length(hw, mode)
    return "first" if idx == 0 else "last" if idx == n - 1 else "middle"


def w_density_bin(d: float) -> str:
    return "w_sparse" if d <= 0.15 else "w_mid" if d <= 0.5 else "w_dense"


def a_density_bin(d: float) -> str:
    return "a_sparse" if d <= 0.3 else "a_mid" if d <= 0.7 else "a_dense"


def densities(W: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    return float((W != 0).mean()) if W.size else 0.0, float((x != 0).mean()) if x.size else 0.0


def mode_name(mode: StealMode) -> str:
    return StealMode(int(mode)).name.lower()


def shift_bin(shift: int) -> str:
    return "s0" if shift == 0 else "s15" if shift == 15 else "s_mid"
