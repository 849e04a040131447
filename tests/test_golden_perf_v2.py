"""Tests of the v2 performance model (golden/perf_v2.py, docs/perf-model.md "v2 rules").

- v1 defaults unchanged: PerfFeatures() is golden.perf, and the v2 engine run with v1 features
  reproduces golden.perf's counters and lane statistics;
- hand-derived cycle counts for each v2 rule (derivations in the comments);
- hypothesis invariants: every row task done exactly once, stolen rows only where the thief
  holds a replica, MAC busy = effective non-zeros, duplication within the budget, v2 features
  never slower than v1 without stealing, stealing never slower than none.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from golden.config import HwConfig, LayerConfig, StealMode, ceil_div
from golden.errors import SpecError
from golden.perf import random_masks, simulate_matvec, simulate_sequence
from golden.perf_v2 import (V1, PerfFeatures, ProductRun, balanced_row_order,
                            dup_fraction_of_plan, plan_replicas, schedule_products,
                            simulate_matvec_v2, simulate_sequence_v2)
from test_golden_perf import make_hw, masks_from_ops

NONE, VERT, HORZ = StealMode.NONE, StealMode.VERTICAL, StealMode.HORIZONTAL
LANE_FIELDS = ("mac_busy", "rows_own", "rows_stolen", "rows_lost", "refused", "idle", "flags")
NWS = PerfFeatures(null_word_skip=True)


def run_v2(ops: dict[tuple[int, int], list[int]], H: int, V: int, mode: StealMode,
           feat: PerfFeatures, rep_rows: int = 0) -> ProductRun:
    w, a = masks_from_ops(H, V, 16, ops)
    M, N = w.shape
    return simulate_matvec_v2(w, a, make_hw(H, V, M, N), LayerConfig(M=M, N=N, mode=mode,
                                                                      rep_rows=rep_rows), feat)


# ------------------------------------------------------------------------------------------
# v1 defaults
# ------------------------------------------------------------------------------------------

def test_default_features_are_v1() -> None:
    assert PerfFeatures() == V1
    rng = np.random.default_rng(3)
    w, a = random_masks(rng, 40, 48, 0.3, 0.6, 4)
    hw = make_hw(4, 2, 40, 48)
    layer = LayerConfig(M=40, N=48, mode=VERT, rep_rows=2)
    seq1 = simulate_sequence(w, a, hw, layer)
    seq2 = simulate_sequence_v2(w, a, hw, layer)
    assert seq2.cycles == seq1.cycles
    for p1, run in zip(seq1.products, seq2.runs):
        assert run.result.counters() == p1.counters()
        np.testing.assert_array_equal(run.result.flags, p1.flags)  # v1's own FLAGS


@st.composite
def small_cases(draw, allow_qdepth_one: bool = False):
    H = draw(st.sampled_from([1, 2, 4]))
    V = draw(st.sampled_from([1, 2, 4]))
    M = draw(st.integers(1, 36))
    N = draw(st.integers(1, 70))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    w, a = random_masks(rng, M, N, draw(st.floats(0.0, 1.0)), draw(st.floats(0.0, 1.0)), 2,
                        skew=draw(st.floats(0.0, 2.0)))
    mode = draw(st.sampled_from(list(StealMode)))
    rep = draw(st.integers(0, 4)) if mode else 0
    hw = HwConfig(H=H, V=V, G=1, M_MAX=M, N_MAX=N, SLOTS=3 * ceil_div(M, H) + 8,
                  WDEPTH=1 << 15)
    return w, a, hw, LayerConfig(M=M, N=N, mode=mode, rep_rows=rep)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_cases())
def test_v2_engine_with_v1_features_equals_golden_perf(case) -> None:
    w, a, hw, layer = case
    r1 = simulate_matvec(w, a[0], hw, layer)
    r2 = simulate_matvec_v2(w, a[0], hw, layer, V1, engine="range").result
    assert r2.counters() == r1.counters()
    for name in LANE_FIELDS + ("flags",):
        np.testing.assert_array_equal(getattr(r2.lanes, name), getattr(r1.lanes, name))


# ------------------------------------------------------------------------------------------
# hand-derived cases
# ------------------------------------------------------------------------------------------

def test_null_word_skip_by_hand() -> None:
    # One lane, one row over N = 32 (K = 2 words): word 0 has no effective op, word 1 has 3.
    # v1: claim in 0; AG cycles 1 (empty word 0), 2..4 (ops); last pop 5; finished 6 ->
    #     compute 7, out 1.  v2: the row costs max(1, 3) = 3 cycles: ops in 1..3, last pop 4,
    #     finished 5 -> compute 6; every AG idle and nothing claimable first in cycle 4.
    w = np.zeros((1, 32), dtype=bool)
    w[0, 16:19] = True
    a = np.ones(32, dtype=bool)
    hw = make_hw(1, 1, 1, 32)
    layer = LayerConfig(M=1, N=32)
    v1 = simulate_matvec_v2(w, a, hw, layer, V1)
    v2 = simulate_matvec_v2(w, a, hw, layer, NWS)
    assert (v1.result.compute_cycles, v1.result.cycles) == (7, 8)
    assert (v2.result.compute_cycles, v2.result.cycles, v2.ag_cycles) == (6, 7, 4)
    assert v2.result.mac_busy == 3
    assert v2.result.idle == 2  # cycles 4 and 5


def test_empty_row_lookahead_by_hand() -> None:
    # One lane, rows with [2, 0, 0, 1] ops, null-word skip on.
    # Without lookahead: rows cost 2, 1, 1, 1 -> AG busy 1..5, last op 5, finished 7 -> 8.
    # With lookahead: claim row 0 in cycle 0 (busy 1..2); cycle 1 the AG is busy and not
    # claiming, head row 1 is empty -> retired (head = 2); cycle 2 the AG claims row 2 (a claim
    # cycle never skips), busy 3; cycle 3 claims row 3, busy 4 (its op); last pop 5;
    # finished 6 -> compute 7.  Four rows done, 3 MAC ops.
    ops = {(0, 0): [2, 0, 0, 1]}
    plain = run_v2(ops, 1, 1, NONE, NWS)
    skip = run_v2(ops, 1, 1, NONE, PerfFeatures(null_word_skip=True, skip_empty_rows=True))
    assert plain.result.compute_cycles == 8
    assert skip.result.compute_cycles == 7
    assert skip.result.rows_done == plain.result.rows_done == 4
    assert skip.result.mac_busy == 3
    assert skip.doer.tolist() == [[0, 0, 0, 0]]


def test_row_scanner_by_hand() -> None:
    # One lane, rows with [2, 0, 0, 3] ops, null-word skip on, no lookahead.  The scanner reads
    # row x in cycle x.  Cycle 0: claim row 0 (busy 1..2).  End of cycle 1: row 1 is scanned
    # and empty -> retired (head 2); row 2 is not scanned yet.  Cycle 2: claim row 2 (empty,
    # unknown: one cycle, 3).  Cycle 3: claim row 3, ops in 4..6, last pop 7, finished 8 ->
    # compute 9.  Without the scanner row 1 also costs a cycle: compute 10.
    ops = {(0, 0): [2, 0, 0, 3]}
    plain = run_v2(ops, 1, 1, NONE, NWS)
    scan = run_v2(ops, 1, 1, NONE, PerfFeatures(null_word_skip=True, scan_rows=True))
    assert plain.result.compute_cycles == 10
    assert scan.result.compute_cycles == 9
    assert scan.result.rows_done == 4 and scan.result.mac_busy == 5
    assert scan.result.lanes.rows_own.reshape(-1).tolist() == [4]


def test_row_scanner_retires_a_range_tail() -> None:
    # 1x2 vertical, split ranges, rep_rows 2.  Lane (0,0) rows [4, 4, 0, 0]: its exported tail
    # rows 2 and 3 are empty; the scanner (row x known after cycle x) retires row 3 and then
    # row 2 at the tail before the idle neighbour can be granted them, so no row is stolen.
    ops = {(0, 0): [4, 4, 0, 0], (0, 1): [0, 0, 0, 0]}
    feat = PerfFeatures(null_word_skip=True, replicas="split", scan_rows=True)
    run = run_v2(ops, 1, 2, VERT, feat, rep_rows=2)
    assert run.result.steals_granted == 0
    assert run.doer[0].tolist() == [0, 0, 0, 0]
    assert run.result.rows_done == 8


def test_rotation_maps_rows_to_partitions() -> None:
    # H=1, V=4, rotate=4: row i of lane v covers partition (v + i mod 4 - 2) mod 4.  Put all
    # weight of row i in partition i: lane (0, v) then holds row i's weight iff
    # (v + i - 2) mod 4 == i, i.e. v == 2 for every row.
    M, N = 4, 64
    w = np.zeros((M, N), dtype=bool)
    for i in range(M):
        w[i, i * 16:(i + 1) * 16] = True
    a = np.ones(N, dtype=bool)
    hw = make_hw(1, 4, M, N)
    rot = simulate_matvec_v2(w, a, hw, LayerConfig(M=M, N=N),
                             PerfFeatures(null_word_skip=True, rotate=4))
    assert rot.result.lanes.mac_busy.reshape(-1).tolist() == [0, 0, 64, 0]
    plain = simulate_matvec_v2(w, a, hw, LayerConfig(M=M, N=N), NWS)
    assert plain.result.lanes.mac_busy.reshape(-1).tolist() == [16, 16, 16, 16]


def test_split_steal_by_hand() -> None:
    # 1x2 vertical, split ranges, rep_rows = 1: each lane exports its last row (local row 3)
    # to its only neighbour.  Lane (0,0) rows [2,2,2,2], lane (0,1) rows [1,0,0,0];
    # null-word skip on, so a row costs max(1, ops).
    # c0: both claim row 0 (L0 busy 1..2, L1 busy 1).  c1: L1 claims row 1 (busy 2).
    # c2: L0 claims row 1 (busy 3..4), L1 row 2 (busy 3).  c3: L1 claims row 3 (busy 4).
    # c4: L0 claims row 2 (busy 5..6); L1 has no own row, sees L0's stealable count
    #     3 - ... = tail 4 - max(head 2, base 3) = 1, asks; after the owner's claim head' = 3,
    #     still 1 stealable -> granted row 3 (busy 5..6).
    # c6: both end, nothing left.  c7: all AGs idle (ag_cycles 7), queue holds the last ops;
    # c8: finished -> compute 9.  Mode none: L0's rows run 1..8, finished 10 -> compute 11.
    ops = {(0, 0): [2, 2, 2, 2], (0, 1): [1, 0, 0, 0]}
    feat = PerfFeatures(null_word_skip=True, replicas="split")
    steal = run_v2(ops, 1, 2, VERT, feat, rep_rows=1)
    none = run_v2(ops, 1, 2, NONE, feat)
    r = steal.result
    assert (r.compute_cycles, steal.ag_cycles) == (9, 7)
    assert none.result.compute_cycles == 11
    assert (r.steals_granted, r.steals_refused) == (1, 0)
    assert r.lanes.mac_busy.tolist() == [[6, 3]]
    assert r.lanes.rows_own.tolist() == [[3, 4]]
    assert r.lanes.rows_lost.tolist() == [[1, 0]]
    assert r.lanes.idle.tolist() == [[2, 2]]
    assert steal.doer.tolist() == [[0, 0, 0, 1], [1, 1, 1, 1]]


def test_split_ranges_have_one_thief_each() -> None:
    # 1x4 vertical, split, rep_rows 2, R = 8 rows per lane.  A middle lane exports 2 rows per
    # neighbour, stacked: own-only [0, 4), prev-thief range [4, 6), next-thief range [6, 8).
    w = np.ones((8, 64), dtype=bool)
    hw = make_hw(1, 4, 8, 64)
    layer = LayerConfig(M=8, N=64, mode=VERT, rep_rows=2)
    plan = plan_replicas(w, hw, layer, PerfFeatures(replicas="split"))
    assert plan.base[1].tolist() == [4, 6] and plan.size[1].tolist() == [2, 2]
    assert plan.thieves[1].tolist() == [[0, -1], [-1, 2]]
    # edge lanes have one neighbour: their 2 rows go to it
    assert plan.size[0].tolist() == [0, 2] and plan.thieves[0, 1].tolist() == [-1, 1]
    assert plan.size[3].tolist() == [2, 0] and plan.thieves[3, 0].tolist() == [2, -1]
    # every replicated row stored once: (2 + 4 + 4 + 2) rows of 16 weights / 8*64 weights
    assert dup_fraction_of_plan(w, hw, layer, plan) == pytest.approx(12 * 16 / 512)


def test_schedule_by_hand() -> None:
    # Three products: compute 3 (v1 compute phase), AGs done after 2, out 5.
    # serial: 3 * (3 + 5) = 24.  overlapped, independent: p0 0..2, drain 3..7;
    # p1 starts 2, fin 5, drain waits for the output unit: 8..12; p2 could start at 4 but its
    # bank (p0's) drains until 8 -> starts 8, fin 11, drain 13..17 -> 18.
    # dependent: each waits for its predecessor's drain: 0+3+5 = 8, 16, 24 (nothing gained).
    res = simulate_matvec(np.ones((1, 1), dtype=bool), np.ones(1, dtype=bool),
                          make_hw(1, 1, 1, 1), LayerConfig(M=1, N=1))
    run = ProductRun(result=res, ag_cycles=2)
    runs = [ProductRun(result=type(res)(**{**res.__dict__, "compute_cycles": 3}),
                       ag_cycles=2)] * 3
    assert run.ag_cycles == 2
    assert schedule_products(runs, 5, overlap=False, dependent=False) == 24
    assert schedule_products(runs, 5, overlap=True, dependent=False) == 18
    assert schedule_products(runs, 5, overlap=True, dependent=True) == 24


RA = PerfFeatures(null_word_skip=True, overlap_output=True, run_ahead=True)


def test_run_ahead_by_hand() -> None:
    # Two lanes (one lane-row, V = 2), one row each, N1, mode none, out = ceil(1/1) = 1.
    # Product 0: lane 0 has 4 ops, lane 1 one; product 1 the other way round.  A product on
    # its own: claims in 0, ops 1..4, every AG idle and nothing claimable first in 5 (ag), last
    # pop 5, finished 6 -> compute 7.  O1: p0 0..6, drain 7 -> 8; p1 starts 5, fin 12, drain
    # -> 13.  Run-ahead: lane 1 has nothing left in p0 in cycle 1 and claims its p1 row there
    # (4 ops: busy to 5); lane 0 does so in cycle 4 (1 op: busy to 5).  p0: every lane out,
    # AGs idle and queues empty in cycle 6 -> compute ends 7, drain -> 8.  p1: AGs idle from
    # 6, last op 5 -> finished in 7 -> 8, drain -> 9.
    w = np.ones((1, 32), dtype=bool)
    a = np.zeros((2, 32), dtype=bool)
    a[0, :4] = a[0, 16] = a[1, 0] = True
    a[1, 16:20] = True
    hw, layer = make_hw(1, 2, 1, 32), LayerConfig(M=1, N=32)
    o1 = simulate_sequence_v2(w, a, hw, layer, PerfFeatures(null_word_skip=True,
                                                            overlap_output=True))
    ra = simulate_sequence_v2(w, a, hw, layer, RA)
    assert (o1.cycles, ra.cycles) == (13, 9)
    assert [r.result.compute_cycles for r in ra.runs] == [7, 7]     # p1 counts from cycle 1
    assert [r.ag_cycles for r in ra.runs] == [4, 4]
    assert [r.result.mac_busy for r in ra.runs] == [5, 5]
    # a dependent chain cannot run ahead: the O1 schedule
    assert simulate_sequence_v2(w, a, hw, layer, RA, dependent=True).cycles == \
        simulate_sequence_v2(w, a, hw, layer, PerfFeatures(null_word_skip=True,
                                                           overlap_output=True),
                             dependent=True).cycles


@st.composite
def run_ahead_features(draw) -> PerfFeatures:
    return replace(draw(v2_features()), overlap_output=True, run_ahead=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_cases(), run_ahead_features())
def test_run_ahead_invariants(case, feat) -> None:
    """Every product's rows done exactly once, by their owner or a replica holder; one product
    alone is exactly O1; without stealing, never slower than O1 (a lane's work in a product
    does not depend on when it enters it, and it enters no later than under O1)."""
    w, a, hw, layer = case
    seq = simulate_sequence_v2(w, a, hw, layer, feat)
    for run, act in zip(seq.runs, a):
        assert_exactly_once(run, w, hw, layer, feat)
        assert run.result.mac_busy == int((w & act[None, :]).sum())
        assert run.result.rows_done == layer.M * hw.V
    o1 = replace(feat, run_ahead=False)
    one = simulate_sequence_v2(w, a[:1], hw, layer, feat)
    ref = simulate_sequence_v2(w, a[:1], hw, layer, o1)
    assert one.cycles == ref.cycles
    # PERF_IDLE differs: a lane that has left a product is not idle in it any more
    mine, theirs = one.runs[0].result.counters(), ref.runs[0].result.counters()
    assert {k: v for k, v in mine.items() if k != "PERF_IDLE"} == \
        {k: v for k, v in theirs.items() if k != "PERF_IDLE"}
    if layer.mode == NONE:
        assert seq.cycles <= simulate_sequence_v2(w, a, hw, layer, o1).cycles


def test_bad_features() -> None:
    with pytest.raises(SpecError):
        PerfFeatures(replicas="ring")
    with pytest.raises(SpecError):
        PerfFeatures(reach=2)                       # reach > 1 needs split ranges
    with pytest.raises(SpecError):
        PerfFeatures(placement="load")              # load placement needs a budget
    with pytest.raises(SpecError):
        PerfFeatures(skip_empty_rows=True)          # needs the one-read row mask
    with pytest.raises(SpecError):
        PerfFeatures(scan_rows=True)                # the scanner reads a whole row too
    with pytest.raises(SpecError):
        PerfFeatures(rotate=0)
    with pytest.raises(SpecError):
        PerfFeatures(run_ahead=True)                # needs the second accumulator bank
    w = np.ones((4, 16), dtype=bool)
    hw = make_hw(1, 1, 4, 16, qdepth=1)
    with pytest.raises(SpecError):
        simulate_matvec_v2(w, w[0], hw, LayerConfig(M=4, N=16), NWS)


# ------------------------------------------------------------------------------------------
# invariants
# ------------------------------------------------------------------------------------------

@st.composite
def v2_features(draw, rotations: bool = False) -> PerfFeatures:
    """rotations: also draw partition rotation (a remapping, so it may be slower than v1 on
    a given input; only the invariants hold for it, not the never-slower properties)."""
    nws = draw(st.booleans())
    replicas = draw(st.sampled_from(["shared", "split"]))
    budget = draw(st.sampled_from([None, 0.05, 0.1, 0.3, 1.0]))
    return PerfFeatures(
        null_word_skip=nws, skip_empty_rows=nws and draw(st.booleans()),
        overlap_output=draw(st.booleans()), replicas=replicas,
        reach=draw(st.integers(1, 2)) if replicas == "split" else 1,
        placement=draw(st.sampled_from(["uniform", "load"])) if budget else "uniform",
        dup_budget=budget, scan_rows=nws and draw(st.booleans()),
        rotate=draw(st.sampled_from([1, 2, 3, 64])) if rotations else 1)


def assert_exactly_once(run: ProductRun, w, hw: HwConfig, layer: LayerConfig,
                        feat: PerfFeatures) -> None:
    n, Rm = run.claims.shape
    R = np.array([ceil_div(layer.M - h, hw.H) if h < layer.M else 0
                  for h in range(hw.H) for _ in range(hw.V)])
    valid = np.arange(Rm)[None, :] < R[:, None]
    np.testing.assert_array_equal(run.claims, valid.astype(np.int64))
    if layer.mode == NONE:
        assert (run.doer[valid] == np.nonzero(valid)[0]).all()
        return
    plan = plan_replicas(w, hw, layer, feat)
    for victim, i in zip(*np.nonzero(valid & (run.doer != np.arange(n)[:, None]))):
        thief = run.doer[victim, i]
        k = np.nonzero((plan.base[victim] <= i) & (i < plan.base[victim] + plan.size[victim]))
        assert len(k[0]) == 1, "stolen row outside every replica range"
        assert thief in plan.thieves[victim, k[0][0]], "thief holds no replica of the row"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_cases(), v2_features(rotations=True))
def test_invariants(case, feat) -> None:
    w, a, hw, layer = case
    seq = simulate_sequence_v2(w, a, hw, layer, feat)
    for run, act in zip(seq.runs, a):
        if feat != V1:
            assert_exactly_once(run, w, hw, layer, feat)
        assert run.result.mac_busy == int((w & act[None, :]).sum())
        assert run.result.rows_done == layer.M * hw.V
        assert run.ag_cycles <= run.result.compute_cycles
    if feat.dup_budget is not None and layer.mode != NONE:
        plan = plan_replicas(w, hw, layer, feat)
        assert dup_fraction_of_plan(w, hw, layer, plan, feat.rotate) <= feat.dup_budget + 1e-12


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_cases(), v2_features())
def test_v2_without_stealing_never_slower_than_v1(case, feat) -> None:
    w, a, hw, layer = case
    none = LayerConfig(M=layer.M, N=layer.N)
    v1 = simulate_sequence_v2(w, a, hw, none, V1)
    v2 = simulate_sequence_v2(w, a, hw, none, feat)
    assert v2.cycles <= v1.cycles
    for r1, r2 in zip(v1.runs, v2.runs):
        assert r2.result.compute_cycles <= r1.result.compute_cycles


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_cases(), v2_features())
def test_stealing_never_slower_than_none(case, feat) -> None:
    w, a, hw, layer = case
    steal = simulate_sequence_v2(w, a, hw, layer, feat)
    none = simulate_sequence_v2(w, a, hw, LayerConfig(M=layer.M, N=layer.N), feat)
    for rs, rn in zip(steal.runs, none.runs):
        assert rs.result.compute_cycles <= rn.result.compute_cycles


def test_balanced_row_order_is_a_permutation_that_evens_lanes() -> None:
    rng = np.random.default_rng(0)
    w, _ = random_masks(rng, 200, 200, 0.1, 0.5, 1, skew=1.0)
    hw = make_hw(8, 8, 200, 200)
    order = balanced_row_order(w, hw)
    assert sorted(order.tolist()) == list(range(200))
    layer = LayerConfig(M=200, N=200)
    from golden.perf_v2 import _plain_geometry, _row_weights  # the encoder's own view
    geo = _plain_geometry(hw, layer)
    before = _row_weights(w, hw, geo).sum(axis=1)
    after = _row_weights(w[order], hw, geo).sum(axis=1)
    assert after.max() - after.min() < before.max() - before.min()


# ------------------------------------------------------------------------------------------
# split ranges as the RTL holds them (plan registers) and their FLAGS
# ------------------------------------------------------------------------------------------

SPLIT_FEATS = [PerfFeatures(replicas="split"),
               PerfFeatures(replicas="split", placement="load", dup_budget=0.1)]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_cases(), st.sampled_from(SPLIT_FEATS))
def test_plan_registers_round_trip(case, feat) -> None:
    """plan_from_registers(plan_registers(p)) runs exactly like p (reach 1)."""
    from golden.perf_v2 import plan_from_registers, plan_registers
    w, a, hw, layer = case
    plan = plan_replicas(w, hw, layer, feat)
    regs = plan_registers(plan, hw, layer)
    r1 = simulate_matvec_v2(w, a[0], hw, layer, feat)
    r2 = simulate_matvec_v2(w, a[0], hw, layer, feat, plan=plan_from_registers(regs, hw, layer))
    assert r1.result.counters() == r2.result.counters()
    for name in LANE_FIELDS + ("flags",):
        np.testing.assert_array_equal(getattr(r1.result.lanes, name),
                                      getattr(r2.result.lanes, name))
    F = {f.name: int(f.value) for f in __import__("golden.perf", fromlist=["PerfFlag"]).PerfFlag}
    # split ranges have one thief each: no contention refusals; a refusal is a lost race
    assert not (r1.result.flags & F["REFUSED_CONTENTION"]).any()
    if layer.mode == NONE:
        assert not r1.result.flags.any()


def test_split_flags_by_hand() -> None:
    # 1x4 vertical, split, rep_rows = 1: lane 1 has 4 rows of 16 ops, lanes 0, 2, 3 four empty
    # rows (1 cycle each). Lane 1's ranges: [2, 3) for lane 0 (its prev), [3, 4) for lane 2
    # (its next). Cycles 0-3: the light lanes claim their own rows; cycle 4 both ask lane 1 and
    # both are granted (rows 2 and 3): DUAL_THIEF at the victim, STOLE_NEXT at lane 0,
    # STOLE_PREV at lane 2. Lane 1's owner then jumps from row 2 over both emptied ranges.
    run = run_v2({(0, 0): [0] * 4, (0, 1): [16] * 4, (0, 2): [0] * 4, (0, 3): [0] * 4}, 1, 4, VERT,
                 PerfFeatures(replicas="split"), rep_rows=1)
    res = run.result
    F = __import__("golden.perf", fromlist=["PerfFlag"]).PerfFlag
    assert list(res.lanes.rows_stolen.reshape(-1)) == [1, 0, 1, 0]
    assert int(res.flags.reshape(-1)[1]) == int(F.DUAL_THIEF)
    assert int(res.flags.reshape(-1)[0]) == int(F.STOLE_NEXT)
    assert int(res.flags.reshape(-1)[2]) == int(F.STOLE_PREV)
    assert res.steals_refused == 0
    assert list(res.lanes.rows_own.reshape(-1)) == [4, 2, 4, 4]


def test_budgeted_split_plan_never_overflows_a_thiefs_slots():
    """A weight budget costs nothing for empty rows, so on a sparse W the load plan used to
    export whole lanes to their thieves and the start was ERR_SLOTS; the plan now gives rows up
    until every thief's own plus imported rows fit SLOTS (and still stays in the budget)."""
    from golden.config import BRINGUP_4X2, LayerConfig, StealMode
    from golden.encode import split_plan
    from golden.perf_v2 import PerfFeatures, plan_from_registers, plan_replicas
    hw = BRINGUP_4X2
    W = np.zeros((64, 64), dtype=np.int8)
    W[5, :8] = 3                                   # one row with weights, every other row empty
    for mode in (StealMode.VERTICAL, StealMode.HORIZONTAL):
        layer = LayerConfig(64, 64, mode, 1, 6, feat=0b1000)
        for placement in ("uniform", "load"):
            plan = plan_replicas(W != 0, hw, layer,
                                 PerfFeatures(replicas="split", placement=placement,
                                              dup_budget=0.1))
            slots = 16 + plan.imported_rows(hw.n_lanes)
            assert slots.max() <= hw.SLOTS, (mode, placement, slots)
            assert plan.size.sum() > 0                 # it still replicates what fits
            regs = split_plan(W, hw, layer, placement=placement, dup_budget=0.1)
            layer.check_fits(hw)
            plan_from_registers(regs, hw, layer)       # a plan the RTL accepts


