"""golden.gru_seq: the GRU phase expectations (docs/gru-layer.md 8.6, 8.7).

- X then H phases over T steps reproduce golden.gru.gru_layer_q (forward) and, chained over both
  directions, bigru_layer_q;
- every step's product counters are golden.perf.simulate_matvec of the right masks, ACT_NNZ is
  the non-zero count of the vector the product reads, STEP_CYCLES follows the 8.6 formula and
  PERF_GRU_CYCLES is their sum;
- the encoder pad matches the encoder's word walk;
- every input is validated with a SpecError that names the field.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from golden.config import (BRINGUP_4X2, REGRESSION_8X8, HwConfig, LayerConfig, StealMode,
                           partition_width, words_per_row)
from golden.errors import SpecError
from golden.gru import (bigru_layer_q, gru_layer_q, quantize_gru_params, random_gru_params)
from golden.gru_seq import (STEP_NAMES, STEP_WORDS, GruRun, encoder_pad, expect_h_phase,
                            expect_x_phase, h_step_cycles, hd_max, phase_cycles_bound,
                            x_step_cycles)
from golden.perf import simulate_matvec

HWS = {"4x2": BRINGUP_4X2, "8x8": REGRESSION_8X8}


def _layer(seed: int, I: int, Hd: int, T: int, shift: int = 6):
    rng = np.random.default_rng(seed)
    p = quantize_gru_params(random_gru_params(rng, I, Hd, density=0.5, w_scale=1.0), shift)
    x = np.where(rng.random((T, I)) < 0.6, rng.integers(-500, 500, (T, I)), 0)
    h0 = np.where(rng.random(Hd) < 0.5, rng.integers(-200, 200, Hd), 0)
    return p, x, h0


def _run(I, Hd, T, thr=0, direction=0, mode=StealMode.VERTICAL, rep=1, shift=6) -> GruRun:
    return GruRun(I, Hd, T, thr, direction, mode, rep, shift)


# -- numerics -----------------------------------------------------------------------------------

@pytest.mark.parametrize("thr", [0, 30])
@pytest.mark.parametrize("hw_name", ["4x2", "8x8"])
def test_forward_matches_gru_layer_q(hw_name, thr):
    hw = HWS[hw_name]
    I, Hd, T = 13, 9, 7
    p, x, h0 = _layer(1, I, Hd, T)
    run = _run(I, Hd, T, thr)
    ex = expect_x_phase(hw, run, p.W_ih, p.b_ih, x)
    eh = expect_h_phase(hw, run, p.W_hh, p.b_hh, ex.gx, h0)
    ref = gru_layer_q(x, p, h0, thr)
    assert np.array_equal(ex.gx, ref.gx)
    for name in ("h", "r", "z", "n"):
        assert np.array_equal(getattr(eh, name), getattr(ref, name)), name
    assert np.array_equal(eh.h_last, ref.h[-1])
    assert ex.h is None and eh.gx is None and ex.h_last is None


@pytest.mark.parametrize("mode", list(StealMode))
def test_bidirectional_matches_bigru_layer_q(mode):
    hw = BRINGUP_4X2
    I, Hd, T, thr = 10, 8, 6, 20
    rng = np.random.default_rng(7)
    pf, pb = (quantize_gru_params(random_gru_params(rng, I, Hd, density=0.6), 6) for _ in "fb")
    x = rng.integers(-400, 400, (T, I))
    h0f, h0b = rng.integers(-100, 100, Hd), np.zeros(Hd, dtype=np.int64)
    out = []
    for direction, p, h0 in ((0, pf, h0f), (1, pb, h0b)):
        run = _run(I, Hd, T, thr, direction, mode, 0 if mode == StealMode.NONE else 2)
        ex = expect_x_phase(hw, run, p.W_ih, p.b_ih, x)
        out.append(expect_h_phase(hw, run, p.W_hh, p.b_hh, ex.gx, h0).h)
    ref = bigru_layer_q(x, pf, pb, h0f, h0b, thr)
    assert np.array_equal(np.concatenate(out, axis=1), ref.out)


def test_backward_h_phase_walks_time_in_reverse():
    hw = BRINGUP_4X2
    I, Hd, T = 6, 5, 4
    p, x, h0 = _layer(3, I, Hd, T)
    run = _run(I, Hd, T, 0, direction=1)
    assert run.time_order() == [3, 2, 1, 0]
    ex = expect_x_phase(hw, run, p.W_ih, p.b_ih, x)          # X phase: by time, any direction
    assert np.array_equal(ex.gx, gru_layer_q(x, p, h0).gx)
    eh = expect_h_phase(hw, run, p.W_hh, p.b_hh, ex.gx, h0)
    ref = gru_layer_q(x[::-1], p, h0)
    assert np.array_equal(eh.h, ref.h[::-1])
    assert np.array_equal(eh.h_last, ref.h[-1])             # the state after time 0
    # Step s reads h_{t+1} (h0 for s = 0): ACT_NNZ in processing order.
    prev = [h0] + list(ref.h[:-1])
    assert [s.act_nnz for s in eh.steps] == [int(np.count_nonzero(h)) for h in prev]


def test_h0_none_is_zero():
    hw = BRINGUP_4X2
    p, x, _ = _layer(4, 4, 3, 2)
    run = _run(4, 3, 2)
    gx = expect_x_phase(hw, run, p.W_ih, p.b_ih, x).gx
    a = expect_h_phase(hw, run, p.W_hh, p.b_hh, gx, None)
    b = expect_h_phase(hw, run, p.W_hh, p.b_hh, gx, np.zeros(3, dtype=np.int16))
    assert np.array_equal(a.h, b.h) and a.steps[0].act_nnz == 0


# -- counters and cycles ------------------------------------------------------------------------

def test_step_products_and_cycles():
    hw = REGRESSION_8X8
    I, Hd, T = 21, 11, 3
    p, x, h0 = _layer(5, I, Hd, T)
    run = _run(I, Hd, T, 10, 0, StealMode.HORIZONTAL, 2, 7)
    ex = expect_x_phase(hw, run, p.W_ih, p.b_ih, x)
    for t, st in enumerate(ex.steps):
        prod = simulate_matvec(p.W_ih != 0, x[t] != 0, hw, LayerConfig(3 * Hd, I, run.mode, 2, 7))
        assert st.product.counters() == prod.counters()
        assert st.act_nnz == int(np.count_nonzero(x[t]))
        assert st.step_cycles == I + encoder_pad(hw, I) + prod.cycles + 3
    assert ex.cycles == sum(s.step_cycles for s in ex.steps)
    eh = expect_h_phase(hw, run, p.W_hh, p.b_hh, ex.gx, h0)
    hs = [h0] + list(eh.h[:-1])
    pad = encoder_pad(hw, Hd)
    for s, st in enumerate(eh.steps):
        prod = simulate_matvec(p.W_hh != 0, hs[s] != 0, hw, LayerConfig(3 * Hd, Hd, run.mode, 2, 7))
        assert st.product.counters() == prod.counters()
        first = (Hd + pad + 2) if s == 0 else 0
        assert st.step_cycles == prod.cycles + Hd + pad + 5 + first
        assert st.step_cycles == h_step_cycles(hw, Hd, prod.cycles, s == 0)
    regs = eh.registers()
    assert regs == {"GRU_STEPS": T, "PERF_GRU_CYCLES": eh.cycles,
                    "PERF_GRU_MAC_BUSY": sum(s.product.mac_busy for s in eh.steps),
                    "PERF_GRU_STEALS": sum(s.product.steals_granted for s in eh.steps)}
    words = eh.step_words()
    assert words.shape == (T, STEP_WORDS) and len(STEP_NAMES) == STEP_WORDS == 8
    assert words[1, 0] == eh.steps[1].product.cycles and words[1, 6] == eh.steps[1].step_cycles
    assert eh.last is eh.steps[-1].product
    assert phase_cycles_bound(hw, run) >= max(ex.cycles, eh.cycles)


def _pad_by_walk(hw: HwConfig, N: int) -> int:
    """Words the encoder writes after the last element's word: walk every (partition, word)."""
    P, K = partition_width(hw, N), words_per_row(hw, N)
    words = [(u, k) for u in range(hw.V) for k in range(K)]
    last = N - 1
    u = last // P
    return len(words) - 1 - words.index((u, (last - u * P) // hw.B))


@pytest.mark.parametrize("hw_name", ["4x2", "8x8"])
def test_encoder_pad(hw_name):
    hw = HWS[hw_name]
    for N in range(1, hw.N_MAX + 1):
        assert encoder_pad(hw, N) == _pad_by_walk(hw, N), N
    assert encoder_pad(hw, hw.N_MAX) == 0
    assert encoder_pad(hw, 1) == hw.V * words_per_row(hw, 1) - 1
    with pytest.raises(SpecError, match="N=0"):
        encoder_pad(hw, 0)
    with pytest.raises(SpecError, match="N_MAX"):
        encoder_pad(hw, hw.N_MAX + 1)


def test_x_step_cycles_formula():
    hw = BRINGUP_4X2
    assert x_step_cycles(hw, 64, 100) == 64 + 0 + 100 + 3
    assert x_step_cycles(hw, 1, 10) == 1 + encoder_pad(hw, 1) + 10 + 3


def test_x_phase_overlap_by_hand():
    """Contract 8.6 "OVERLAP", worked by hand on 4x2: I = 1 (pad 1, so x_t is encoded in E = 4
    cycles), M = 60 (O = 15 output cycles), compute 17, 15, 16 cycles. Product 0 starts at 4,
    computes 5..21 and drains 22..36; SqStep at 23, x_1 encoded 24..27, product 1 starts at 27
    and computes 28..42, its first 9 cycles (28..36) beside that drain; SqStep 44; product 2
    starts at 48, computes 49..64, drains 65..79 and the phase ends with SqStep at 80
    (v1: 4 + 17 + 15 + 1 = 37, then 35 and 36: 108 cycles)."""
    from types import SimpleNamespace
    from golden.gru_seq import OverlapStep, x_phase_overlap
    got = x_phase_overlap(BRINGUP_4X2, 1, 60,
                          [SimpleNamespace(compute_cycles=c) for c in (17, 15, 16)])
    assert got == [OverlapStep(23, 0), OverlapStep(21, 9), OverlapStep(36, 9)]
    assert sum(s.step_cycles for s in got) == 80
    with pytest.raises(AssertionError, match="no-wait"):
        x_phase_overlap(BRINGUP_4X2, 1, 60, [SimpleNamespace(compute_cycles=14)])


def test_x_phase_prefetch_by_hand():
    """Contract 8.6 "PREFETCH", worked by hand on 4x2 with the products of the OVERLAP case
    above (M = 60, O = 15, compute 17, 15, 16).
    I = 1 (x_t encoded in F = I + pad + 1 = 3 cycles after its start): product 0 starts at 4 and
    starts the encoder on x_1, done at 7; SqStep at 23 starts product 1 at once (computes 24..38,
    13 cycles beside product 0's drain 22..36) and the encoder on x_2; SqStep 40 starts product
    2 (41..56, drain 57..71), SqStep 72: 72 cycles against OVERLAP's 80.
    I = 64 (pad 0, F = 65): product 0 starts at 66, SqStep at 85, x_1 done at 131: product 1
    waits 46 cycles in SqEncWait, starts at 131 (beside nothing), SqStep 148; x_2 done at 196,
    wait 48, step 2 = 48 + 16 + 15 + 1."""
    from types import SimpleNamespace
    from golden.gru_seq import OverlapStep, x_phase_prefetch
    prods = [SimpleNamespace(compute_cycles=c) for c in (17, 15, 16)]
    got = x_phase_prefetch(BRINGUP_4X2, 1, 60, prods)
    assert got == [OverlapStep(23, 0), OverlapStep(17, 13, False, 0, True),
                   OverlapStep(32, 13, False, 0, True)]
    got = x_phase_prefetch(BRINGUP_4X2, 64, 60, prods)
    assert got == [OverlapStep(85, 0), OverlapStep(63, 0, False, 46, False),
                   OverlapStep(80, 0, False, 48, False)]
    # x_1 done exactly in step 0's SqStep cycle: F = C_0 + 2 = 19 (I = 18, pad 0 on 4x2)
    got = x_phase_prefetch(BRINGUP_4X2, 18, 60, prods)
    assert got[1].encoder_wait == 0 and not got[1].ready_early and got[2].encoder_wait == 2


@pytest.mark.parametrize("hw_name", ["4x2", "8x8"])
def test_x_phase_prefetch_never_slower_than_overlap(hw_name):
    """PREFETCH changes only the X phase's schedule: GX, the products and the H phase are as
    with OVERLAP alone, the X phase is never slower, and T = 1 is OVERLAP exactly."""
    from golden.config import FEAT_OVERLAP, FEAT_PREFETCH
    hw = HWS[hw_name]
    rng = np.random.default_rng(12)
    for trial in range(12):
        I = int(rng.integers(1, hw.N_MAX + 1))
        T = 1 if trial == 0 else int(rng.integers(2, 9))
        ov, pre = _x_phase_pair(hw, rng, I, T, FEAT_OVERLAP, FEAT_OVERLAP | FEAT_PREFETCH)
        assert pre.cycles <= ov.cycles
        if T == 1:
            assert pre.cycles == ov.cycles


def _x_phase_pair(hw, rng, I: int, T: int, feat_a: int, feat_b: int):
    """One random X phase (vertical stealing) predicted with CFG_FEAT feat_a and feat_b; the two
    must agree on everything but the schedule: GX and STEP words 0-5."""
    Hd = int(rng.integers(1, hd_max(hw) + 1))
    run = GruRun(I, Hd, T, 0, 0, StealMode.VERTICAL, 1, 6, feat_a)
    p = quantize_gru_params(random_gru_params(rng, I, Hd, density=0.5), 6)
    x = np.where(rng.random((T, I)) < 0.5, rng.integers(-500, 500, (T, I)), 0)
    a = expect_x_phase(hw, run, p.W_ih, p.b_ih, x)
    b = expect_x_phase(hw, dataclasses.replace(run, feat=feat_b), p.W_ih, p.b_ih, x)
    assert np.array_equal(a.gx, b.gx)
    assert [s.words()[:6] for s in a.steps] == [s.words()[:6] for s in b.steps]
    return a, b


def test_prefetch_needs_overlap():
    from golden.config import FEAT_OVERLAP, FEAT_PREFETCH, LayerConfig
    with pytest.raises(SpecError, match="PREFETCH .* needs OVERLAP"):
        LayerConfig(4, 4, feat=FEAT_PREFETCH)
    LayerConfig(4, 4, feat=FEAT_PREFETCH | FEAT_OVERLAP).check_fits(BRINGUP_4X2)


@pytest.mark.parametrize("hw_name", ["4x2", "8x8"])
def test_x_phase_overlap_never_slower_and_t1_is_v1(hw_name):
    """An overlapped X phase is never slower than v1; with T = 1 it is v1 exactly (nothing to
    overlap), and its numbers (GX) and step products do not change."""
    from golden.config import FEAT_OVERLAP
    hw = HWS[hw_name]
    rng = np.random.default_rng(11)
    for trial in range(12):
        I = int(rng.integers(1, hw.N_MAX + 1))
        Hd = int(rng.integers(1, hd_max(hw) + 1))
        T = 1 if trial == 0 else int(rng.integers(2, 9))
        run = GruRun(I, Hd, T, 0, 0, StealMode.VERTICAL, 1, 6)
        p = quantize_gru_params(random_gru_params(rng, I, Hd, density=0.5), 6)
        x = np.where(rng.random((T, I)) < 0.5, rng.integers(-500, 500, (T, I)), 0)
        v1 = expect_x_phase(hw, run, p.W_ih, p.b_ih, x)
        ov = expect_x_phase(hw, dataclasses.replace(run, feat=FEAT_OVERLAP), p.W_ih, p.b_ih, x)
        assert np.array_equal(v1.gx, ov.gx)
        assert [s.product.counters() for s in v1.steps] == [s.product.counters() for s in ov.steps]
        assert ov.cycles <= v1.cycles
        if T == 1:
            assert ov.cycles == v1.cycles


def test_geometry():
    assert hd_max(BRINGUP_4X2) == 21 and hd_max(REGRESSION_8X8) == 85
    assert BRINGUP_4X2.T_MAX == 32 and REGRESSION_8X8.T_MAX == 32
    with pytest.raises(SpecError, match="T_MAX"):
        HwConfig(4, 2, M_MAX=64, N_MAX=64, SLOTS=32, WDEPTH=512, T_MAX=0)


# -- validation ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, match", [
    (dict(I=0), r"GruRun.I=0 must be >= 1"),
    (dict(Hd=0), r"GruRun.Hd=0"),
    (dict(T=0), r"GruRun.T=0"),
    (dict(threshold=32768), r"threshold=32768"),
    (dict(threshold=-1), r"threshold=-1"),
    (dict(direction=2), r"GruRun.direction=2"),
    (dict(mode=3), r"GruRun.mode=3"),
    (dict(rep_rows=-1), r"GruRun.rep_rows=-1"),
    (dict(shift=16), r"GruRun.shift=16"),
    (dict(I=True), r"GruRun.I must be an int"),
    (dict(T=2.0), r"GruRun.T must be an int"),
])
def test_run_validation(kwargs, match):
    base = dict(I=4, Hd=3, T=2, threshold=0, direction=0, mode=StealMode.NONE, rep_rows=0,
                shift=6)
    with pytest.raises(SpecError, match=match):
        GruRun(**{**base, **kwargs})


