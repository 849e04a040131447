"""Tests of the cycle-exact performance model (golden/perf.py) against architecture.md section 5.

Three layers of checking:
- hand-computed tiny cases, cycle by cycle (numbers derived in the comments);
- constructed cases for every FLAGS corner (section 6);
- hypothesis: the vectorised engine equals a literal scalar re-implementation of section 5
  (written independently below, one lane at a time), plus invariants that hold for any input.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from golden.config import HwConfig, LayerConfig, StealMode, ceil_div, neighbours, rows_of_lane
from golden.errors import SpecError
from golden.perf import (PerfFlag, SequenceResult, duplication_fraction, random_masks,
                         row_costs, scaling_study, simulate_layer, simulate_matvec,
                         simulate_sequence)

NONE, VERT, HORZ = StealMode.NONE, StealMode.VERTICAL, StealMode.HORIZONTAL


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------

def make_hw(H: int, V: int, M: int, N: int, B: int = 16, qdepth: int = 8,
            slots: int | None = None, wdepth: int = 1 << 15) -> HwConfig:
    R = ceil_div(M, H)
    return HwConfig(H=H, V=V, B=B, G=1, M_MAX=M, N_MAX=N, SLOTS=slots or 3 * R,
                    WDEPTH=wdepth, QDEPTH=qdepth)


def masks_from_ops(H: int, V: int, B: int, ops: dict[tuple[int, int], list[int]]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """W mask with N = V*B (one mask word per row per partition) and a = all ones.

    ops[(h, v)][i] = effective ops of local row i of lane (h, v) (<= B); the row then costs
    max(1, ops) cycles.  Every lane-row h must list the same number of rows for every v.
    """
    R = {h: len(ops[(h, 0)]) for h in range(H)}
    assert all(len(ops[(h, v)]) == R[h] for h in range(H) for v in range(V))
    M = max(i * H + h + 1 for h in range(H) for i in range(R[h]))
    w = np.zeros((M, V * B), dtype=bool)
    for (h, v), row_ops in ops.items():
        for i, e in enumerate(row_ops):
            w[i * H + h, v * B: v * B + e] = True
    return w, np.ones(V * B, dtype=bool)


def run(ops: dict[tuple[int, int], list[int]], H: int, V: int, mode: StealMode,
        rep_rows: int, B: int = 16, trace: bool = True):
    w, a = masks_from_ops(H, V, B, ops)
    M, N = w.shape
    hw = make_hw(H, V, M, N, B)
    return simulate_matvec(w, a, hw, LayerConfig(M=M, N=N, mode=mode, rep_rows=rep_rows),
                           trace=trace)


def lane_flags(res, h: int, v: int) -> PerfFlag:
    return PerfFlag(int(res.lanes.flags[h, v]))


# ------------------------------------------------------------------------------------------
# literal scalar reference of architecture.md section 5 (one lane at a time, no numpy tricks)
# ------------------------------------------------------------------------------------------

def reference(w: np.ndarray, a: np.ndarray, hw: HwConfig, layer: LayerConfig) -> dict:
    H, V, B, M, N = hw.H, hw.V, hw.B, layer.M, layer.N
    mode = layer.mode
    P = ceil_div(N, V)
    K = ceil_div(P, B)
    lanes = [(h, v) for h in range(H) for v in range(V)]

    def word_ops(h: int, v: int, i: int) -> list[int]:
        r = i * H + h
        out = []
        for k in range(K):
            cnt = 0
            for b in range(B):
                off = k * B + b
                c = v * P + off
                if off < P and c < N and w[r, c] and a[c]:
                    cnt += 1
            out.append(cnt)
        return out

    R = {L: rows_of_lane(hw, M, L[0]) for L in lanes}
    Q = {L: (min(R[L], layer.rep_rows) if mode != NONE else 0) for L in lanes}
    nb = {L: neighbours(hw, mode, *L) for L in lanes}
    head = {L: 0 for L in lanes}
    tail = dict(R)
    rr = {L: 0 for L in lanes}
    ag: dict = {L: None for L in lanes}   # None or [words, k, bits_left, stolen, ops]
    q = {L: 0 for L in lanes}
    zero = lambda: {L: 0 for L in lanes}  # noqa: E731
    mac, own_c, stolen_c, lost_c, ref_c, idle_c, stall_c, flags = (zero() for _ in range(8))

    def stealable(L, hd, tl):
        return max(0, tl - max(hd, R[L] - Q[L]))

    cycle = 0
    while True:
        st = {L: stealable(L, head[L], tail[L]) for L in lanes}
        s_prev = {L: st[nb[L][0]] if nb[L][0] else 0 for L in lanes}
        s_next = {L: st[nb[L][1]] if nb[L][1] else 0 for L in lanes}
        own = {L: tail[L] - head[L] for L in lanes}
        can = {L: own[L] > 0 or s_prev[L] > 0 or s_next[L] > 0 for L in lanes}
        if all(ag[L] is None and not can[L] and q[L] == 0 for L in lanes):
            for L in lanes:
                idle_c[L] += 1
            cycle += 1
            break
        need, emit, pop, row_end, stalled = {}, {}, {}, {}, {}
        for L in lanes:
            pop[L] = q[L] > 0                    # MAC pops an op pushed in an earlier cycle
            emit[L] = row_end[L] = stalled[L] = False
            if ag[L] is None:
                need[L] = True
                continue
            _, k, bits, _, _ = ag[L]
            stalled[L] = bits > 0 and q[L] >= hw.QDEPTH
            if stalled[L]:
                stall_c[L] += 1
                need[L] = False
                continue
            emit[L] = bits > 0
            row_end[L] = bits <= 1 and k == K - 1  # empty word or its last op, last word
            need[L] = row_end[L]
        req = {}   # thief -> victim
        owner = {L: need[L] and own[L] > 0 for L in lanes}
        for L in lanes:
            if need[L] and own[L] == 0 and mode != NONE and (s_prev[L] or s_next[L]):
                req[L] = nb[L][0] if s_prev[L] >= s_next[L] else nb[L][1]
        new_head = {L: head[L] + owner[L] for L in lanes}
        new_tail = dict(tail)
        grant = {}   # thief -> local row
        for Vc in lanes:
            pside = [T for T, X in req.items() if X == Vc and nb[Vc][0] == T]
            nside = [T for T, X in req.items() if X == Vc and nb[Vc][1] == T]
            if pside and nside:
                flags[Vc] |= PerfFlag.DUAL_THIEF
            if (pside or nside) and owner[Vc] and st[Vc] == 1 and \
                    stealable(Vc, new_head[Vc], tail[Vc]) == 0:
                flags[Vc] |= PerfFlag.LAST_ROW_RACE
            if stealable(Vc, new_head[Vc], tail[Vc]) > 0 and (pside or nside):
                if pside and (not nside or rr[Vc] == 0):
                    winner, rr[Vc] = pside[0], 1
                else:
                    winner, rr[Vc] = nside[0], 0
                grant[winner] = tail[Vc] - 1
                new_tail[Vc] = tail[Vc] - 1
                lost_c[Vc] += 1
        for T, X in req.items():
            if T in grant:
                # A thief has no own rows, so nobody asks it this cycle: lost_c[T] counts
                # losses from earlier cycles only.
                if lost_c[T] > 0:
                    flags[T] |= PerfFlag.VICTIM_THEN_THIEF
                flags[T] |= PerfFlag.STOLE_PREV if X == nb[T][0] else PerfFlag.STOLE_NEXT
                stolen_c[T] += 1
            else:
                ref_c[T] += 1
                v_st = stealable(X, new_head[X], new_tail[X])
                if v_st > 0:
                    flags[T] |= PerfFlag.REFUSED_CONTENTION
                elif new_tail[X] - new_head[X] > 0:
                    flags[T] |= PerfFlag.REFUSED_EXHAUSTED
                else:
                    flags[T] |= PerfFlag.REFUSED_DONE
        for L in lanes:
            got = owner[L] or L in grant
            if ag[L] is None and not got:
                idle_c[L] += 1
            if ag[L] is not None and not stalled[L]:
                words, k, bits, stolen, ops = ag[L]
                if row_end[L]:
                    if stolen and ops == 0:
                        flags[L] |= PerfFlag.ZERO_WORK_STEAL
                    ag[L] = None
                elif bits <= 1:
                    ag[L] = [words, k + 1, words[k + 1], stolen, ops]
                else:
                    ag[L] = [words, k, bits - 1, stolen, ops]
            if owner[L]:
                words = word_ops(L[0], L[1], head[L])
                ag[L] = [words, 0, words[0], False, sum(words)]
                own_c[L] += 1
            elif L in grant:
                words = word_ops(req[L][0], req[L][1], grant[L])
                ag[L] = [words, 0, words[0], True, sum(words)]
            mac[L] += pop[L]
            q[L] += int(emit[L]) - int(pop[L])
        head, tail = new_head, new_tail
        cycle += 1
    out = ceil_div(M, H)
    return dict(cycles=cycle + out, compute=cycle, mac=mac, own=own_c, stolen=stolen_c,
                lost=lost_c, refused=ref_c, idle=idle_c, stall=stall_c, flags=flags)


def assert_matches_reference(w, a, hw, layer) -> None:
    res = simulate_matvec(w, a, hw, layer)
    ref = reference(w, a, hw, layer)
    assert res.compute_cycles == ref["compute"]
    assert res.cycles == ref["cycles"]
    for name, arr in (("mac", res.lanes.mac_busy), ("own", res.lanes.rows_own),
                      ("stolen", res.lanes.rows_stolen), ("lost", res.lanes.rows_lost),
                      ("refused", res.lanes.refused), ("idle", res.lanes.idle),
                      ("stall", res.lanes.stall), ("flags", res.lanes.flags)):
        expect = np.array([[int(ref[name][(h, v)]) for v in range(hw.V)] for h in range(hw.H)])
        np.testing.assert_array_equal(arr, expect, err_msg=name)


# ------------------------------------------------------------------------------------------
# hand-computed cases
# ------------------------------------------------------------------------------------------

def test_single_lane_by_hand() -> None:
    """1x1 array, M=2, N=16 (one word). Row 0: 3 ops (3 cycles); row 1: 0 ops (1 empty cycle).

    cycle 0: AG idle -> owner claim row 0 (not idle: it gets a row)
    cycle 1: op 1 emitted (pushed end of cycle)
    cycle 2: MAC pops op 1; op 2 emitted
    cycle 3: MAC pops op 2; op 3 = last op of the row -> owner claim row 1 (no bubble)
    cycle 4: MAC pops op 3; row 1's empty word: last cycle, needs a row, none left
    cycle 5: AG idle, cannot claim, queue empty -> finished (idle +1) -> compute = 6
    output: ceil(2/1) = 2 cycles -> PERF_CYCLES = 8
    """
    hw = make_hw(1, 1, 2, 16)
    w = np.zeros((2, 16), dtype=bool)
    w[0, :3] = True
    res = simulate_matvec(w, np.ones(16, dtype=bool), hw, LayerConfig(M=2, N=16))
    assert (res.compute_cycles, res.out_cycles) == (6, 2)
    assert res.counters() == {"PERF_CYCLES": 8, "PERF_MAC_BUSY": 3, "PERF_STEAL_GRANTED": 0,
                              "PERF_STEAL_REFUSED": 0, "PERF_STALL": 0, "PERF_IDLE": 1,
                              "PERF_ROWS_DONE": 2}
    assert res.utilization == pytest.approx(3 / 8)


def test_queue_depth_one_stalls_by_hand() -> None:
    """QDEPTH = 1: the AG sees the registered occupancy, so it stalls every other cycle.

    Row 0 has 2 ops.  c0 claim; c1 emit op1 (q 0->1); c2 q=1 = full -> stall, MAC pops (q->0);
    c3 emit op2 (last op, no row left); c4 AG idle, q=1 -> MAC pops (idle +1);
    c5 finished (idle +1).  compute = 6, stall = 1, idle = 2, out = ceil(1/1) = 1.
    """
    hw = make_hw(1, 1, 1, 16, qdepth=1)
    w = np.zeros((1, 16), dtype=bool)
    w[0, :2] = True
    res = simulate_matvec(w, np.ones(16, dtype=bool), hw, LayerConfig(M=1, N=16))
    assert (res.compute_cycles, res.stall, res.idle, res.mac_busy) == (6, 1, 2, 2)
    assert res.cycles == 7


# Lane (0,0) owns rows 0, 2 ; lane (1,0) owns rows 1, 3 (H=2, V=1, N=16, B=16, one word).
# ops: row 0 = 1, row 2 = 0, row 1 = 4, row 3 = 2.  rep_rows = 1 -> rep_start = 1 on both lanes.
TWO_LANES = {(0, 0): [1, 0], (1, 0): [4, 2]}


def test_two_lanes_horizontal_by_hand() -> None:
    """Horizontal: (0,0).next = (1,0).

    c0: both owner-claim local row 0 (head 1 each).  L0 stealable = 2-max(1,1) = 1, L1 same.
    c1: L0 emits its only op (last) -> owner claim local 1 (row 2), head0 = 2.
        L1 emits op 1 of 4.
    c2: L0 row 2 is one empty word -> needs a row; own 0 -> thief; s_next = 1 -> request next.
        L1 (emitting op 2, no owner claim): stealable' = 1 -> grant row tail-1 = local 1
        (row 3), tail1 = 1.  MAC0 pops row 0's op; MAC1 pops op 1.
    c3: L0 emits row 3 op 1; L1 op 3.           MAC1 pops op 2.
    c4: L0 emits row 3 op 2 (last) -> thief, s_next = 0 -> no request.  L1 op 4 (last) -> own
        0, s_prev = 0 -> nothing.  MAC0 pops, MAC1 pops op 3.
    c5: both AGs idle, queues hold one op each -> not finished; idle +1 each; MACs pop.
    c6: all finished; idle +1 each.  compute = 7, out = ceil(4/2) = 2, PERF_CYCLES = 9.
    """
    res = run(TWO_LANES, H=2, V=1, mode=HORZ, rep_rows=1)
    assert res.compute_cycles == 7 and res.cycles == 9
    assert res.counters() == {"PERF_CYCLES": 9, "PERF_MAC_BUSY": 7, "PERF_STEAL_GRANTED": 1,
                              "PERF_STEAL_REFUSED": 0, "PERF_STALL": 0, "PERF_IDLE": 4,
                              "PERF_ROWS_DONE": 4}
    assert res.lanes.words(0, 0) == {"MAC_BUSY": 3, "ROWS_OWN": 2, "ROWS_STOLEN": 1,
                                     "ROWS_LOST": 0, "REFUSED": 0, "IDLE": 2,
                                     "FLAGS": int(PerfFlag.STOLE_NEXT)}
    assert res.lanes.words(1, 0) == {"MAC_BUSY": 4, "ROWS_OWN": 1, "ROWS_STOLEN": 0,
                                     "ROWS_LOST": 1, "REFUSED": 0, "IDLE": 2, "FLAGS": 0}
    (ev,) = res.trace
    assert (ev.cycle, ev.thief, ev.victim, ev.side, ev.granted, ev.row) == \
        (2, (0, 0), (1, 0), "next", True, 3)


def test_two_lanes_none_by_hand() -> None:
    """Same masks, mode none: L1 runs row 1 in c1..c4 (claims row 3 in c4), row 3 in c5..c6,
    MAC drains in c7, finished in c8 -> compute 9, PERF_CYCLES 11.  L0 finishes row 2 in c2
    and idles c3..c8 (6 cycles); L1 idles only in c7, c8 (2)."""
    res = run(TWO_LANES, H=2, V=1, mode=NONE, rep_rows=1)
    assert (res.compute_cycles, res.cycles, res.idle, res.steals_granted) == (9, 11, 8, 0)
    assert res.trace == []


# ------------------------------------------------------------------------------------------
# FLAGS corners (section 6), each in a constructed case
# ------------------------------------------------------------------------------------------

# In vertical mode every lane of a lane-row owns the same rows (R depends on h only); the
# imbalance comes from the ops per row in each partition.  A row with 0 ops costs 1 cycle, so
# [1, 0, 0, 0] finishes its own rows in c1..c4 and needs a row (as thief) in c4.

def test_dual_thief_and_contention() -> None:
    """H=1, V=4 vertical, rep_rows=4 (everything stealable).  c4: v0 and v2 both finish their
    own rows and ask v1 (stealable 4-1 = 3; v2's next v3 has 0).  rr = 0 -> v0 wins row 3; v2
    refused with 2 stealable left -> CONTENTION.  c5: v2 asks again and gets row 2."""
    light = [1, 0, 0, 0]
    ops = {(0, 0): light, (0, 1): [8, 8, 8, 8], (0, 2): light, (0, 3): light}
    res = run(ops, H=1, V=4, mode=VERT, rep_rows=4)
    assert lane_flags(res, 0, 1) == PerfFlag.DUAL_THIEF
    assert lane_flags(res, 0, 0) == PerfFlag.STOLE_NEXT
    assert lane_flags(res, 0, 2) == PerfFlag.REFUSED_CONTENTION | PerfFlag.STOLE_PREV
    assert [(e.cycle, e.thief, e.granted, e.reason, e.row) for e in res.trace] == [
        (4, (0, 0), True, "GRANTED", 3),
        (4, (0, 2), False, "REFUSED_CONTENTION", None),
        (5, (0, 2), True, "GRANTED", 2)]
    assert res.steals_refused == 1 and res.lanes.refused[0, 2] == 1


def test_last_row_race_and_refused_done() -> None:
    """H=1, V=2 vertical, rep_rows=1 (rep_start 1).  v0 [1, 0] needs a row in c2; v1 [2, 1]
    claims its local row 1 in c2 too: the owner takes the only stealable row (LAST_ROW_RACE on
    v1), v0 is refused and v1 has no rows left after the cycle (REFUSED_DONE)."""
    ops = {(0, 0): [1, 0], (0, 1): [2, 1]}
    res = run(ops, H=1, V=2, mode=VERT, rep_rows=1)
    assert lane_flags(res, 0, 1) == PerfFlag.LAST_ROW_RACE
    assert lane_flags(res, 0, 0) == PerfFlag.REFUSED_DONE
    assert [(e.cycle, e.reason) for e in res.trace] == [(2, "REFUSED_DONE")]
    assert res.steals_granted == 0 and res.steals_refused == 1


def test_refused_exhausted() -> None:
    """H=1, V=4 vertical, rep_rows=1: v1 [10, 10, 10] exports only local row 2.
    c3: v0 and v2 both ask; v0 wins row 2; v1 still owns row 1 but stealable is 0 ->
    v2 refused EXHAUSTED (and DUAL_THIEF on v1)."""
    light = [1, 0, 0]
    ops = {(0, 0): light, (0, 1): [10, 10, 10], (0, 2): light, (0, 3): light}
    res = run(ops, H=1, V=4, mode=VERT, rep_rows=1)
    assert lane_flags(res, 0, 2) == PerfFlag.REFUSED_EXHAUSTED
    assert lane_flags(res, 0, 1) == PerfFlag.DUAL_THIEF
    assert [(e.cycle, e.thief, e.reason) for e in res.trace] == [
        (3, (0, 0), "GRANTED"), (3, (0, 2), "REFUSED_EXHAUSTED")]


def test_victim_then_thief() -> None:
    """H=1, V=4 vertical, rep_rows=4.  c4: v0 steals v1's row 3 (v1 owner-claims row 1 in the
    same cycle, 2 still stealable).  v1 finishes rows 0-2 in c12 and then steals v2's row 2
    (v2 runs 12-op rows; v3 took its row 3 in c4)."""
    light = [1, 0, 0, 0]
    ops = {(0, 0): light, (0, 1): [4, 4, 4, 4], (0, 2): [12] * 4, (0, 3): light}
    res = run(ops, H=1, V=4, mode=VERT, rep_rows=4)
    assert PerfFlag.VICTIM_THEN_THIEF | PerfFlag.STOLE_NEXT in lane_flags(res, 0, 1)
    assert PerfFlag.VICTIM_THEN_THIEF not in lane_flags(res, 0, 3)
    steals = [(e.cycle, e.thief, e.victim, e.row) for e in res.trace if e.granted]
    assert (4, (0, 0), (0, 1), 3) in steals and (12, (0, 1), (0, 2), 2) in steals


def test_zero_work_steal() -> None:
    """c2: v0 steals v1's tail row, which has no effective op (one empty word, 1 cycle)."""
    ops = {(0, 0): [1, 0], (0, 1): [5, 0]}
    res = run(ops, H=1, V=2, mode=VERT, rep_rows=1)
    assert lane_flags(res, 0, 0) == PerfFlag.ZERO_WORK_STEAL | PerfFlag.STOLE_NEXT
    assert res.lanes.mac_busy[0, 0] == 1 and res.lanes.rows_stolen[0, 0] == 1


