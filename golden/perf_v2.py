"""Performance model v2 (issue #12): the v1 lane array plus selectable features.

Every feature is a field of :class:`PerfFeatures`; ``PerfFeatures()`` (all off) *is* v1 and
:func:`simulate_matvec_v2` then returns exactly ``golden.perf.simulate_matvec`` (same engine, same
FLAGS).  Any other feature set runs :class:`_RangeEngine`, a per-cycle engine vectorised over
lanes whose rules are written out in ``docs/perf-model.md`` section "v2 rules".  With all features
off except the replica layout it reproduces v1's counters exactly (tests check this), so the v2
rules are a strict extension of the v1 contract.

Features (the exploration in docs/perf-v2-exploration.md measures what each one buys):
- ``null_word_skip``: the AG reads a row's whole mask in one (wide) read and finds the next
  effective bit across words, so a row costs ``max(1, ops)`` AG cycles instead of
  ``sum_k max(1, e_k)``;
- ``skip_empty_rows``: while its AG is busy and not claiming, a lane uses the idle mask-SRAM
  port to test its next own row and retires it without an AG cycle if it has no effective op;
- ``overlap_output``: double-buffered accumulators; the next *independent* product starts as
  soon as every AG is done, its output drain overlaps the next compute (see
  :func:`schedule_products`);
- ``replicas``: ``"shared"`` = v1 (one tail range per victim, held by both neighbours, round-robin
  arbiter), ``"split"`` = one range per thief, stacked below each other, so every replicated row
  is stored once and has exactly one possible thief;
- ``reach``: thieves up to this distance along the steal axis (``"split"`` only);
- ``placement`` and ``dup_budget``: how many tail rows each victim exports, see
  :func:`plan_replicas`;
- ``rotate``: row ``i`` of lane ``(h, v)`` covers partition ``(v + i mod rotate - rotate // 2)
  mod V`` instead of ``v``, so a lane's rows sample ``rotate`` partitions and the per-partition
  activation load averages out over them (exploration, not in the RTL);
- ``scan_rows``: a per-lane scanner reads one own row per cycle from the product's first cycle
  and marks rows without an effective op; a marked row at the owner's head or a range's tail is
  retired without a claim or AG cycle (CFG_FEAT.SCAN in the RTL; subsumes
  ``skip_empty_rows``);
- ``run_ahead`` (O2, needs ``overlap_output``): no barrier between independent products; a lane
  that can neither claim nor steal in product p enters p + 1 in that cycle, as soon as p + 1's
  bank is free (p - 1's drain has ended), see :func:`run_ahead_sequence` (exploration, not in
  the RTL);
- ``pe_share`` (``"split"``, G = 2): the two lanes of a PE read each other's weight and mask
  SRAMs (a second read port), so each lane's own rows below its replica ranges form one more
  range whose thief is its PE-mate, at no duplicated storage (exploration, not in the RTL).
"""
from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from golden.config import HwConfig, LayerConfig, StealMode, ceil_div
from golden.errors import SpecError
from golden.perf import (PerfFlag, PerfResult, _as_steps, _check_mask, _Geometry, _geometry,
                         _result, _task_words, _word_popcounts, simulate_matvec)

__all__ = ["PerfFeatures", "V1", "features_of_feat", "simulate_product", "ReplicaPlan",
           "plan_replicas", "simulate_matvec_v2", "ProductRun", "SequenceRunV2",
           "simulate_sequence_v2", "schedule_products", "run_ahead_sequence", "run_ahead_trace",
           "run_ahead_products", "RunAheadTrace", "balanced_row_order",
           "dup_fraction_of_plan", "plan_registers", "plan_from_registers", "SPLIT_EVENTS",
           "split_events", "simulate_product_run"]


@dataclass(frozen=True)
class PerfFeatures:
    """Build/run-time switches of the v2 array; the defaults are the v1 contract."""

    null_word_skip: bool = False
    skip_empty_rows: bool = False
    overlap_output: bool = False
    replicas: str = "shared"         # "shared" (v1) or "split"
    reach: int = 1                   # steal distance along the axis ("split" only)
    placement: str = "uniform"       # "uniform" or "load" (only with dup_budget)
    dup_budget: float | None = None  # None: layer.rep_rows rows per range (v1 sizing)
    rotate: int = 1                  # partitions a lane's rows rotate through (1: v1 mapping)
    scan_rows: bool = False          # empty rows found ahead by a scanner retire for free
    run_ahead: bool = False          # lanes enter the next independent product one by one (O2)
    pe_share: bool = False           # a PE's two lanes steal each other's rows in place

    def __post_init__(self) -> None:
        if self.replicas not in ("shared", "split"):
            raise SpecError(f"PerfFeatures.replicas={self.replicas!r}: 'shared' or 'split'")
        if self.placement not in ("uniform", "load"):
            raise SpecError(f"PerfFeatures.placement={self.placement!r}: 'uniform' or 'load'")
        if self.reach < 1 or (self.reach > 1 and self.replicas != "split"):
            raise SpecError(f"PerfFeatures.reach={self.reach} needs replicas='split' if > 1")
        if self.placement == "load" and self.dup_budget is None:
            raise SpecError("PerfFeatures.placement='load' needs a dup_budget")
        if self.dup_budget is not None and not 0.0 <= self.dup_budget <= 1.0:
            raise SpecError(f"PerfFeatures.dup_budget={self.dup_budget} must be in [0, 1]")
        if self.skip_empty_rows and not self.null_word_skip:
            raise SpecError("skip_empty_rows tests a row in one read: needs null_word_skip")
        if self.scan_rows and not self.null_word_skip:
            raise SpecError("scan_rows tests a row in one read: needs null_word_skip")
        if self.rotate < 1:
            raise SpecError(f"PerfFeatures.rotate={self.rotate} must be >= 1")
        if self.run_ahead and not self.overlap_output:
            raise SpecError("run_ahead needs the second accumulator bank: set overlap_output")
        if self.pe_share and self.replicas != "split":
            raise SpecError("pe_share adds one split range per lane: needs replicas='split'")


V1 = PerfFeatures()

F_DUAL_THIEF, F_LAST_ROW_RACE = int(PerfFlag.DUAL_THIEF), int(PerfFlag.LAST_ROW_RACE)
F_REFUSED_EXHAUSTED, F_REFUSED_DONE = int(PerfFlag.REFUSED_EXHAUSTED), int(PerfFlag.REFUSED_DONE)
F_VICTIM_THEN_THIEF = int(PerfFlag.VICTIM_THEN_THIEF)
F_ZERO_WORK_STEAL = int(PerfFlag.ZERO_WORK_STEAL)
F_STOLE_PREV, F_STOLE_NEXT = int(PerfFlag.STOLE_PREV), int(PerfFlag.STOLE_NEXT)
F_REFUSED_CONTENTION = int(PerfFlag.REFUSED_CONTENTION)