def test_run_fits():
    hw = BRINGUP_4X2
    with pytest.raises(SpecError, match=r"GruRun.I=65 exceeds N_MAX=64"):
        _run(65, 3, 2).check_fits(hw)
    with pytest.raises(SpecError, match=r"GruRun.Hd=22 exceeds HD_MAX=21"):
        _run(4, 22, 2).check_fits(hw)
    with pytest.raises(SpecError, match=r"GruRun.T=33 exceeds T_MAX=32"):
        _run(4, 3, 33).check_fits(hw)
    with pytest.raises(SpecError, match=r"row slots"):
        _run(4, 21, 2, mode=StealMode.HORIZONTAL, rep=16).check_fits(hw)
    _run(64, 21, 32).check_fits(hw)
    assert GruRun(4, 3, 2, 0, 0, 1, 0, 6).mode is StealMode.VERTICAL


def test_phase_input_validation():
    hw = BRINGUP_4X2
    p, x, h0 = _layer(9, 5, 4, 3)
    run = _run(5, 4, 3)
    with pytest.raises(SpecError, match=r"W_ih has shape \(12, 4\), expected \(12, 5\)"):
        expect_x_phase(hw, run, p.W_ih[:, :4], p.b_ih, x)
    with pytest.raises(SpecError, match=r"b_ih has shape \(11,\)"):
        expect_x_phase(hw, run, p.W_ih, p.b_ih[:11], x)
    with pytest.raises(SpecError, match=r"x_seq has shape \(2, 5\), expected \(3, 5\)"):
        expect_x_phase(hw, run, p.W_ih, p.b_ih, x[:2])
    with pytest.raises(SpecError, match=r"x_seq"):
        expect_x_phase(hw, run, p.W_ih, p.b_ih, x.astype(np.float64))
    with pytest.raises(SpecError, match=r"W_ih"):
        expect_x_phase(hw, run, p.W_ih.astype(np.int64) * 4, p.b_ih, x)   # not int8
    with pytest.raises(SpecError, match=r"run must be a GruRun"):
        expect_x_phase(hw, (5, 4, 3), p.W_ih, p.b_ih, x)
    gx = expect_x_phase(hw, run, p.W_ih, p.b_ih, x).gx
    with pytest.raises(SpecError, match=r"W_hh has shape \(12, 5\), expected \(12, 4\)"):
        expect_h_phase(hw, run, p.W_ih, p.b_hh, gx, h0)
    with pytest.raises(SpecError, match=r"gx has shape \(3, 11\), expected \(3, 12\)"):
        expect_h_phase(hw, run, p.W_hh, p.b_hh, gx[:, :11], h0)
    with pytest.raises(SpecError, match=r"h0 has shape \(3,\), expected \(4,\)"):
        expect_h_phase(hw, run, p.W_hh, p.b_hh, gx, h0[:3])
    with pytest.raises(SpecError, match=r"exceeds T_MAX"):
        expect_h_phase(hw, _run(5, 4, 40), p.W_hh, p.b_hh, gx, h0)