def test_tie_goes_to_prev() -> None:
    """H=1, V=4 vertical: in c2 v1 sees stealable 1 on both sides -> asks prev (v0)."""
    ops = {(0, 0): [9, 9], (0, 1): [1, 0], (0, 2): [9, 9], (0, 3): [9, 9]}
    res = run(ops, H=1, V=4, mode=VERT, rep_rows=1)
    ev = [e for e in res.trace if e.thief == (0, 1)]
    assert (ev[0].cycle, ev[0].victim, ev[0].side, ev[0].granted) == (2, (0, 0), "prev", True)


def test_balanced_load_never_steals() -> None:
    ops = {(h, v): [3, 3, 3] for h in range(2) for v in range(2)}
    for mode in (VERT, HORZ):
        res = run(ops, H=2, V=2, mode=mode, rep_rows=3)
        assert res.steals_granted == res.steals_refused == 0
        assert not res.lanes.flags.any()


# ------------------------------------------------------------------------------------------
# random cases: equivalence with the scalar reference and invariants
# ------------------------------------------------------------------------------------------

@st.composite
def cases(draw, steal_only: bool = False):
    H = draw(st.sampled_from([1, 2, 4]))
    V = draw(st.sampled_from([1, 2, 4]))
    B = draw(st.sampled_from([8, 16]))
    M = draw(st.integers(1, 8 * H))
    N = draw(st.integers(1, 2 * V * B + 3))
    R = ceil_div(M, H)
    modes = [VERT, HORZ] if steal_only else list(StealMode)
    mode = draw(st.sampled_from(modes))
    rep = draw(st.integers(0, R))
    qdepth = draw(st.sampled_from([1, 2, 8]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):
        # Lane-level density factors: whole lanes heavy, light or empty -> many steals,
        # dual thieves and refusals of every kind.
        P = ceil_div(N, V)
        lane_density = rng.choice([0.0, 0.1, 0.5, 1.0], size=(H, V))
        cols = np.minimum(np.arange(N) // P, V - 1)
        density = lane_density[np.arange(M) % H][:, cols]
    else:
        density = draw(st.floats(0, 1)) * rng.random((M, 1)) * 2  # row-wise skew
    w = rng.random((M, N)) < density
    a = rng.random(N) < draw(st.floats(0, 1))
    return w, a, make_hw(H, V, M, N, B, qdepth), LayerConfig(M=M, N=N, mode=mode, rep_rows=rep)


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(steal_only=True))
def test_engine_matches_scalar_reference_stealing(case) -> None:
    assert_matches_reference(*case)


@FAST
@given(cases())
def test_engine_matches_scalar_reference(case) -> None:
    assert_matches_reference(*case)


def assert_engines_agree(w, a, hw, layer) -> None:
    """The event-driven engine (default for QDEPTH >= 2) equals the per-cycle engine, traces
    included."""
    from golden.perf import _prepare, _simulate
    geo = _prepare(w, hw, layer)
    ref = _simulate(w, a, hw, layer, geo, True, "cycle")
    fast = _simulate(w, a, hw, layer, geo, True, "event")
    assert fast.trace == ref.trace                   # every thief request, cycle and outcome
    assert fast.counters() == ref.counters()
    assert fast.compute_cycles == ref.compute_cycles
    for name in ("mac_busy", "rows_own", "rows_stolen", "rows_lost", "refused", "idle", "flags",
                 "stall"):
        np.testing.assert_array_equal(getattr(fast.lanes, name), getattr(ref.lanes, name),
                                      err_msg=name)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(steal_only=True))