def test_sequencing_bits_leave_a_product_on_the_v1_rules() -> None:
    """OVERLAP, PREFETCH and WIDE_ENC change how a GRU phase sequences its products, not a
    product: simulate_product predicts it with the v1 model, which also holds at QDEPTH = 1
    (the AG can stall there, which the v2 engine refuses to model)."""
    from golden.config import FEAT_OVERLAP, FEAT_PREFETCH, FEAT_WIDE_ENC
    from golden.perf_v2 import simulate_product
    rng = np.random.default_rng(21)
    for qdepth in (1, 8):
        hw = HwConfig(H=4, V=2, G=2, M_MAX=64, N_MAX=64, SLOTS=32, WDEPTH=512, QDEPTH=qdepth)
        for _ in range(20):
            M, N = int(rng.integers(1, 65)), int(rng.integers(1, 65))
            w, a = rng.random((M, N)) < 0.3, rng.random(N) < 0.5
            mode = StealMode(int(rng.integers(0, 3)))
            layer = LayerConfig(M, N, mode, 1 if mode else 0)
            want = simulate_matvec(w, a, hw, layer).counters()
            for feat in (FEAT_OVERLAP, FEAT_OVERLAP | FEAT_PREFETCH, FEAT_WIDE_ENC):
                got = simulate_product(w, a, hw, replace(layer, feat=feat))
                assert got.counters() == want, (qdepth, feat)