@pytest.mark.parametrize("hw_name", ["4x2", "8x8"])
def test_wide_encoder_feed_formula(hw_name):
    """WIDE_ENC (docs/gru-datapath.md 3): the feed takes one cycle per mask word that holds
    elements, and with the trailing pad words always V*K; the X-phase formulas take it in place
    of I (serial: V*K + C + 3 per step), and the numbers and products do not change."""
    from golden.config import FEAT_OVERLAP, FEAT_PREFETCH, FEAT_WIDE_ENC, words_per_row
    from golden.gru_seq import encoder_feed_cycles
    hw = HWS[hw_name]
    for N in range(1, hw.N_MAX + 1):
        vk = hw.V * words_per_row(hw, N)
        assert encoder_feed_cycles(hw, N, True) + encoder_pad(hw, N) == vk
        assert encoder_feed_cycles(hw, N, False) == N
        assert x_step_cycles(hw, N, 50, wide=True) == vk + 53
    rng = np.random.default_rng(13)
    for feat in (0, FEAT_OVERLAP, FEAT_OVERLAP | FEAT_PREFETCH):
        elem, word = _x_phase_pair(hw, rng, hw.N_MAX, 4, feat, feat | FEAT_WIDE_ENC)
        assert word.cycles < elem.cycles


# -- run-ahead (O2) X phase, proposed (golden model only) --------------------------------------