def test_event_engine_matches_cycle_engine(case) -> None:
    w, a, hw, layer = case
    if hw.QDEPTH < 2:
        with pytest.raises(ValueError, match="QDEPTH >= 2"):
            from golden.perf import _prepare, _simulate
            _simulate(w, a, hw, layer, _prepare(w, hw, layer), False, "event")
        return
    assert_engines_agree(w, a, hw, layer)


@pytest.mark.parametrize("mode", list(StealMode))
def test_event_engine_matches_cycle_engine_on_the_8x8_array(mode) -> None:
    from golden.config import REGRESSION_8X8
    rng = np.random.default_rng(int(mode) + 11)
    M = N = 256
    heavy = rng.random(M) < 0.25                 # skewed rows: many steals and refusals
    w = rng.random((M, N)) < np.where(heavy, 0.55, 0.2)[:, None]
    a = rng.random(N) < 0.7
    assert_engines_agree(w, a, REGRESSION_8X8, LayerConfig(M=M, N=N, mode=mode, rep_rows=3))


@FAST
@given(cases())
def test_invariants(case) -> None:
    w, a, hw, layer = case
    res = simulate_matvec(w, a, hw, layer, trace=True)
    lanes = res.lanes
    R = np.array([[rows_of_lane(hw, layer.M, h)] * hw.V for h in range(hw.H)])
    # every row task claimed exactly once
    assert (lanes.rows_own + lanes.rows_stolen).sum() == R.sum() == res.rows_done
    assert lanes.rows_lost.sum() == res.steals_granted == lanes.rows_stolen.sum()
    assert ((lanes.rows_own + lanes.rows_lost) == R).all()
    stolen = [(e.victim, e.row) for e in res.trace if e.granted]
    assert len(set(stolen)) == len(stolen)
    for (vh, vv), row in stolen:  # a stolen row lies in the victim's replicated tail
        i = row // hw.H
        assert row % hw.H == vh and i >= R[vh, vv] - min(R[vh, vv], layer.rep_rows)
    assert res.steals_refused == lanes.refused.sum() == sum(not e.granted for e in res.trace)
    # MAC work is the effective non-zeros, whatever the mode
    nnz = int((w & a[None, :]).sum())
    assert res.mac_busy == nnz == lanes.mac_busy.sum()
    assert res.cycles >= ceil_div(nnz, hw.H * hw.V)
    assert res.idle == lanes.idle.sum() and res.stall == lanes.stall.sum()
    assert 0 <= res.utilization <= 1
    cyc, ops = row_costs(w, a, hw, layer)
    # claim cycle + the row's AG cycles + the final (finished) cycle bound every row; in mode
    # none every lane's whole list
    assert ops.sum() == nnz and res.compute_cycles >= cyc.max() + 2
    assert res.compute_cycles >= ceil_div(int(cyc.sum()), hw.H * hw.V) + 2
    if hw.QDEPTH >= 2:  # one op in and at most one out per cycle: never full
        assert res.stall == 0
    if layer.mode == NONE:
        assert res.steals_granted == res.steals_refused == 0
        assert not lanes.flags.any() and res.trace == []
        assert res.compute_cycles >= cyc.sum(axis=2).max() + 2


