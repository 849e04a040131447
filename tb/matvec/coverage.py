"""Functional coverage model (cocotb-coverage) and the UVM coverage collector.

Bins are computed by pure functions (``lane_events``, ``lane_position``, ``axis_position``,
``density_bins``, ``encoding_corners``, ...) so they are unit-testable without a simulator.
``build_model(hw)`` creates the cover points and crosses once per process (cocotb-coverage's
``coverage_db`` is global) and returns the sampling functions.  docs/coverage-model.md explains
every bin and why it is there.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np
from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_db
from pyuvm import ConfigDB, uvm_subscriber

from golden.config import (FEAT_NULL_SKIP, FEAT_ROW_SKIP, FEAT_SCAN, FEAT_SPLIT, HwConfig,
                           LayerConfig, StealMode, partition_bounds, partition_width)
from golden.perf import PerfFlag
from golden.perf_v2 import SPLIT_EVENTS
from tb.matvec.bins import (AXIS_POSITIONS, A_DENS, DIRECTIONS, DUAL_WINNERS, ENC_CORNERS, ERR_BINS, LOADS,
                             MODES_ALL, NULL_SKIP_CORNERS, NULL_SKIP_FEATS, OUTCOMES, POSITIONS, REP_BINS, SHIFT_BINS, STEAL_CLASSES,
                             STEAL_EVENTS, STEAL_MODES, W_DENS, a_density_bin, axis_length, axis_position,
                             SLOTS_BOUNDARY_TAG, class_cells, lane_events, lane_position,
                             mem_boundary_probes, mode_name, shift_bin, slots_boundary_bins,
                             w_density_bin)
from tb.matvec.items import INJ_MEM_BOUNDARY
from tb.matvec.stimulus import Stimulus, dual_thief_winners, lane_weight_counts, max_rep_rows


# -- configuration and encoding bins -------------------------------------------------------------

def rep_bin(hw: HwConfig, layer: LayerConfig) -> str:
    if layer.mode == StealMode.NONE or layer.rep_rows == 0:
        return "rep0"
    if layer.rep_rows == 1:
        return "rep1"
    return "rep_max" if layer.rep_rows >= max_rep_rows(hw, layer.M, layer.mode) else "rep_mid"


def _partition_words(a: np.ndarray, hw: HwConfig, N: int) -> tuple[np.ndarray, np.ndarray]:
    """(..., N) bool -> (..., V, K, B) bools and a matching 'column exists' mask."""
    P = partition_width(hw, N)
    K = -(-P // hw.B)
    words = np.zeros(a.shape[:-1] + (hw.V, K * hw.B), dtype=bool)
    valid = np.zeros((hw.V, K * hw.B), dtype=bool)
    for v in range(hw.V):
        lo, hi = partition_bounds(hw, N, v)
        words[..., v, : hi - lo] = a[..., lo:hi]
        valid[v, : hi - lo] = True
    shape = a.shape[:-1] + (hw.V, K, hw.B)
    return words.reshape(shape), valid.reshape(hw.V, K, hw.B)


def encoding_corners(W: np.ndarray, x: np.ndarray, hw: HwConfig, layer: LayerConfig,
                     y: Optional[np.ndarray] = None, lane_weights: Optional[dict] = None) -> list[str]:
    """Encoding corners (brief section 3) present in one product."""
    M, N = layer.M, layer.N
    wnz, anz = W != 0, x != 0
    out: set[str] = set()
    ww, valid = _partition_words(wnz, hw, N)          # (M, V, K, B)
    aw, _ = _partition_words(anz, hw, N)              # (V, K, B)
    word_exists = valid.any(axis=2)                   # (V, K)
    full_word = valid.all(axis=2)                     # (V, K): all B columns exist
    wcount = ww.sum(axis=3)                           # (M, V, K)
    acount = aw.sum(axis=2)                           # (V, K)
    if ((wcount == 0) & word_exists[None]).any():
        out.add("w_word_all_zero")
    if ((wcount == hw.B) & full_word[None]).any():
        out.add("w_word_all_one")
    if ((acount == 0) & word_exists).any():
        out.add("a_word_all_zero")
    if ((acount == hw.B) & full_word).any():
        out.add("a_word_all_one")
    if (wnz.sum(axis=1) == 0).any():
        out.add("empty_row")
    part_cols = np.array([np.subtract(*partition_bounds(hw, N, v)[::-1]) for v in range(hw.V)])
    if (part_cols == 0).any():
        out.add("empty_partition_cols")
    for v in range(hw.V):
        lo, hi = partition_bounds(hw, N, v)
        if hi > lo and not wnz[:, lo:hi].any():
            out.add("empty_partition_weights")
        if hi > lo and not anz[lo:hi].any():
            out.add("empty_partition_acts")
    if not anz.any():
        out.add("zero_act_vector")
    if wnz.sum() == 1:
        out.add("single_nz_weight")
    if anz.sum() == 1:
        out.add("single_nz_act")
    eff = ww & aw[None]                                # (M, V, K, B)
    if eff[..., 0].any():
        out.add("eff_bit_first")
    if eff[..., hw.B - 1].any():
        out.add("eff_bit_last")
    if (wnz.any(axis=1) & ~(wnz & anz[None]).any(axis=1)).any():
        out.add("zero_work_row")
    if M % hw.H:
        out.add("m_not_mult_h")
    if N % hw.V:
        out.add("n_not_mult_v")
    if partition_width(hw, N) % hw.B:
        out.add("p_not_mult_b")
    if M < hw.H:
        out.add("m_lt_h")
    if M == hw.M_MAX and N == hw.N_MAX:
        out.add("max_dims")
    if lane_weights is not None and max(lane_weights.values()) == hw.WDEPTH:
        out.add("full_weight_sram")
    if y is not None:
        yy = np.asarray(y, dtype=np.int64)
        if (yy == 32767).any():
            out.add("y_sat_pos")
        if (yy == -32768).any():
            out.add("y_sat_neg")
    return sorted(out, key=ENC_CORNERS.index)


def null_skip_corners(W: np.ndarray, x: np.ndarray, hw: HwConfig, layer: LayerConfig,
                      lane_stats: Optional[dict] = None) -> list[str]:
    """N1 corners (bins.NULL_SKIP_CORNERS) of one product, over its row tasks (row, partition):
    a task of K >= 2 words whose first (last) word has no effective op while another word has
    one, a task with weights but no effective op at all (claimed, every word null), such a
    task stolen (FLAGS.ZERO_WORK_STEAL of a lane), with ROW_SKIP an own row retired by the
    N2 lookahead, with SCAN rows the scanner retired at an owner's head and at a range's tail
    (from the v2 model's run of this product)."""
    out: set[str] = set()
    ww, _ = _partition_words(W != 0, hw, layer.N)          # (M, V, K, B)
    aw, _ = _partition_words(x != 0, hw, layer.N)          # (V, K, B)
    e = (ww & aw[None]).any(axis=3)                        # (M, V, K): word has an effective op
    if e.shape[2] >= 2:
        some = e.any(axis=2)
        if (~e[:, :, 0] & some).any():
            out.add("first_word_null")
        if (~e[:, :, -1] & some).any():
            out.add("last_word_null")
        if (ww.any(axis=(2, 3)) & ~some).any():
            out.add("all_words_null")
    if lane_stats and any(st.get("FLAGS", 0) & int(PerfFlag.ZERO_WORK_STEAL)
                          for st in lane_stats.values()):
        out.add("zero_work_steal")
    if layer.feat & (FEAT_ROW_SKIP | FEAT_SCAN):
        from golden.perf_v2 import simulate_matvec_v2
        run = simulate_matvec_v2(W != 0, x != 0, hw, layer, layer.perf_features)
        if layer.feat & FEAT_ROW_SKIP and run.retired:
            out.add("row_retired")
        if run.scan_head:
            out.add("scan_head")
        if run.scan_tail:
            out.add("scan_tail")
    return sorted(out, key=NULL_SKIP_CORNERS.index)


def null_skip_feat(feat: int) -> str:
    """The null_skip.feat bin of a NULL_SKIP product's CFG_FEAT (SCAN wins over ROW_SKIP)."""
    return "n1_n3" if feat & FEAT_SCAN else "n1_n2" if feat & FEAT_ROW_SKIP else "n1"


def reachable_positions(hw: HwConfig) -> list[str]:
    """2D lane positions that exist on ``hw`` (no interior lane when H or V < 3)."""
    return [p for p in POSITIONS if p != "interior" or (hw.H >= 3 and hw.V >= 3)]


def ignored_event_axis_bins(hw: HwConfig) -> list[tuple]:
    """(event, axis_pos, mode) combinations that cannot happen on ``hw`` (structurally).

    - no prev neighbour at 'first' (no STOLE_PREV), no next at 'last' (no STOLE_NEXT);
    - DUAL_THIEF needs two neighbours (middle only);
    - VICTIM_THEN_THIEF at an edge lane: it can only have lost a row to its single neighbour,
      which was then a thief with no own rows left, so nothing is ever stealable there again;
    - with fewer than three lanes on the axis there is no victim with two thieves: no
      DUAL_THIEF, no REFUSED_CONTENTION and no REFUSED_EXHAUSTED (exhaustion with own rows left
      needs a second thief to take the last replica row in the same cycle).
    """
    ign: list[tuple] = []
    for mode in (StealMode.VERTICAL, StealMode.HORIZONTAL):
        m = mode_name(mode)
        n = axis_length(hw, mode)
        if n < 3:
            ign.append((None, "middle", m))
            # no victim has two neighbours: no dual thieves, no contention between thieves,
            # and "exhausted" needs a second thief to take the last replica row
            for ev in ("dual_thief", "refused_contention", "refused_exhausted"):
                ign.append((ev, None, m))
        if n < 2:
            for ev in STEAL_EVENTS:
                ign.append((ev, None, m))
        ign += [("stole_prev", "first", m), ("stole_next", "last", m),
                ("dual_thief", "first", m), ("dual_thief", "last", m),
                ("victim_then_thief", "first", m), ("victim_then_thief", "last", m)]
    return ign


def ignored_event_pos_bins(hw: HwConfig) -> list[tuple]:
    # a corner lane is at the edge of both axes: never two thieves, never victim-then-thief
    return [("dual_thief", "corner"), ("victim_then_thief", "corner")]


# -- the cocotb-coverage model ------------------------------------------------------------------

@dataclass
class CoverageModel:
    root: str
    hw: HwConfig
    sample_lane: Callable[..., Any]
    sample_class: Callable[..., Any]
    sample_direction: Callable[..., Any]
    sample_enc: Callable[..., Any]
    sample_cfg: Callable[..., Any]
    sample_outcome: Callable[..., Any]
    sample_err: Callable[..., Any]
    sample_arb: Callable[..., Any]
    sample_mem_boundary: Callable[..., Any]
    sample_slots_boundary: Callable[..., Any]
    sample_split: Callable[..., Any]
    sample_null_skip: Callable[..., Any]

    def groups(self) -> list[str]:
        prefix = self.root + "."
        return sorted(k for k in coverage_db if k.startswith(prefix) and k.count(".") == 1)

    def percentages(self) -> dict[str, float]:
        out = {g: round(coverage_db[g].cover_percentage, 2) for g in self.groups()}
        out[self.root] = round(coverage_db[self.root].cover_percentage, 2)
        return out

    def detail(self) -> dict[str, dict]:
        out = {}
        for name in sorted(coverage_db):
            if name.startswith(self.root + ".") and name.count(".") == 2:
                item = coverage_db[name]
                out[name] = {str(k): v for k, v in item.detailed_coverage.items()}
        return out


_MODELS: dict[str, CoverageModel] = {}


def build_model(hw: HwConfig, root: str = "masr") -> CoverageModel:
    """Create (once per process and root) every cover point and cross for ``hw``."""
    if root in _MODELS:
        return _MODELS[root]
    r = root

    # -- per lane and steal event ------------------------------------------------------------
    @CoverPoint(f"{r}.steal.event", xf=lambda ev, pos, ax, mode: ev, bins=list(STEAL_EVENTS))
    @CoverPoint(f"{r}.steal.position", xf=lambda ev, pos, ax, mode: pos,
                bins=reachable_positions(hw))
    @CoverPoint(f"{r}.steal.axis_position", xf=lambda ev, pos, ax, mode: ax,
                bins=list(AXIS_POSITIONS))
    @CoverPoint(f"{r}.steal.mode", xf=lambda ev, pos, ax, mode: mode, bins=list(STEAL_MODES))
    @CoverCross(f"{r}.steal_x.event_x_position",
                items=[f"{r}.steal.event", f"{r}.steal.position"],
                ign_bins=ignored_event_pos_bins(hw))
    @CoverCross(f"{r}.steal_x.event_x_axis_x_mode",
                items=[f"{r}.steal.event", f"{r}.steal.axis_position", f"{r}.steal.mode"],
                ign_bins=ignored_event_axis_bins(hw))
    def sample_lane(ev: str, pos: str, ax: str, mode: str) -> None:
        pass

    @CoverPoint(f"{r}.sparsity.steal_class", xf=lambda c, wd, ad: c, bins=list(STEAL_CLASSES))
    @CoverPoint(f"{r}.sparsity.w_density", xf=lambda c, wd, ad: wd, bins=list(W_DENS))
    @CoverPoint(f"{r}.sparsity.a_density", xf=lambda c, wd, ad: ad, bins=list(A_DENS))
    @CoverCross(f"{r}.steal_x.class_x_wdens_x_adens",
                items=[f"{r}.sparsity.steal_class", f"{r}.sparsity.w_density",
                       f"{r}.sparsity.a_density"])
    def sample_class(c: str, wd: str, ad: str) -> None:
        pass

    @CoverPoint(f"{r}.steal.direction", bins=list(DIRECTIONS))
    def sample_direction(d: str) -> None:
        pass

    # -- per product ---------------------------------------------------------------------------
    @CoverPoint(f"{r}.enc.corner", bins=list(ENC_CORNERS))
    def sample_enc(corner: str) -> None:
        pass

    @CoverPoint(f"{r}.cfg.mode", xf=lambda m, rep, s, ld: m, bins=list(MODES_ALL))
    @CoverPoint(f"{r}.cfg.rep_rows", xf=lambda m, rep, s, ld: rep, bins=list(REP_BINS))
    @CoverPoint(f"{r}.cfg.shift", xf=lambda m, rep, s, ld: s, bins=list(SHIFT_BINS))
    @CoverPoint(f"{r}.cfg.load", xf=lambda m, rep, s, ld: ld, bins=list(LOADS))
    @CoverCross(f"{r}.cfg.mode_x_rep", items=[f"{r}.cfg.mode", f"{r}.cfg.rep_rows"],
                ign_bins=[("none", "rep1"), ("none", "rep_mid"), ("none", "rep_max")])
    def sample_cfg(m: str, rep: str, s: str, ld: str) -> None:
        pass

    @CoverPoint(f"{r}.outcome.kind", bins=list(OUTCOMES))
    def sample_outcome(kind: str) -> None:
        pass

    @CoverPoint(f"{r}.err.code", bins=list(ERR_BINS))
    def sample_err(code: int) -> None:
        pass

    # Each memory-port range check exactly at its limit and one past, per class and axis.
    @CoverPoint(f"{r}.err.mem_boundary", bins=[p[0] for p in mem_boundary_probes(hw)])
    def sample_mem_boundary(probe: str) -> None:
        pass

    # The replica-slot check at its limit and one past, per steal mode (both sides summed).
    @CoverPoint(f"{r}.err.slots_boundary", bins=slots_boundary_bins(hw))
    def sample_slots_boundary(where: str) -> None:
        pass

    @CoverPoint(f"{r}.arb.dual_winner", xf=lambda w, mode: w, bins=list(DUAL_WINNERS))
    @CoverPoint(f"{r}.arb.mode", xf=lambda w, mode: mode,
                bins=[mode_name(m) for m in (StealMode.VERTICAL, StealMode.HORIZONTAL)
                      if axis_length(hw, m) >= 3])
    @CoverCross(f"{r}.arb.winner_x_mode", items=[f"{r}.arb.dual_winner", f"{r}.arb.mode"])
    def sample_arb(w: str, mode: str) -> None:
        pass

    # Split replica ranges (CFG_FEAT.SPLIT): the corners of rules R1-R3 per steal mode.
    @CoverPoint(f"{r}.split.event", xf=lambda ev, mode: ev, bins=list(SPLIT_EVENTS))
    @CoverPoint(f"{r}.split.mode", xf=lambda ev, mode: mode,
                bins=[mode_name(m) for m in (StealMode.VERTICAL, StealMode.HORIZONTAL)
                      if axis_length(hw, m) >= 2])
    @CoverCross(f"{r}.split_x.event_x_mode", items=[f"{r}.split.event", f"{r}.split.mode"],
                ign_bins=ignored_split_bins(hw))
    def sample_split(ev: str, mode: str) -> None:
        pass

    # CFG_FEAT.NULL_SKIP products: the N1 corners and the steal modes they ran in.
    @CoverPoint(f"{r}.null_skip.corner", bins=list(NULL_SKIP_CORNERS))
    def sample_null_skip_corner(corner: str) -> None:
        pass

    @CoverPoint(f"{r}.null_skip.mode", xf=lambda mode, feat: mode, bins=list(MODES_ALL))
    @CoverPoint(f"{r}.null_skip.feat", xf=lambda mode, feat: feat, bins=list(NULL_SKIP_FEATS))
    @CoverCross(f"{r}.null_skip.mode_x_feat",
                items=[f"{r}.null_skip.mode", f"{r}.null_skip.feat"])
    def sample_null_skip_mode(mode: str, feat: str) -> None:
        pass

    def sample_null_skip(mode: str, feat: str, corners: tuple) -> None:
        sample_null_skip_mode(mode, feat)
        for c in corners:
            sample_null_skip_corner(c)

    model = CoverageModel(r, hw, sample_lane, sample_class, sample_direction, sample_enc,
                          sample_cfg, sample_outcome, sample_err, sample_arb, sample_mem_boundary,
                          sample_slots_boundary, sample_split, sample_null_skip)
    _MODELS[root] = model
    return model


def ignored_split_bins(hw: HwConfig) -> list[tuple[str, str]]:
    """Split corners that need a victim with two thieves: not on an axis of length 2."""
    return [(ev, mode_name(m)) for m in (StealMode.VERTICAL, StealMode.HORIZONTAL)
            if axis_length(hw, m) == 2 for ev in ("two_grants", "uneven_victim")]


def reachable_split_bins(hw: HwConfig) -> set[tuple[str, str]]:
    """Every (event, mode) bin of the split_x.event_x_mode cross."""
    ign = set(ignored_split_bins(hw))
    return {(ev, mode_name(m)) for ev in SPLIT_EVENTS
            for m in (StealMode.VERTICAL, StealMode.HORIZONTAL)
            if axis_length(hw, m) >= 2 and (ev, mode_name(m)) not in ign}


@dataclass(frozen=True)
class ProductFacts:
    """The bins of one product that depend on its results (y, lane statistics, steal trace).

    The prediction worker computes them from the golden values while the DUT simulates
    (tb.matvec.checks.expected_values): only products whose y, counters and every lane statistic
    matched the golden model exactly are sampled, so they are the DUT's bins too, and the
    collector saves about 1 ms per 8x8 product."""
    enc_corners: tuple[str, ...]
    lane_bins: tuple[tuple[str, str, str, str], ...]     # (event, position, axis position, mode)
    dual_wins: tuple[str, ...]                            # sides that won a dual-thief cycle
    split_events: tuple[str, ...] = ()                    # golden.perf_v2.split_events
    null_skip: tuple[str, ...] = ()                       # N1 corners (CFG_FEAT.NULL_SKIP)


def product_facts(W: np.ndarray, x: np.ndarray, y: Any, lane_stats: dict, hw: HwConfig,
                  layer: LayerConfig, perf: Any = None,
                  split: tuple[str, ...] = ()) -> ProductFacts:
    corners = tuple(encoding_corners(W, x, hw, layer, y, lane_weight_counts(W, hw, layer)))
    nskip = (tuple(null_skip_corners(W, x, hw, layer, lane_stats))
             if layer.feat & FEAT_NULL_SKIP else ())
    if layer.mode == StealMode.NONE:
        return ProductFacts(corners, (), (), null_skip=nskip)
    mname = mode_name(layer.mode)
    # One sample per distinct bin per product: a bin's hit count then counts products (not
    # lanes), and a 64-lane product costs a few samples instead of hundreds.
    bins: set[tuple[str, str, str, str]] = set()
    for (h, v), stats in lane_stats.items():
        pos, ax = lane_position(hw, h, v), axis_position(hw, layer.mode, h, v)
        bins.update((ev, pos, ax, mname) for ev in lane_events(stats))
    wins: tuple[str, ...] = ()
    if layer.feat & FEAT_SPLIT:
        # split ranges: no contest between two thieves (one thief per range)
        return ProductFacts(corners, tuple(sorted(bins)), (), split_events=split,
                            null_skip=nskip)
    # (the winners come from golden.perf's steal trace: v1 products only, CFG_FEAT = 0)
    if layer.feat == 0 and any(st.get("FLAGS", 0) & int(PerfFlag.DUAL_THIEF)
                               for st in lane_stats.values()):
        # Which side won is not visible in FLAGS: it comes from the golden steal trace.
        won = dual_thief_winners(hw, Stimulus("facts", W, x, np.zeros(layer.M, np.int16), layer),
                                 perf)
        wins = tuple(side for side in DUAL_WINNERS if won[side])
    return ProductFacts(corners, tuple(sorted(bins)), wins, null_skip=nskip)


class CoverageSampler:
    """Turns MatvecResults into coverage samples (no UVM; the subscriber wraps it)."""

    def __init__(self, hw: HwConfig, root: str = "masr") -> None:
        self.hw = hw
        self.model = build_model(hw, root)
        self._prev_steals: dict[str, bool] = {}      # time-step group -> last product stole
        self._prev_xmask: dict[str, np.ndarray] = {}

    def sample(self, res: Any, passed: bool = True) -> None:
        """Sample one product.  Only products that matched the golden model count as covered."""
        if not passed or res.timed_out or not res.done:
            return
        item, hw, m = res.item, self.hw, self.model
        if item.expect_err:
            if res.err_code == item.expect_err:
                m.sample_err(int(item.expect_err))
        if item.inject == INJ_MEM_BOUNDARY:     # passed: every probe read the expected ERR_CODE
            for probe in mem_boundary_probes(hw):
                m.sample_mem_boundary(probe[0])
        for tag in item.tags:
            if tag.startswith(SLOTS_BOUNDARY_TAG):
                m.sample_slots_boundary(tag[len(SLOTS_BOUNDARY_TAG):])
        if item.expect_err in (1, 2, 3, 7):
            return
        L = item.layer
        load = {"backdoor": "backdoor", "frontdoor": "frontdoor"}.get(item.load, "reuse")
        m.sample_cfg(mode_name(L.mode), rep_bin(hw, L), shift_bin(L.shift), load)
        facts = getattr(res, "expected_facts", None) or product_facts(
            item.W, item.x, res.y, res.lane_stats, hw, L, getattr(res, "expected_perf", None))
        for corner in facts.enc_corners:
            m.sample_enc(corner)
        if L.feat & FEAT_NULL_SKIP:
            m.sample_null_skip(mode_name(L.mode), null_skip_feat(L.feat), facts.null_skip)
        granted = res.counters.get("PERF_STEAL_GRANTED", 0)
        refused = res.counters.get("PERF_STEAL_REFUSED", 0)
        if L.mode == StealMode.NONE:
            m.sample_outcome("mode_none")
        else:
            if granted:
                m.sample_outcome("steals_granted")
            if refused:
                m.sample_outcome("steals_refused")
            if "balanced" in item.tags and granted == 0 and refused == 0:
                m.sample_outcome("balanced_no_steal")
            if item.group is not None:
                xmask = item.x != 0
                prev = self._prev_steals.get(item.group)
                if prev and granted and not np.array_equal(xmask, self._prev_xmask[item.group]):
                    m.sample_outcome("consecutive_step_steals")
                self._prev_steals[item.group] = bool(granted)
                self._prev_xmask[item.group] = xmask
            mname = mode_name(L.mode)
            for side in facts.dual_wins:
                m.sample_arb(side, mname)
            for ev in facts.split_events:
                m.sample_split(ev, mname)
            events = {b[0] for b in facts.lane_bins}
            for b in facts.lane_bins:
                m.sample_lane(*b)
            for cell in sorted(class_cells(item.W, item.x, facts.lane_bins)):
                m.sample_class(*cell)
            for ev in sorted(events & {"stole_prev", "stole_next"}):
                m.sample_direction(f"{mname}_{ev.split('_')[1]}")



class MasrCoverage(uvm_subscriber):
    def build_phase(self) -> None:
        self.hw = ConfigDB().get(self, "", "HW")
        self.sampler = CoverageSampler(self.hw)

    def write(self, res: Any) -> None:
        # The scoreboard is connected first and sets res.passed: only matching products count.
        self.sampler.sample(res, passed=bool(getattr(res, "passed", True)))

    def percentages(self) -> dict[str, float]:
        return self.sampler.model.percentages()


def all_cross_bins(model: CoverageModel) -> list[str]:  # pragma: no cover - debugging aid
    return [k for k in coverage_db if k.startswith(model.root + ".steal_x")]


__all__ = ["build_model", "CoverageSampler", "lane_events", "lane_position", "axis_position",
           "class_cells", "encoding_corners", "w_density_bin", "a_density_bin", "ignored_event_axis_bins"]


def _matches(bin_: tuple, pattern: tuple) -> bool:
    return all(p is None or p == b for b, p in zip(bin_, pattern))


def reachable_axis_combos(hw: HwConfig) -> set[tuple[str, str, str]]:
    """Every (event, axis position, mode) bin of the event_x_axis_x_mode cross."""
    ign = ignored_event_axis_bins(hw)
    return {b for b in ((e, a, m) for e in STEAL_EVENTS for a in AXIS_POSITIONS for m in STEAL_MODES)
            if not any(_matches(b, p) for p in ign)}