def _run_ahead_case(hw, rng, T: int, feat: int, mode: StealMode):
    I = int(rng.integers(1, hw.N_MAX + 1))
    Hd = int(rng.integers(1, hd_max(hw) + 1))
    run = GruRun(I, Hd, T, 0, 0, mode, 0 if mode == StealMode.NONE else 1, 6, feat)
    p = quantize_gru_params(random_gru_params(rng, I, Hd, density=0.5), 6)
    x = np.where(rng.random((T, I)) < 0.5, rng.integers(-500, 500, (T, I)), 0)
    return run, p.W_ih, p.b_ih, x


@pytest.mark.parametrize("hw_name", ["4x2", "8x8"])
def test_x_phase_run_ahead_rules(hw_name):
    """The run-ahead X phase keeps every product's work (MAC ops, rows) and GX-side
    facts, respects its gates (a lane enters q only once x_q is encoded and q - 2 has drained;
    the encoder takes x_q only after x_{q-1} and after product q - 2 stopped reading its set),
    is PREFETCH exactly with T = 1 (but for PERF_IDLE) and never slower than PREFETCH without
    stealing."""
    from golden.config import (FEAT_NULL_SKIP, FEAT_OVERLAP, FEAT_PREFETCH, FEAT_ROW_SKIP,
                               FEAT_WIDE_ENC)
    from golden.gru_seq import encoder_feed_cycles, x_phase_run_ahead
    hw = HWS[hw_name]
    rng = np.random.default_rng(21)
    extras = (0, FEAT_NULL_SKIP, FEAT_NULL_SKIP | FEAT_ROW_SKIP | FEAT_WIDE_ENC, FEAT_WIDE_ENC)
    for trial in range(16):
        feat = FEAT_OVERLAP | FEAT_PREFETCH | extras[trial % len(extras)]
        mode = list(StealMode)[trial % 3]
        T = 1 if trial < 2 else int(rng.integers(2, 7))
        run, W, b, x = _run_ahead_case(hw, rng, T, feat, mode)
        pre = expect_x_phase(hw, run, W, b, x)
        ra = x_phase_run_ahead(hw, run, W != 0, x != 0)
        wide = bool(feat & FEAT_WIDE_ENC)
        E = encoder_feed_cycles(hw, run.I, wide) + encoder_pad(hw, run.I) + 2
        assert ra.cycles == E + ra.drain_end[-1] + 1
        for mine, theirs in zip(ra.products, pre.steps):
            assert (mine.mac_busy, mine.rows_done) == (theirs.product.mac_busy,
                                                       theirs.product.rows_done)
        assert ra.encoder_start[:2] == [-E, -1][:T]
        for q in range(1, T):
            assert ra.first_entry[q] >= ra.entry_ready[q]
            assert ra.entry_ready[q] == ra.encoder_start[q] + E       # done at start + F
            if q >= 2:
                assert ra.first_entry[q] >= ra.drain_end[q - 2]
                assert ra.encoder_start[q] >= ra.compute_end[q - 2]
                assert ra.encoder_start[q] >= ra.encoder_start[q - 1] + E - 1
        if T == 1:
            assert ra.step_cycles == [s.step_cycles for s in pre.steps]
            mine, theirs = ra.products[0].counters(), pre.steps[0].product.counters()
            del mine["PERF_IDLE"], theirs["PERF_IDLE"]
            assert mine == theirs
        elif mode == StealMode.NONE:
            assert ra.cycles <= pre.cycles