@FAST
@given(cases())
def test_stealing_never_slower_than_none(case) -> None:
    w, a, hw, layer = case
    base = simulate_matvec(w, a, hw, LayerConfig(M=layer.M, N=layer.N))
    for mode in (VERT, HORZ):
        lay = LayerConfig(M=layer.M, N=layer.N, mode=mode, rep_rows=layer.rep_rows)
        assert simulate_matvec(w, a, hw, lay).cycles <= base.cycles


# ------------------------------------------------------------------------------------------
# sequences, layers, study
# ------------------------------------------------------------------------------------------

def test_sequence_sums_products() -> None:
    rng = np.random.default_rng(3)
    w, acts = random_masks(rng, 20, 24, 0.3, 0.5, T=4)
    hw = make_hw(4, 2, 20, 24)
    layer = LayerConfig(M=20, N=24, mode=VERT, rep_rows=2)
    seq = simulate_sequence(w, acts, hw, layer)
    singles = [simulate_matvec(w, acts[t], hw, layer) for t in range(4)]
    assert isinstance(seq, SequenceResult) and len(seq.steps) == 4
    assert seq.step_cycles == [s.cycles for s in singles]
    assert seq.cycles == sum(s.cycles for s in singles)
    assert seq.mac_busy == int((w[None] & acts[:, None, :]).sum())