def features_of_feat(feat: int) -> PerfFeatures:
    """The model's feature set for a CFG_FEAT register value (golden.config.FEAT_* bits).

    The replica plan keeps its v1 sizing (``rep_rows`` rows per range, no dup budget): that is
    what the encoder builds from CFG_REP_ROWS.  SpecError for a value the contract rejects."""
    from golden.config import (FEAT_NULL_SKIP, FEAT_OVERLAP, FEAT_ROW_SKIP, FEAT_SCAN,
                               FEAT_SPLIT, feat_error)
    reason = feat_error(int(feat))
    if reason is not None:
        raise SpecError(reason)
    return PerfFeatures(null_word_skip=bool(feat & FEAT_NULL_SKIP),
                        skip_empty_rows=bool(feat & FEAT_ROW_SKIP),
                        overlap_output=bool(feat & FEAT_OVERLAP),
                        replicas="split" if feat & FEAT_SPLIT else "shared",
                        scan_rows=bool(feat & FEAT_SCAN))


# --------------------------------------------------------------------------------------------
# Replica plan: which tail rows each victim exports, to which thief
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReplicaPlan:
    """Stacked replica ranges per victim lane (flat index l = h*V + v).

    Victim l's local rows are [0, R_l): own-only rows [0, base[l, 0]), then range k =
    [base[l, k], base[l, k] + size[l, k]) for k = 0 .. nr-1 in order (range nr-1 ends at R_l).
    thieves[l, k, s] is the lane holding range k as thief side s (-1 = none); side 0 is the
    victim's prev-side thief, side 1 its next-side thief (the v1 arbiter's prev / next).
    The first ``shared`` ranges are read in place (``pe_share``: the thief is the PE-mate and
    reads the victim's SRAMs), so nobody stores them.
    """

    base: np.ndarray     # (n, nr)
    size: np.ndarray     # (n, nr)
    thieves: np.ndarray  # (n, nr, 2)
    shared: int = 0

    @property
    def holders(self) -> np.ndarray:
        """(n, nr) number of lanes storing each range (0 for a range read in place)."""
        held = (self.thieves >= 0).sum(axis=2)
        held[:, :self.shared] = 0
        return held

    def imported_rows(self, n: int) -> np.ndarray:
        """Replica slots each lane needs (rows of the ranges it stores)."""
        out = np.zeros(n, dtype=np.int64)
        for s in range(2):
            held = self.thieves[:, :, s] >= 0
            held[:, :self.shared] = False
            np.add.at(out, self.thieves[:, :, s][held], self.size[held])
        return out


def _axis_lane(geo: _Geometry, l: int, mode: StealMode, d: int) -> int:
    """Lane at signed distance d from l along the steal axis, -1 past the array edge."""
    h, v = divmod(l, geo.V)
    if mode == StealMode.VERTICAL:
        v += d
    else:
        h += d
    return h * geo.V + v if 0 <= h < geo.H and 0 <= v < geo.V else -1


def _direction_order(reach: int) -> list[int]:
    """Signed thief offsets of the split ranges, bottom range first: far before near, prev
    before next, so the nearest thieves hold the rows the owner reaches last."""
    return [d for k in range(reach, 0, -1) for d in (-k, k)]