def test_x_phase_run_ahead_waits_for_a_slow_encoder():
    """With an encoder far slower than the products, every product q >= 1 is entered exactly
    when x_q is ready (encoder_cycles F after the previous vector's done cycle), so the phase is
    E + T-1 encodes + the last product: nothing runs ahead of the encoder."""
    from golden.config import FEAT_OVERLAP, FEAT_PREFETCH
    from golden.gru_seq import x_phase_run_ahead
    hw = BRINGUP_4X2
    run, W, b, x = _run_ahead_case(hw, np.random.default_rng(5), 4, FEAT_OVERLAP | FEAT_PREFETCH,
                                   StealMode.VERTICAL)
    F = 400
    ra = x_phase_run_ahead(hw, run, W != 0, x != 0, encoder_cycles=F)
    assert ra.entry_ready == [0] + [q * F for q in range(1, 4)]
    assert ra.first_entry == ra.entry_ready
    assert ra.compute_end[-1] == 3 * F + ra.products[-1].compute_cycles


def test_expect_x_phase_runs_ahead_with_the_bit():
    """CFG_FEAT.RUN_AHEAD at an X-phase start: expect_x_phase's steps are x_phase_run_ahead's
    products and STEP_CYCLES (with the non-zero counts of x_t and the schedule kept for
    coverage), GX is the products' as without the bit; an H phase ignores the bit."""
    from golden.config import FEAT_OVERLAP, FEAT_PREFETCH, FEAT_RUN_AHEAD
    from golden.gru_seq import x_phase_run_ahead
    hw = BRINGUP_4X2
    feat = FEAT_OVERLAP | FEAT_PREFETCH
    run, W, b, x = _run_ahead_case(hw, np.random.default_rng(8), 5, feat, StealMode.VERTICAL)
    ahead = dataclasses.replace(run, feat=feat | FEAT_RUN_AHEAD)
    got = expect_x_phase(hw, ahead, W, b, x)
    want = x_phase_run_ahead(hw, run, W != 0, x != 0)
    assert [s.step_cycles for s in got.steps] == want.step_cycles
    assert [s.product.counters() for s in got.steps] == [p.counters() for p in want.products]
    assert [s.act_nnz for s in got.steps] == [int(np.count_nonzero(v)) for v in x]
    assert got.ahead.compute_end == want.compute_end and got.cycles == want.cycles
    np.testing.assert_array_equal(got.gx, expect_x_phase(hw, run, W, b, x).gx)
    assert expect_x_phase(hw, run, W, b, x).ahead is None