def test_layer_runs_products_in_order() -> None:
    rng = np.random.default_rng(4)
    wx, xs = random_masks(rng, 24, 10, 0.3, 0.6, T=3)
    uh, hs = random_masks(rng, 24, 8, 0.3, 0.5, T=3)
    hw = make_hw(4, 2, 24, 16)
    seq = simulate_layer([wx, uh], [xs, hs], hw, mode=HORZ, rep_rows=1)
    assert len(seq.steps) == 3 and all(len(s) == 2 for s in seq.steps)
    expect = simulate_matvec(uh, hs[1], hw, LayerConfig(M=24, N=8, mode=HORZ, rep_rows=1))
    assert seq.steps[1][1].counters() == expect.counters()
    np.testing.assert_array_equal(seq.steps[1][1].lanes.flags, expect.lanes.flags)
    with pytest.raises(SpecError, match="different lengths"):
        simulate_layer([wx, uh], [xs, hs[:2]], hw)


def test_duplication_fraction() -> None:
    w = np.ones((8, 16), dtype=bool)
    hw = make_hw(2, 2, 8, 16)
    # vertical, interior-free 2x2: each lane imports its one neighbour's 1 tail row of 4.
    assert duplication_fraction(w, hw, LayerConfig(M=8, N=16, mode=VERT, rep_rows=1)) == 0.25
    assert duplication_fraction(w, hw, LayerConfig(M=8, N=16)) == 0.0