def _rotated(words: np.ndarray, geo: _Geometry, rotate: int) -> np.ndarray:
    """Per-task word counts (n, Rm, K) under partition rotation: task (h, v, i) takes the
    partition (v + i mod rotate - rotate // 2) mod V of its row (a bijection per row)."""
    H, V, Rm = geo.H, geo.V, geo.Rm
    rotate = min(rotate, V)   # rotate >= V: every lane's rows cycle through all partitions
    if rotate == 1:
        return words
    i = np.arange(Rm)
    part = (np.arange(V)[:, None] + (i % rotate)[None, :] - rotate // 2) % V    # (V, Rm)
    return words.reshape(H, V, Rm, -1)[:, part, i[None, :], :].reshape(H * V, Rm, -1)


def _row_weights(w_nonzero: np.ndarray, hw: HwConfig, geo: _Geometry,
                 rotate: int = 1) -> np.ndarray:
    """(n, Rm) weight entries of every row task (what a replica of it costs to store)."""
    return _rotated(_word_popcounts(w_nonzero, hw, geo), geo, rotate).sum(axis=2)


def _exported_rows(w_rows: np.ndarray, geo: _Geometry, feat: PerfFeatures, rep_rows: int,
                   holders_per_row: np.ndarray) -> np.ndarray:
    """Tail rows each victim exports (n,), from rep_rows or by filling the dup budget.

    holders_per_row[l]: lanes that will store each exported row of victim l (budget cost factor).
    """
    R = geo.R
    n = geo.n
    if feat.dup_budget is None:
        per_range = np.minimum(R, rep_rows)
        return per_range if feat.replicas == "shared" else per_range * len(_direction_order(
            feat.reach))
    budget = feat.dup_budget * w_rows.sum()
    spent = 0.0
    exported = np.zeros(n, dtype=np.int64)

    def next_cost(l: int) -> float:
        return float(w_rows[l, R[l] - 1 - exported[l]] * holders_per_row[l])

    if feat.placement == "uniform":
        # Round robin: one more tail row per lane per round while it fits the budget.
        added = True
        while added:
            added = False
            for l in range(n):
                if holders_per_row[l] == 0 or exported[l] >= R[l]:
                    continue
                cost = next_cost(l)
                if spent + cost <= budget:
                    spent += cost
                    exported[l] += 1
                    added = True
        return exported
    # "load": give the next replica row to the victim with the largest expected load left
    # (static weights, the part a compiler knows), i.e. water-fill the heaviest lanes down.
    left = w_rows.sum(axis=1).astype(float)
    heap = [(-left[l], l) for l in range(n) if holders_per_row[l] > 0 and R[l] > 0]
    heapq.heapify(heap)
    while heap:
        _, l = heapq.heappop(heap)
        cost = next_cost(l)
        if spent + cost > budget:
            continue  # this lane's next row does not fit; cheaper rows elsewhere may
        spent += cost
        left[l] -= w_rows[l, R[l] - 1 - exported[l]]
        exported[l] += 1
        if exported[l] < R[l]:
            heapq.heappush(heap, (-left[l], l))
    return exported


def plan_replicas(w_nonzero: np.ndarray, hw: HwConfig, layer: LayerConfig,
                  feat: PerfFeatures) -> ReplicaPlan:
    """The encoder's replica layout for a steal scheme (mode none: no ranges)."""
    geo = _plain_geometry(hw, layer)
    n = geo.n
    mode = layer.mode
    if mode == StealMode.NONE:
        z = np.zeros((n, 1), dtype=np.int64)
        return ReplicaPlan(base=geo.R[:, None].copy(), size=z, thieves=-np.ones((n, 1, 2),
                                                                                   dtype=np.int64))
    w_rows = _row_weights(w_nonzero, hw, geo, feat.rotate)
    if feat.replicas == "shared":
        # v1: one tail range, stored by both neighbours (the prev one is thief side 0).
        thieves = np.array([[[_axis_lane(geo, l, mode, -1), _axis_lane(geo, l, mode, 1)]]
                            for l in range(n)], dtype=np.int64)
        holders = (thieves >= 0).sum(axis=(1, 2))
        # v1 exports rep_rows even where no neighbour exists (nobody imports them)
        q = _exported_rows(w_rows, geo, feat, layer.rep_rows, holders)
        return ReplicaPlan(base=(geo.R - q)[:, None], size=q[:, None], thieves=thieves)
    dirs = _direction_order(feat.reach)
    thief_of = np.array([[_axis_lane(geo, l, mode, d) for d in dirs] for l in range(n)],
                        dtype=np.int64)
    n_thieves = (thief_of >= 0).sum(axis=1)
    if feat.dup_budget is None:
        # rep_rows rows per existing thief (v1 sizing, rows split instead of shared)
        total = np.minimum(geo.R, layer.rep_rows * n_thieves)
    else:
        total = _exported_rows(w_rows, geo, feat, layer.rep_rows,
                               (n_thieves > 0).astype(np.int64))
    size = np.zeros((n, len(dirs)), dtype=np.int64)
    for l in range(n):
        present = [k for k in range(len(dirs)) if thief_of[l, k] >= 0]
        # deal the exported rows out nearest thief first (ranges at the top of the stack)
        for j in range(int(total[l])):
            size[l, present[::-1][j % len(present)]] += 1
    if feat.dup_budget is not None:
        _fit_thief_slots(size, thief_of, geo.R, hw.SLOTS)
    tops = geo.R[:, None] - np.cumsum(size[:, ::-1], axis=1)[:, ::-1] + size
    base = tops - size
    thieves = -np.ones((n, len(dirs), 2), dtype=np.int64)
    for k, d in enumerate(dirs):
        thieves[:, k, 0 if d < 0 else 1] = thief_of[:, k]
    plan = ReplicaPlan(base=base, size=size, thieves=thieves)
    return _with_pe_mate_range(plan, hw, geo) if feat.pe_share else plan


def _with_pe_mate_range(plan: ReplicaPlan, hw: HwConfig, geo: _Geometry) -> ReplicaPlan:
    """``pe_share``: the own rows below a lane's replica ranges become range 0, its PE-mate
    (the other lane of the PE, h xor 1) its thief; the mate reads them in place.  The mate is
    the victim's prev- or next-side lane along h, and takes that side."""
    if hw.G != 2:
        raise SpecError(f"pe_share pairs the two lanes of a PE: needs G = 2, not G = {hw.G}")
    n = geo.n
    h, v = np.divmod(np.arange(n), geo.V)
    mate = (h ^ 1) * geo.V + v
    thieves = -np.ones((n, 1, 2), dtype=np.int64)
    thieves[np.arange(n), 0, (h % 2 == 0).astype(np.int64)] = mate
    return ReplicaPlan(base=np.concatenate([np.zeros((n, 1), dtype=np.int64), plan.base], 1),
                       size=np.concatenate([plan.base[:, :1], plan.size], 1),
                       thieves=np.concatenate([thieves, plan.thieves], 1),
                       shared=1)


def _fit_thief_slots(size: np.ndarray, thief_of: np.ndarray, R: np.ndarray, slots: int) -> None:
    """Shrink (in place) the ranges exported to a thief whose own rows plus imported rows exceed
    SLOTS, one row at a time from its largest incoming range. The budget counts weights, so on
    sparse lanes it can export more rows than a thief has slots for (the start would be
    ERR_SLOTS); the plan gives those rows up instead. A thief whose own rows alone exceed SLOTS
    is left to the fit check."""
    need = R.astype(np.int64).copy()
    feeds: dict[int, list[tuple[int, int]]] = {}
    for l, k in zip(*np.nonzero(thief_of >= 0)):
        t = int(thief_of[l, k])
        need[t] += size[l, k]
        feeds.setdefault(t, []).append((int(l), int(k)))
    for t in np.flatnonzero(need > slots):
        while need[t] > slots:
            l, k = max(feeds.get(int(t), []), key=lambda lk: size[lk], default=(-1, -1))
            if l < 0 or size[l, k] == 0:
                break
            size[l, k] -= 1
            need[t] -= 1


def plan_registers(plan: ReplicaPlan, hw: HwConfig, layer: LayerConfig) -> np.ndarray:
    """The RTL's per-lane plan registers [base_0, base_1] (H*V, 2) of a reach-1 split plan
    (architecture.md section 3, mem_sel PLAN); mode none: both R (no replica range)."""
    geo = _plain_geometry(hw, layer)
    if layer.mode == StealMode.NONE:
        return np.stack([geo.R, geo.R], axis=1).astype(np.int64)
    if plan.shared:
        raise SpecError("PE sharing (pe_share) is model-only: the RTL has no plan register for "
                        "a range read in place")
    if plan.base.shape[1] != 2:
        raise SpecError(f"the RTL holds two replica ranges per lane (reach 1), the plan has "
                        f"{plan.base.shape[1]}")
    return np.stack([plan.base[:, 0], plan.base[:, 1]], axis=1).astype(np.int64)


def plan_from_registers(regs: np.ndarray, hw: HwConfig, layer: LayerConfig) -> ReplicaPlan:
    """The split plan the RTL runs from its plan registers (inverse of plan_registers): range
    0 = [base_0, base_1) for the prev-side thief, range 1 = [base_1, R) for the next-side one
    (thief -1 where that neighbour does not exist)."""
    geo = _plain_geometry(hw, layer)
    regs = np.asarray(regs, dtype=np.int64)
    if regs.shape != (geo.n, 2):
        raise SpecError(f"plan registers have shape {regs.shape}, expected ({geo.n}, 2)")
    if layer.mode == StealMode.NONE:
        z = np.zeros((geo.n, 1), dtype=np.int64)
        return ReplicaPlan(base=geo.R[:, None].copy(), size=z,
                           thieves=-np.ones((geo.n, 1, 2), dtype=np.int64))
    if np.any(regs[:, 0] > regs[:, 1]) or np.any(regs[:, 1] > geo.R) or np.any(regs < 0):
        raise SpecError("plan registers need 0 <= base_0 <= base_1 <= R in every lane")
    base = regs.copy()
    size = np.stack([regs[:, 1] - regs[:, 0], geo.R - regs[:, 1]], axis=1)
    thieves = -np.ones((geo.n, 2, 2), dtype=np.int64)
    for l in range(geo.n):
        thieves[l, 0, 0] = _axis_lane(geo, l, layer.mode, -1)
        thieves[l, 1, 1] = _axis_lane(geo, l, layer.mode, 1)
    return ReplicaPlan(base=base, size=size, thieves=thieves)


def dup_fraction_of_plan(w_nonzero: np.ndarray, hw: HwConfig, layer: LayerConfig,
                         plan: ReplicaPlan, rotate: int = 1) -> float:
    """Replica weight entries stored by all thieves / weight non-zeros of W."""
    geo = _plain_geometry(hw, layer)
    w_rows = _row_weights(w_nonzero, hw, geo, rotate)
    rows = np.arange(geo.Rm)[None, :]
    stored = 0
    for k in range(plan.size.shape[1]):
        inside = (rows >= plan.base[:, k:k + 1]) & (rows < plan.base[:, k:k + 1]
                                                      + plan.size[:, k:k + 1])
        stored += int((np.where(inside, w_rows, 0).sum(axis=1) * plan.holders[:, k]).sum())
    total = int(w_nonzero.sum())
    return stored / total if total else 0.0


def _check_plan_fits(hw: HwConfig, geo: _Geometry, plan: ReplicaPlan,
                     w_rows: np.ndarray) -> None:
    """Own + imported rows must fit SLOTS, and their weights WDEPTH (ERR_SLOTS / ERR_WPTR)."""
    slots = geo.R + plan.imported_rows(geo.n)
    if slots.max() > hw.SLOTS:
        l = int(np.argmax(slots))
        raise SpecError(f"lane {divmod(l, geo.V)} needs {slots[l]} row slots, SLOTS is "
                        f"{hw.SLOTS}")
    words = w_rows.sum(axis=1).copy()
    rows = np.arange(geo.Rm)[None, :]
    for k in range(plan.shared, plan.size.shape[1]):   # a range read in place takes no SRAM
        inside = (rows >= plan.base[:, k:k + 1]) & (rows < plan.base[:, k:k + 1]
                                                      + plan.size[:, k:k + 1])
        per_range = np.where(inside, w_rows, 0).sum(axis=1)
        for s in range(2):
            held = plan.thieves[:, k, s] >= 0
            np.add.at(words, plan.thieves[held, k, s], per_range[held])
    if words.max() > hw.WDEPTH:
        l = int(np.argmax(words))
        raise SpecError(f"lane {divmod(l, geo.V)} needs {words[l]} weight SRAM entries, "
                        f"WDEPTH is {hw.WDEPTH}")


# --------------------------------------------------------------------------------------------
# The v2 engine
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProductRun:
    """One product under v2 rules: the v1-style counters plus when the AGs were done."""

    result: PerfResult
    ag_cycles: int  # first cycle in which every AG is idle and nothing is claimable
    # who did each row task (H*V, Rm): lane index, -1 = not done (padding); and how often
    doer: np.ndarray | None = None
    claims: np.ndarray | None = None
    # per lane: cycles in which the owner's head jumped over a whole range its thief emptied, and
    # cycles in which both of its ranges were granted (split ranges; coverage facts)
    head_jumps: np.ndarray | None = None
    two_grants: np.ndarray | None = None
    # per lane and range (0 = the prev-side thief's in split): a LAST_ROW_RACE on that range
    races: np.ndarray | None = None
    retired: int = 0    # rows retired by N2 and N3 (counted in ROWS_OWN)
    scan_head: int = 0  # ... of them by the N3 scanner at an owner's head
    scan_tail: int = 0  # ... and at a range's tail

    @property
    def compute_cycles(self) -> int:
        return self.result.compute_cycles


class _RangeEngine:
    """Claims, replica ranges and arbiters of all lanes, one cycle per ``step``.

    Registered per victim: ``head`` and per range k a ``tail[k]`` (init base+size); per range a
    round-robin bit.  Registered per lane: the AG's row-end cycle ``busy_until`` (-1 = idle) and
    the cycle of its last emitted op (queue occupancy follows from it: QDEPTH >= 2, one op in and
    one out per cycle, so the queue holds an op exactly in the cycle after it was emitted).
    """

    def __init__(self, geo: _Geometry, e_words: np.ndarray, plan: ReplicaPlan,
                 feat: PerfFeatures) -> None:
        n, self.Rm = geo.n, geo.Rm
        self.n, self.idx, self.feat, self.R = n, np.arange(n), feat, geo.R
        ops = e_words.sum(axis=2)
        if feat.null_word_skip:
            dur = np.maximum(ops, 1)
            last_op = ops                                    # ops issue in cycles 1..ops
        else:
            cyc = np.cumsum(np.maximum(e_words, 1), axis=2)
            dur = cyc[:, :, -1]
            # AG cycle (1-based) of the last op: end of the last word that has ops
            last_word = np.where(e_words > 0, cyc, 0)
            last_op = last_word.max(axis=2)
        self.ops, self.dur, self.last_op = ops.reshape(-1), dur.reshape(-1), last_op.reshape(-1)
        self.base, self.top = plan.base, plan.base + plan.size
        self.b0 = plan.base[:, 0]
        self.nr = plan.base.shape[1]
        self.tail = self.top.copy()
        self.rr = np.zeros_like(self.tail)
        # per thief: the (victim, range, side) it holds, in request-priority order
        hold: list[list[tuple[int, int, int]]] = [[] for _ in range(n)]
        for s in (1, 0):
            for vic, k in zip(*np.nonzero(plan.thieves[:, :, s] >= 0)):
                hold[int(plan.thieves[vic, k, s])].append((int(vic), int(k), s))
        def distance(thief: int, victim: int) -> int:
            (th, tv), (vh, vv) = divmod(thief, geo.V), divmod(victim, geo.V)
            return abs(th - vh) + abs(tv - vv)

        for thief, held in enumerate(hold):  # ties go to the nearest victim, the prev one first
            held.sort(key=lambda t: (distance(thief, t[0]), t[2] == 0))
        nh = max(1, max(len(h) for h in hold))
        pad = [(0, 0, 0)] * nh
        arr = np.array([(h + pad)[:nh] for h in hold], dtype=np.int64)   # (n, nh, 3)
        self.hv, self.hk, self.hs = arr[:, :, 0], arr[:, :, 1], arr[:, :, 2]
        self.hvalid = np.array([[j < len(h) for j in range(nh)] for h in hold])
        self.head = np.zeros(n, dtype=np.int64)
        # The cycle each lane entered the product (the scanner's clock starts there); all 0 for
        # a product on its own, per lane under run_ahead.
        self.start = np.zeros(n, dtype=np.int64)
        self.busy_until = -np.ones(n, dtype=np.int64)
        self.last_emit = -np.ones(n, dtype=np.int64) * 10
        z = lambda: np.zeros(n, dtype=np.int64)  # noqa: E731
        self.mac, self.own, self.stolen, self.lost = z(), z(), z(), z()
        self.refused, self.idle, self.skipped, self.flags = z(), z(), z(), z()
        self.head_jumps, self.two_grants = z(), z()
        self.scan_head, self.scan_tail = 0, 0        # N3 retires at the head, at a tail
        self.races: np.ndarray | None = None    # (n, nr) once a thief asked
        self.ag_done: int | None = None
        self.doer = -np.ones(n * self.Rm, dtype=np.int64)
        self.claims = np.zeros(n * self.Rm, dtype=np.int64)
        self._normalise()

    def _normalise(self, c: int = -1) -> None:
        """Owner's next row: head jumps over the part of a range its thief already took.

        With ``scan_rows``, rows the scanner has marked empty by the end of cycle c (it reads
        own row x in cycle x) are then retired at the head and at every range's tail, repeated
        until neither end holds a known-empty row.
        """
        while True:
            emptied = np.zeros(self.n, dtype=bool)
            for k in range(self.nr):
                gone = (self.head >= self.base[:, k]) & (self.head >= self.tail[:, k]) \
                    & (self.head < self.top[:, k])
                emptied |= gone & (self.head == self.base[:, k])  # the whole range was taken
                self.head = np.where(gone, self.top[:, k], self.head)
            self.head_jumps += emptied
            if not self.feat.scan_rows:
                return
            scanned = c - self.start                       # the last row each scanner has read
            own = np.maximum(self.b0 - self.head, 0) + self._stealable(self.head).sum(axis=1)
            at_head = (own > 0) & (self.head <= scanned) & self._empty(self.head)
            lo = np.maximum(self.head[:, None], self.base)
            at_tail = (self.tail > lo) & (self.tail - 1 <= scanned[:, None]) & ~at_head[:, None]
            for k in range(self.nr):
                at_tail[:, k] &= self._empty(self.tail[:, k] - 1)
                at_tail[:, k] &= ~at_tail[:, :k].any(axis=1)   # one retirement per step
            if not at_head.any() and not at_tail.any():
                return
            rows = np.concatenate([self.head[at_head], (self.tail - 1)[at_tail]])
            lanes = np.concatenate([self.idx[at_head], np.nonzero(at_tail)[0]])
            done = lanes * self.Rm + rows
            np.add.at(self.claims, done, 1)
            self.doer[done] = lanes
            self.skipped += at_head + at_tail.sum(axis=1)
            self.scan_head += int(at_head.sum())
            self.scan_tail += int(at_tail.sum())
            self.head = self.head + at_head
            self.tail = self.tail - at_tail

    def _empty(self, rows: np.ndarray) -> np.ndarray:
        """Own row ``rows`` (per lane) has no effective op (clipped into the task table)."""
        return self.ops[self.idx * self.Rm + np.clip(rows, 0, self.Rm - 1)] == 0

    def _stealable(self, head: np.ndarray) -> np.ndarray:
        return np.maximum(self.tail - np.maximum(head[:, None], self.base), 0)

    def step(self, c: int) -> bool:
        """One cycle of a product on its own; True in its final compute cycle."""
        st = self._stealable(self.head)                              # (n, nr), registered
        own = np.maximum(self.b0 - self.head, 0) + st.sum(axis=1)
        s_hold = np.where(self.hvalid, st[self.hv, self.hk], 0)      # (n, nh)
        if (self.busy_until < c).all() and not (own > 0).any() and not (s_hold > 0).any():
            if self.ag_done is None:
                self.ag_done = c
            if self.last_emit.max() <= c - 2:  # queue empty: the final compute cycle
                self.idle += 1
                return True
        self.claim_cycle(c, np.ones(self.n, dtype=bool))
        return False

    def finished(self, c: int) -> bool:
        """Every AG idle and every queue empty in cycle c (lanes that left have nothing)."""
        return bool((self.busy_until < c).all() and self.last_emit.max() <= c - 2)

    def claim_cycle(self, c: int, active: np.ndarray) -> np.ndarray:
        """Claims, retires and steals of cycle c by the ``active`` lanes (the lanes in this
        product); only active victims can be robbed.  Returns the active lanes that need a row
        and can get none here (no own row, nothing to steal)."""
        st = self._stealable(self.head) * active[:, None]           # (n, nr), registered
        own = np.maximum(self.b0 - self.head, 0) + st.sum(axis=1)
        s_hold = np.where(self.hvalid, st[self.hv, self.hk], 0)      # (n, nh)
        can_steal = (s_hold > 0).any(axis=1)
        ag_idle = self.busy_until < c
        need = (self.busy_until <= c) & active
        owner = need & (own > 0)
        skip = np.zeros(self.n, dtype=bool)
        if self.feat.skip_empty_rows:
            head_ops = self.ops[self.idx * self.Rm + np.minimum(self.head, self.Rm - 1)]
            skip = ~need & active & (own > 0) & (head_ops == 0)
        head2 = self.head + (owner | skip)
        thief = need & (own == 0) & can_steal
        j = np.argmax(s_hold, axis=1)                                 # largest; tie -> first
        rv, rk, rs = self.hv[self.idx, j], self.hk[self.idx, j], self.hs[self.idx, j]
        req = np.zeros((self.n, self.nr, 2), dtype=bool)
        t = np.flatnonzero(thief)
        req[rv[t], rk[t], rs[t]] = True
        st_owner = self._stealable(head2)                             # after the owner action
        grantable = st_owner > 0
        g0 = grantable & req[:, :, 0] & (~req[:, :, 1] | (self.rr == 0))
        g1 = grantable & req[:, :, 1] & ~g0
        self.rr = np.where(g0, 1, np.where(g1, 0, self.rr))
        gmat = np.stack([g0, g1], axis=2)
        granted = np.zeros(self.n, dtype=bool)
        granted[t] = gmat[rv[t], rk[t], rs[t]]
        got = owner | granted
        task = np.where(owner, self.idx * self.Rm + self.head,
                        rv * self.Rm + self.tail[rv, rk] - 1)
        task = np.where(got, task, 0)
        tail2 = self.tail - (g0 | g1)
        if t.size:
            self._steal_flags(st, head2, tail2, owner | skip, req, rv, rk, rs, thief, granted,
                              task)
        done = np.concatenate([task[got], self.idx[skip] * self.Rm + self.head[skip]])
        np.add.at(self.claims, done, 1)
        self.doer[done] = np.concatenate([self.idx[got], self.idx[skip]])
        self.idle += ag_idle & ~got & active
        end = c + self.dur[task]
        self.busy_until = np.where(got, end, self.busy_until)
        lo = c + self.last_op[task]
        self.last_emit = np.where(got & (self.ops[task] > 0), lo, self.last_emit)
        self.mac += np.where(got, self.ops[task], 0)
        self.own += owner
        self.skipped += skip
        self.stolen += granted
        self.refused += thief & ~granted
        self.lost += (g0 | g1).sum(axis=1)
        self.two_grants += (g0 | g1).sum(axis=1) >= 2
        self.tail = tail2
        self.head = head2
        self._normalise(c)
        return need & (own == 0) & ~can_steal

    def _steal_flags(self, st: np.ndarray, head2: np.ndarray, tail2: np.ndarray,
                     owner_act: np.ndarray, req: np.ndarray, rv: np.ndarray, rk: np.ndarray,
                     rs: np.ndarray, thief: np.ndarray, granted: np.ndarray,
                     task: np.ndarray) -> None:
        """FLAGS (docs/architecture.md section 6) with the v1 meanings, per (victim, range):
        N1 and N2 change what a row costs, not the claims, so every bit keeps its v1 definition
        (an N2 retire is an owner action, like an owner claim).  ``st`` is the registered
        stealable count, ``head2``/``tail2`` the state after the cycle's grants."""
        any_req = req[:, :, 0] | req[:, :, 1]
        st_owner = self._stealable_tail(head2, self.tail)          # after the owner action only
        # both neighbours asked this victim in the cycle (split: each for its own range, as the
        # RTL's dual_thief = thief_prev_req && thief_next_req)
        f = np.where(req[:, :, 0].any(axis=1) & req[:, :, 1].any(axis=1), F_DUAL_THIEF, 0)
        race = any_req & owner_act[:, None] & (st == 1) & (st_owner == 0)
        f |= np.where(race.any(axis=1), F_LAST_ROW_RACE, 0)
        self.races = race if self.races is None else self.races | race
        # side 0 = the victim's prev-side thief: the victim is that thief's next neighbour
        f |= np.where(granted & (self.lost > 0), F_VICTIM_THEN_THIEF, 0)
        f |= np.where(granted & (rs == 1), F_STOLE_PREV, 0)
        f |= np.where(granted & (rs == 0), F_STOLE_NEXT, 0)
        f |= np.where(granted & (self.ops[task] == 0), F_ZERO_WORK_STEAL, 0)
        refused = thief & ~granted
        if refused.any():
            st_after = self._stealable_tail(head2, tail2)
            own_after = np.maximum(self.b0 - head2, 0) + st_after.sum(axis=1)
            f |= np.select([refused & (st_after[rv, rk] > 0), refused & (own_after[rv] > 0),
                            refused], [F_REFUSED_CONTENTION, F_REFUSED_EXHAUSTED,
                                       F_REFUSED_DONE], 0)
        self.flags |= f

    def _stealable_tail(self, head: np.ndarray, tail: np.ndarray) -> np.ndarray:
        return np.maximum(tail - np.maximum(head[:, None], self.base), 0)

    def run(self) -> int:
        limit = int(self.dur.sum()) + 16
        c = 0
        while not self.step(c):
            c += 1
            if c > limit:  # a model bug, never a property of the input
                raise RuntimeError(f"v2 performance model did not terminate in {limit} cycles")
        return c + 1


def _check_features(hw: HwConfig, feat: PerfFeatures) -> None:
    if feat != V1 and hw.QDEPTH < 2:
        raise SpecError("v2 rules assume QDEPTH >= 2 (the AG never stalls)")


def _run(w_nonzero: np.ndarray, a_nonzero: np.ndarray, hw: HwConfig, layer: LayerConfig,
         feat: PerfFeatures, geo: _Geometry, plan: ReplicaPlan | None) -> ProductRun:
    if plan is None:
        res = simulate_matvec(w_nonzero, a_nonzero, hw, layer)
        return ProductRun(result=res, ag_cycles=res.compute_cycles)
    e = _rotated(_task_words(w_nonzero, a_nonzero, hw, layer, geo), geo, feat.rotate)
    eng = _RangeEngine(geo, e, plan, feat)
    compute = eng.run()
    return _product_run(eng, geo, compute, ceil_div(layer.M, hw.H), int(eng.ag_done))


def _product_run(eng: _RangeEngine, geo: _Geometry, compute: int, out: int,
                 ag_cycles: int) -> ProductRun:
    """The counters and coverage facts of one product's engine."""
    arrays = {"mac": eng.mac, "own": eng.own + eng.skipped, "stolen": eng.stolen,
              "lost": eng.lost, "refused": eng.refused, "idle": eng.idle,
              "flags": eng.flags, "stall": np.zeros(geo.n, dtype=np.int64)}
    res = _result(arrays, geo, compute, out, None)
    shape = (geo.n, geo.Rm)
    return ProductRun(result=res, ag_cycles=ag_cycles, doer=eng.doer.reshape(shape),
                      claims=eng.claims.reshape(shape), retired=int(eng.skipped.sum()),
                      scan_head=eng.scan_head, scan_tail=eng.scan_tail,
                      head_jumps=eng.head_jumps.copy(), two_grants=eng.two_grants.copy(),
                      races=None if eng.races is None else eng.races.copy())


def _prepare_v2(w_nonzero: np.ndarray, hw: HwConfig, layer: LayerConfig,
                feat: PerfFeatures, engine: str = "auto", plan: ReplicaPlan | None = None
                ) -> tuple[_Geometry, ReplicaPlan | None]:
    """engine "auto": V1 runs golden.perf itself; "range": the v2 engine even for V1 (tests).

    ``plan``: the replica plan the hardware holds (e.g. ``plan_from_registers`` of an image);
    None: ``plan_replicas`` of the features."""
    _check_mask("w_nonzero", w_nonzero, (layer.M, layer.N))
    _check_features(hw, feat)
    if feat == V1 and engine == "auto" and plan is None:
        return _geometry(hw, layer), None
    if plan is not None and feat.replicas != "split":
        raise SpecError("an explicit replica plan needs replicas='split'")
    # the v2 plan decides the replica slots: capacities are checked on it, not by v1's rule
    geo = _plain_geometry(hw, layer)
    if plan is None:
        plan = plan_replicas(w_nonzero, hw, layer, feat)
    _check_plan_fits(hw, geo, plan, _row_weights(w_nonzero, hw, geo, feat.rotate))
    return geo, plan


def _plain_geometry(hw: HwConfig, layer: LayerConfig) -> _Geometry:
    """Rows, words and lanes of the layer without v1's replica slots (mode none geometry)."""
    return _geometry(hw, LayerConfig(M=layer.M, N=layer.N, mode=StealMode.NONE))


def simulate_matvec_v2(w_nonzero: np.ndarray, a_nonzero: np.ndarray, hw: HwConfig,
                       layer: LayerConfig, features: PerfFeatures = V1,
                       engine: str = "auto", plan: ReplicaPlan | None = None) -> ProductRun:
    """One product under the v2 rules selected by ``features`` (V1: exactly golden.perf).

    engine="range" runs the v2 engine even for V1 (the tests compare it with golden.perf).
    plan: the split replica plan the hardware holds (None: ``plan_replicas(features)``).
    """
    geo, plan = _prepare_v2(w_nonzero, hw, layer, features, engine, plan)
    return _run(w_nonzero, a_nonzero, hw, layer, features, geo, plan)


SPLIT_EVENTS = ("head_jump", "owner_thief_meet", "uneven_victim", "two_grants", "race_range0",
                "race_range1")


def split_events(run: ProductRun, plan: ReplicaPlan) -> set[str]:
    """Split-range corners a product reached (coverage, docs/coverage-model.md masr.split):
    head_jump: an owner's head jumped over a whole range its thief had emptied (the owner did
    none of its rows); owner_thief_meet: in
    some range both the owner and the range's thief did rows (they met inside it);
    uneven_victim: a victim whose two ranges have different non-zero sizes lost rows;
    two_grants: a victim granted both of its thieves in one cycle; race_range<k>: a victim's
    LAST_ROW_RACE flag came from range k alone (its owner took range k's last row while that
    range's thief asked, and no such race on the other range), so the flag shows each range's
    race detector on its own."""
    out: set[str] = set()
    if run.head_jumps is not None and run.head_jumps.any():
        out.add("head_jump")
    if run.two_grants is not None and run.two_grants.any():
        out.add("two_grants")
    doer = run.doer
    n = doer.shape[0]
    rows = np.arange(doer.shape[1])[None, :]
    for k in range(plan.size.shape[1]):
        inside = (rows >= plan.base[:, k:k + 1]) & (rows < plan.base[:, k:k + 1]
                                                      + plan.size[:, k:k + 1])
        by_owner = (inside & (doer == np.arange(n)[:, None])).any(axis=1)
        by_thief = (inside & (doer >= 0) & (doer != np.arange(n)[:, None])).any(axis=1)
        if (by_owner & by_thief).any():
            out.add("owner_thief_meet")
    if plan.size.shape[1] == 2:
        uneven = (plan.size[:, 0] != plan.size[:, 1]) & (plan.size > 0).all(axis=1)
        if (uneven & (run.result.lanes.rows_lost.reshape(-1) > 0)).any():
            out.add("uneven_victim")
    if run.races is not None and run.races.shape[1] == 2:      # the RTL's two split ranges
        for k in (0, 1):
            if (run.races[:, k] & ~run.races[:, 1 - k]).any():
                out.add(f"race_range{k}")
    return out


def simulate_product(w_nonzero: np.ndarray, a_nonzero: np.ndarray, hw: HwConfig,
                     layer: LayerConfig, trace: bool = False,
                     plan: np.ndarray | None = None) -> PerfResult:
    """The counters the RTL reports for one product started with ``layer``'s registers:
    ``golden.perf.simulate_matvec`` (v1, unchanged) when CFG_FEAT sets no bit that changes a
    product's rules (NULL_SKIP, ROW_SKIP, SPLIT; OVERLAP, PREFETCH and WIDE_ENC only change how a
    GRU phase sequences its products; SCAN needs NULL_SKIP), else the v2 engine with the
    features CFG_FEAT selects
    (no steal trace: ``trace`` only applies to v1). The v1 model also covers QDEPTH = 1, where
    the AG can stall, which the v2 engine does not model.
    ``plan``: the split plan registers the image holds (None: the uniform plan of rep_rows)."""
    from golden.config import FEAT_NULL_SKIP, FEAT_ROW_SKIP, FEAT_SPLIT
    if not layer.feat & (FEAT_NULL_SKIP | FEAT_ROW_SKIP | FEAT_SPLIT):
        return simulate_matvec(w_nonzero, a_nonzero, hw, layer, trace=trace)
    return simulate_product_run(w_nonzero, a_nonzero, hw, layer, plan)[0].result


def simulate_product_run(w_nonzero: np.ndarray, a_nonzero: np.ndarray, hw: HwConfig,
                         layer: LayerConfig, plan: np.ndarray | None = None
                         ) -> tuple[ProductRun, ReplicaPlan]:
    """simulate_product's v2 run (CFG_FEAT != 0) with the replica plan it ran."""
    feat = layer.perf_features
    geo, rplan = _prepare_v2(w_nonzero, hw, layer, feat, "range",
                             None if plan is None else plan_from_registers(plan, hw, layer))
    return _run(w_nonzero, a_nonzero, hw, layer, feat, geo, rplan), rplan


def run_ahead_products(w_nonzero: np.ndarray, a_masks: Sequence[np.ndarray], hw: HwConfig,
                       layer: LayerConfig, entry_ready: EntryGate | None = None,
                       plan: np.ndarray | None = None, entry_delay: int = 0,
                       gate_cycles: int = 0) -> RunAheadTrace:
    """The products of ``a_masks`` started with ``layer``'s registers (CFG_FEAT must set
    OVERLAP: run-ahead fills the second accumulator bank) run one after the other with lane
    run-ahead (O2), lanes entering product q >= 1 no earlier than ``entry_ready`` says.
    ``plan``: the split plan registers the image holds (None: the plan of the features)."""
    feat = replace(layer.perf_features, run_ahead=True)
    geo, rplan = _prepare_v2(w_nonzero, hw, layer, feat, "range",
                             None if plan is None else plan_from_registers(plan, hw, layer))
    return run_ahead_trace(w_nonzero, list(a_masks), hw, layer, feat, geo, rplan, entry_ready,
                           entry_delay, gate_cycles)


# --------------------------------------------------------------------------------------------
# Sequences: serial output phase (v1) or double-buffered accumulators (overlap_output)
# --------------------------------------------------------------------------------------------

def schedule_products(runs: Sequence[ProductRun], out_cycles: int, overlap: bool,
                      dependent: bool) -> int:
    """Total busy cycles of products started back to back in list order.

    v1 (overlap False): every product is compute + out cycles, one after the other.
    overlap True (two accumulator banks, one output unit): product p starts
      - independent: in the cycle its predecessor's AGs are done (``ag_cycles`` after its
        start) and the bank it writes is drained (product p-2's drain has ended);
      - dependent (its activations are the predecessor's outputs, the GRU's U h_{t-1}):
        when the predecessor's drain has ended.
    A product's drain starts after its compute phase (v1's compute_cycles, i.e. every op has
    been accumulated) once the output unit is free, and takes out_cycles.
    """
    if not overlap:
        return sum(r.result.compute_cycles + out_cycles for r in runs)
    start = 0
    drain_end = [0, 0]  # drains of products p-2 and p-1
    for r in runs:
        if dependent:
            start = max(start, drain_end[1])
        start = max(start, drain_end[0])
        fin = start + r.result.compute_cycles
        drain_end = [drain_end[1], max(fin, drain_end[1]) + out_cycles]
        start += r.ag_cycles
    return drain_end[1]


_NOT_YET = np.iinfo(np.int64).max // 4     # a lane's start in a product it has not entered


@dataclass(frozen=True)
class RunAheadTrace:
    """When each product of a run-ahead sequence happened (engine cycles, 0 = product 0's first
    compute cycle): ``runs`` as :func:`run_ahead_sequence` returns them, ``first_entry[p]`` the
    first cycle a lane claimed in p, ``compute_end[p]`` the cycle after p's last compute cycle,
    ``drain_end[p]`` the cycle after p's output phase; ``cycles`` = ``drain_end[-1]``."""

    runs: list[ProductRun]
    first_entry: list[int]
    compute_end: list[int]
    drain_end: list[int]

    @property
    def cycles(self) -> int:
        return self.drain_end[-1]


# entry_ready(q, compute_end) -> the first cycle a lane may claim in product q >= 1, or None
# while that is not yet known (compute_end holds -1 for products whose compute has not ended).
EntryGate = Callable[[int, Sequence[int]], "int | None"]


def run_ahead_trace(w_nonzero: np.ndarray, steps: Sequence[np.ndarray], hw: HwConfig,
                    layer: LayerConfig, feat: PerfFeatures, geo: _Geometry, plan: ReplicaPlan,
                    entry_ready: EntryGate | None = None, entry_delay: int = 0,
                    gate_cycles: int = 0) -> RunAheadTrace:
    """Independent products with lane run-ahead (O2), and when each one ran.

    Every lane works through the products in order, each with the rules of a product on its
    own, except that lanes enter a product one by one: a lane that needs a row in product p and
    can neither claim one nor steal one (only from lanes also in p, the only victims whose
    registers hold p) enters p + 1 in that same cycle and claims there, provided p + 1's
    accumulator bank is free, i.e. product p - 1's drain has ended, and (``entry_ready``) p + 1's
    activations are present; otherwise it stays in p (and may still steal there).  Product p's
    compute ends in the first cycle in which every lane has entered it, every lane still in it
    has nothing left to claim or steal there (it only waits for a gate), every AG is idle and
    every queue empty (as a product on its own); its drain then takes the output unit for
    ceil(M/H) cycles once p - 1's drain has ended, as in ``schedule_products``.  A product's
    counters are its own; its ``compute_cycles`` and ``ag_cycles`` count from the first lane's
    entry, and its idle cycles only while a lane is in it and its compute has not ended.  With
    one product the cycles and every other counter are those of the O1 schedule.
    ``gate_cycles`` bounds how long ``entry_ready`` can hold lanes back in all (the model's
    termination check allows for it).
    """
    engines = [_RangeEngine(geo, _rotated(_task_words(w_nonzero, a, hw, layer, geo), geo,
                                          feat.rotate), plan, feat) for a in steps]
    T, n, out = len(engines), geo.n, ceil_div(layer.M, hw.H)
    if entry_delay not in (0, 1):
        raise SpecError(f"run_ahead_trace: entry_delay={entry_delay} must be 0 or 1")
    for eng in engines:
        eng.start[:] = _NOT_YET
    engines[0].start[:] = 0
    cur = np.zeros(n, dtype=np.int64)             # the product each lane is in (T: done)
    compute_end, drain_end = [-1] * T, [-1] * T
    limit = sum(int(e.dur.sum()) for e in engines) + (out + 16) * T + gate_cycles

    def may_enter(q: int, c: int) -> bool:
        """A lane leaving for q in cycle c claims there from c + entry_delay."""
        if q >= T:
            return True                           # leaving the last product: nothing to enter
        if q >= 2 and not 0 <= drain_end[q - 2] <= c + entry_delay:
            return False                          # q's bank still drains product q - 2
        if entry_ready is None or q == 0:
            return True
        ready = entry_ready(q, compute_end)
        return ready is not None and ready <= c + entry_delay

    # the cycle from which a lane has had nothing left in p (a lane stuck before every victim
    # entered p may still get work there; then it counts from its next stuck cycle)
    done_at = np.full((T, n), -1, dtype=np.int64)
    was_stuck = np.zeros((T, n), dtype=bool)
    c = 0
    while drain_end[-1] < 0:
        # Oldest product first, so that a lane leaving p claims in p + 1 in the same cycle
        # (cur.max() grows inside the loop).
        p = int(cur.min())
        all_stuck = [True] * T   # every lane in p at the cycle's start had nothing left there
        while p < T and p <= cur.max():
            active = (cur == p) & (engines[p].start <= c)   # not on the way in (entry_delay)
            if compute_end[p] >= 0 or not active.any():
                stuck = active    # p's work is over: its lanes only wait to move on
            else:
                stuck = engines[p].claim_cycle(c, active)
                all_stuck[p] = bool((stuck == active).all())
            done_at[p] = np.where(stuck & ~was_stuck[p], c, done_at[p])
            was_stuck[p] = stuck
            if stuck.any() and may_enter(p + 1, c):
                cur[stuck] = p + 1
                if p + 1 < T:
                    engines[p + 1].start[stuck] = c + entry_delay
            p += 1
        # Compute ends once every lane has entered p (a lane not yet in p still owns rows
        # there, and only then can a stuck lane never get work in p again), every lane still in
        # p has nothing left there, and every AG and queue is empty of p's ops; only the oldest
        # running product is checked, and only from the cycle after its predecessor ended.
        p = next(q for q in range(T) if compute_end[q] < 0)
        if all_stuck[p] and (engines[p].start <= c).all() and engines[p].finished(c):
            compute_end[p] = c + 1
            drain_end[p] = max(c + 1, drain_end[p - 1] if p else 0) + out
        c += 1
        if c > limit:  # a model bug, never a property of the input
            raise RuntimeError(f"run-ahead model did not terminate in {limit} cycles")
    firsts = [int(eng.start.min()) for eng in engines]
    runs = [_product_run(eng, geo, compute_end[p] - firsts[p], out,
                         int(done_at[p].max()) - firsts[p]) for p, eng in enumerate(engines)]
    return RunAheadTrace(runs=runs, first_entry=firsts, compute_end=compute_end,
                         drain_end=drain_end)


def run_ahead_sequence(w_nonzero: np.ndarray, steps: Sequence[np.ndarray], hw: HwConfig,
                       layer: LayerConfig, feat: PerfFeatures, geo: _Geometry,
                       plan: ReplicaPlan) -> tuple[list[ProductRun], int]:
    """Independent products with lane run-ahead (O2), activations always present:
    (per-product runs, total cycles) of :func:`run_ahead_trace`."""
    trace = run_ahead_trace(w_nonzero, steps, hw, layer, feat, geo, plan)
    return trace.runs, trace.cycles


@dataclass(frozen=True)
class SequenceRunV2:
    runs: list[ProductRun]
    cycles: int
    n_lanes: int

    def total(self, name: str) -> int:
        return int(sum(getattr(r.result, name) for r in self.runs))

    @property
    def mac_busy(self) -> int:
        return self.total("mac_busy")

    @property
    def utilization(self) -> float:
        return self.mac_busy / (self.cycles * self.n_lanes)


def simulate_sequence_v2(w_nonzero: np.ndarray, a_masks: np.ndarray | Sequence[np.ndarray],
                         hw: HwConfig, layer: LayerConfig, features: PerfFeatures = V1,
                         dependent: bool = False) -> SequenceRunV2:
    """One W applied to T activation masks; ``dependent`` says each product needs the previous
    product's outputs (then overlap_output cannot start it before that drain has ended)."""
    geo, plan = _prepare_v2(w_nonzero, hw, layer, features)
    if features.run_ahead and not dependent and plan is not None:
        # A dependent product needs its predecessor's drained outputs: nothing to run ahead to.
        runs, cycles = run_ahead_sequence(w_nonzero, _as_steps(a_masks), hw, layer, features,
                                          geo, plan)
        return SequenceRunV2(runs=runs, cycles=cycles, n_lanes=hw.n_lanes)
    runs = [_run(w_nonzero, a, hw, layer, features, geo, plan) for a in _as_steps(a_masks)]
    cycles = schedule_products(runs, ceil_div(layer.M, hw.H), features.overlap_output,
                               dependent)
    return SequenceRunV2(runs=runs, cycles=cycles, n_lanes=hw.n_lanes)


# --------------------------------------------------------------------------------------------
# Offline row placement
# --------------------------------------------------------------------------------------------

def balanced_row_order(w_nonzero: np.ndarray, hw: HwConfig) -> np.ndarray:
    """Row permutation that evens out the weight non-zeros of every lane (h, v).

    order[r'] = logical row stored as physical row r' (so physical row r' belongs to lane-row
    r' mod H).  Greedy: heaviest rows first, each to the lane-row with free capacity where it
    raises the sum of squared per-partition loads least (the static part of the imbalance:
    a lane's expected effective ops are its weights times the activation density).
    """
    M, N = w_nonzero.shape
    P = ceil_div(N, hw.V)
    padded = np.zeros((M, hw.V * P), dtype=np.int64)
    padded[:, :N] = w_nonzero
    per_part = padded.reshape(M, hw.V, P).sum(axis=2)          # (M, V)
    cap = np.array([ceil_div(M - h, hw.H) if h < M else 0 for h in range(hw.H)])
    load = np.zeros((hw.H, hw.V), dtype=np.int64)
    assigned: list[list[int]] = [[] for _ in range(hw.H)]
    for r in np.argsort(-per_part.sum(axis=1), kind="stable"):
        growth = ((load + per_part[r]) ** 2).sum(axis=1) - (load ** 2).sum(axis=1)
        growth = np.where(cap > 0, growth, np.iinfo(np.int64).max)
        h = int(np.argmin(growth))
        load[h] += per_part[r]
        cap[h] -= 1
        assigned[h].append(int(r))
    order = np.empty(M, dtype=np.int64)
    for h, rows in enumerate(assigned):
        for i, r in enumerate(rows):
            order[i * hw.H + h] = r
    return order