def test_feat_with_needs():
    from golden.config import (FEAT_NULL_SKIP, FEAT_OVERLAP, FEAT_PREFETCH, FEAT_ROW_SKIP,
                               FEAT_RUN_AHEAD, feat_error, feat_with_needs)
    assert feat_with_needs(FEAT_RUN_AHEAD) == FEAT_RUN_AHEAD | FEAT_PREFETCH | FEAT_OVERLAP
    assert feat_with_needs(FEAT_ROW_SKIP) == FEAT_ROW_SKIP | FEAT_NULL_SKIP
    assert feat_with_needs(FEAT_OVERLAP) == FEAT_OVERLAP
    assert feat_error(feat_with_needs(FEAT_RUN_AHEAD)) is None


def test_x_phase_run_ahead_input_checks():
    from golden.config import FEAT_OVERLAP, FEAT_PREFETCH
    from golden.gru_seq import x_phase_run_ahead
    hw = BRINGUP_4X2
    run, W, b, x = _run_ahead_case(hw, np.random.default_rng(6), 2, FEAT_OVERLAP,
                                   StealMode.NONE)
    with pytest.raises(SpecError, match="needs OVERLAP and PREFETCH"):
        x_phase_run_ahead(hw, run, W != 0, x != 0)
    run = dataclasses.replace(run, feat=FEAT_OVERLAP | FEAT_PREFETCH)
    with pytest.raises(SpecError, match="sets=1"):
        x_phase_run_ahead(hw, run, W != 0, x != 0, sets=1)
    with pytest.raises(SpecError, match="encoder_cycles=0"):
        x_phase_run_ahead(hw, run, W != 0, x != 0, encoder_cycles=0)