def test_scaling_study_smoke() -> None:
    rows = scaling_study(arrays=((2, 2), (4, 4)), M=48, N=48, T=2, seed=1)
    assert len(rows) == 6
    keys = {"lanes", "mode", "cycles", "utilization", "speedup_vs_none",
            "scaling_vs_smallest", "steals_granted", "dup_fraction", "load_imbalance"}
    assert keys <= rows[0].keys()
    for r in rows:
        assert 0 < r["utilization"] <= 1
        if r["mode"] == "NONE":
            assert r["speedup_vs_none"] == 1.0 and r["steals_granted"] == 0
        else:
            assert r["speedup_vs_none"] >= 1.0
    assert rows[3]["scaling_vs_smallest"] > 1.0  # 16 lanes beat 4 lanes


# ------------------------------------------------------------------------------------------
# bad inputs
# ------------------------------------------------------------------------------------------

def test_bad_inputs() -> None:
    hw = make_hw(2, 2, 8, 16)
    layer = LayerConfig(M=8, N=16)
    w = np.ones((8, 16), dtype=bool)
    a = np.ones(16, dtype=bool)
    with pytest.raises(SpecError, match=r"w_nonzero has shape \(8, 15\), expected \(8, 16\)"):
        simulate_matvec(w[:, :15], a, hw, layer)
    with pytest.raises(SpecError, match=r"a_nonzero has shape \(15,\), expected \(16,\)"):
        simulate_matvec(w, a[:15], hw, layer)
    with pytest.raises(SpecError, match="w_nonzero must have dtype bool, got int64"):
        simulate_matvec(w.astype(np.int64), a, hw, layer)
    with pytest.raises(SpecError, match="a_nonzero must have dtype bool, got float64"):
        simulate_matvec(w, a.astype(float), hw, layer)
    with pytest.raises(SpecError, match="a_nonzero must be a numpy array, got list"):
        simulate_matvec(w, [True] * 16, hw, layer)  # type: ignore[arg-type]
    big = np.ones((9, 16), dtype=bool)
    with pytest.raises(SpecError, match="M=9 exceeds M_MAX=8"):
        simulate_matvec(big, a, hw, LayerConfig(M=9, N=16))
    with pytest.raises(SpecError, match="row slots"):
        simulate_matvec(w, a, make_hw(2, 2, 8, 16, slots=5),
                        LayerConfig(M=8, N=16, mode=VERT, rep_rows=2))
    with pytest.raises(SpecError, match=r"lane \(0,0\) needs 32 weight SRAM entries, WDEPTH is 31"):
        simulate_matvec(w, a, make_hw(2, 2, 8, 16, wdepth=31), layer)
    with pytest.raises(SpecError, match="must be \\(T, N\\)"):
        simulate_sequence(w, a, hw, layer)