# ------------------------------------------------------------------------------------------
# PE sharing (model only): a PE's two lanes steal each other's rows in place
# ------------------------------------------------------------------------------------------

def test_pe_share_plan_adds_the_mate_range_and_stores_nothing() -> None:
    rng = np.random.default_rng(3)
    w, _ = random_masks(rng, 64, 64, 0.2, 0.5, 1)
    hw = replace(make_hw(4, 2, 64, 64), G=2)
    layer = LayerConfig(M=64, N=64, mode=VERT)
    feat = PerfFeatures(replicas="split", placement="load", dup_budget=0.1)
    plain = plan_replicas(w, hw, layer, feat)
    shared = plan_replicas(w, hw, layer, replace(feat, pe_share=True))
    assert shared.shared == 1 and plain.shared == 0
    # range 0 is every own row below the replica ranges, which keep their places
    assert (shared.base[:, 0] == 0).all()
    np.testing.assert_array_equal(shared.size[:, 0], plain.base[:, 0])
    np.testing.assert_array_equal(shared.base[:, 1:], plain.base)
    np.testing.assert_array_equal(shared.size[:, 1:], plain.size)
    for l in range(hw.n_lanes):           # its thief is the other lane of the PE: h xor 1
        h, v = divmod(l, hw.V)
        assert sorted(shared.thieves[l, 0].tolist()) == [-1, (h ^ 1) * hw.V + v]
    # read in place: no storage, no replica slots
    assert dup_fraction_of_plan(w, hw, layer, shared) == dup_fraction_of_plan(w, hw, layer, plain)
    np.testing.assert_array_equal(shared.imported_rows(hw.n_lanes),
                                  plain.imported_rows(hw.n_lanes))