@pytest.mark.parametrize("mode", [StealMode.VERTICAL, StealMode.HORIZONTAL])
def test_split_phases_run_the_images_plan(mode):
    """CFG_FEAT.SPLIT is legal at a GRU start: every product of a phase runs the split ranges
    of the phase's image. Without a plan the phase predicts the uniform plan of rep_rows, the
    one encode_matvec writes into the plan registers; a load-placed plan is predicted product by
    product as golden.perf_v2 runs it; numbers never change."""
    from golden.config import FEAT_OVERLAP, FEAT_SPLIT
    from golden.encode import encode_matvec, split_plan
    from golden.perf_v2 import simulate_product
    hw = BRINGUP_4X2
    rng = np.random.default_rng(31)
    I, Hd, T = 20, 12, 4
    run = GruRun(I, Hd, T, 0, 0, mode, 2, 6, FEAT_SPLIT | FEAT_OVERLAP)
    run.check_fits(hw)
    p = quantize_gru_params(random_gru_params(rng, I, Hd, density=0.5), 6)
    x = np.where(rng.random((T, I)) < 0.6, rng.integers(-500, 500, (T, I)), 0)
    layer = run.layer(I)
    image = encode_matvec(p.W_ih, x[0], p.b_ih, hw, layer)
    plain = expect_x_phase(hw, run, p.W_ih, p.b_ih, x)
    assert expect_x_phase(hw, run, p.W_ih, p.b_ih, x, plan=image.plan).step_words().tolist() \
        == plain.step_words().tolist()
    assert sum(s.product.steals_granted for s in plain.steps) > 0
    load = split_plan(p.W_ih, hw, layer, "load", 0.1)
    placed = expect_x_phase(hw, run, p.W_ih, p.b_ih, x, plan=load)
    assert np.array_equal(placed.gx, plain.gx)
    assert [s.product.counters() for s in placed.steps] == \
        [simulate_product(p.W_ih != 0, xt != 0, hw, layer, plan=load).counters() for xt in x]
    no_split = expect_x_phase(hw, dataclasses.replace(run, feat=FEAT_OVERLAP), p.W_ih, p.b_ih, x)
    assert np.array_equal(no_split.gx, plain.gx)