def test_pe_share_refuses_what_it_cannot_do() -> None:
    from golden.perf_v2 import plan_registers
    with pytest.raises(SpecError, match="replicas='split'"):
        PerfFeatures(pe_share=True)
    w = np.ones((8, 16), dtype=bool)
    layer = LayerConfig(M=8, N=16, mode=VERT)
    feat = PerfFeatures(replicas="split", pe_share=True)
    with pytest.raises(SpecError, match="G = 2"):
        plan_replicas(w, make_hw(2, 2, 8, 16), layer, feat)          # G = 1: no PE-mate
    hw = replace(make_hw(2, 2, 8, 16), G=2)
    with pytest.raises(SpecError, match="model-only"):
        plan_registers(plan_replicas(w, hw, layer, feat), hw, layer)


def test_pe_share_lets_the_mate_take_a_busy_lanes_rows() -> None:
    # 2x1, one PE: lane (0,0) has 4 rows of 4 ops, lane (1,0) 4 empty rows; V = 1, so
    # vertical stealing has no neighbour and only the PE-mate can help.
    ops = {(0, 0): [4] * 4, (1, 0): [0] * 4}
    w, a = masks_from_ops(2, 1, 16, ops)
    M, N = w.shape
    hw = replace(make_hw(2, 1, M, N), G=2)
    layer = LayerConfig(M=M, N=N, mode=VERT)
    feat = PerfFeatures(null_word_skip=True, replicas="split", dup_budget=0.1)
    alone = simulate_matvec_v2(w, a, hw, layer, feat).result
    shared = simulate_matvec_v2(w, a, hw, layer, replace(feat, pe_share=True)).result
    assert alone.steals_granted == 0
    assert shared.lanes.rows_stolen.reshape(-1).tolist()[1] > 0
    assert shared.compute_cycles < alone.compute_cycles
    assert shared.mac_busy == alone.mac_busy == 16


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_cases(), v2_features(), st.booleans())
def test_pe_share_invariants(case, feat, run_ahead) -> None:
    """With PE sharing every row is still done exactly once, by its owner, a replica holder
    or its PE-mate; duplication stays in the budget; stealing is never slower than none."""
    w, a, hw, layer = case
    assume(hw.H % 2 == 0)
    hw = replace(hw, G=2)
    feat = replace(feat, replicas="split", pe_share=True,
                   overlap_output=feat.overlap_output or run_ahead, run_ahead=run_ahead)
    seq = simulate_sequence_v2(w, a, hw, layer, feat)
    for run, act in zip(seq.runs, a):
        assert_exactly_once(run, w, hw, layer, feat)
        assert run.result.mac_busy == int((w & act[None, :]).sum())
    if feat.dup_budget is not None and layer.mode != NONE:
        plan = plan_replicas(w, hw, layer, feat)
        assert dup_fraction_of_plan(w, hw, layer, plan) <= feat.dup_budget + 1e-12
    if not run_ahead:
        none = simulate_sequence_v2(w, a, hw, LayerConfig(M=layer.M, N=layer.N), feat)
        for rs, rn in zip(seq.runs, none.runs):
            assert rs.result.compute_cycles <= rn.result.compute_cycles