def test_h_phase_wide_cell_by_hand():
    """The proposed wide cell (contract 8.6 "Wide cell"): on 4x2 Hd = 21 has P = 11, K = 1, the
    last neuron in partition 1's word 0, so feed(21) = 2 words and pad 0: a step costs
    PROD + 2 + 0 + 5 instead of PROD + 21 + 0 + 5, and step 0's h_0 encode 1 + 2 + 1 instead of
    1 + 21 + 1. The products (and so every other STEP word) are the H phase's own."""
    from golden.gru_seq import h_phase_wide_cell_cycles
    hw = BRINGUP_4X2
    assert h_step_cycles(hw, 21, 40, False, wide_cell=True) == 47
    assert h_step_cycles(hw, 21, 40, True, wide_cell=True) == 47 + 4
    assert h_step_cycles(hw, 21, 40, False) == 66
    I, Hd, T = 9, 21, 3
    p, x, h0 = _layer(7, I, Hd, T)
    run = _run(I, Hd, T)
    gx = expect_x_phase(hw, run, p.W_ih, p.b_ih, x).gx
    eh = expect_h_phase(hw, run, p.W_hh, p.b_hh, gx, h0)
    assert h_phase_wide_cell_cycles(hw, eh, Hd) == eh.cycles - (T + 1) * (21 - 2)
