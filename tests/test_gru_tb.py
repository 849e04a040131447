"""The GRU testbench (tb/gru_*.py): pure-Python unit tests and the GruSmokeTest simulation.

Unit tests: sequences are legal and reproducible from the seed; a golden stand-in DUT
(tb.gru.dryrun) passes the scoreboard; corrupted results (one h, a swapped z/r cell, a STEP
counter, a memory changed by a rejected start, the other direction's HOUT) fail with messages that
name the step t, the direction and the neuron j; coverage bin functions; the regression list's
per-entry test module.  The simulation runs GruSmokeTest on the 4x2 build through the same runner
path as tests/test_tb_smoke.py.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from golden.config import BRINGUP_4X2, REGRESSION_8X8, StealMode
from golden.gru import gru_layer_q
from golden.matvec import matvec_q
from golden.numerics import mul_q88, sat16, sigmoid_q88, tanh_q88
from tb.gru import sequences as gru_sequences
from tb.gru.bfm import DIR_BWD, DIR_FWD, PHASE_H, PHASE_X, STEP_NAMES, geometry
from tb.gru.checks import MAX_MESSAGES, compare_h, compare_phase, dir_golden
from tb.gru.coverage import act_bin, h_states, pair_events, region, t_bin, thr_bin
from tb.gru.dryrun import golden_run, sequence_items
from tb.gru.items import build_item, fits_phase

HWS = [BRINGUP_4X2, REGRESSION_8X8]
IDS = ["4x2", "8x8"]
SEQS = ["GruSmokeSequence", "GruRandomSequence", "GruOverlapSequence", "GruCornerSequence",
        "GruErrorSequence", "GruFrontdoorSequence"]
V_, H_ = StealMode.VERTICAL, StealMode.HORIZONTAL


# -- sequences ----------------------------------------------------------------------------------

@pytest.mark.parametrize("hw", HWS, ids=IDS)
@pytest.mark.parametrize("seq", SEQS)
def test_sequences_are_legal(hw, seq):
    geo = geometry(hw)
    items = sequence_items(getattr(gru_sequences, seq), hw, 3)
    assert items
    for it in items:
        assert 1 <= it.I <= hw.N_MAX and 1 <= it.Hd <= geo.HD_MAX and 1 <= it.T <= geo.T_MAX
        assert it.x_seq.shape == (it.T, it.I) and it.x_seq.dtype == np.int16
        for d in it.directions:
            assert it.h0[d].shape == (it.Hd,)
            for ph in (PHASE_X, PHASE_H):
                assert fits_phase(hw, it.weights(d, ph)[0], it.layer_config(ph)), (it, d, ph)


@pytest.mark.parametrize("hw", HWS, ids=IDS)
def test_random_sequence_reaches_t_max_and_reproduces(hw):
    a = sequence_items(gru_sequences.GruRandomSequence, hw, 7)
    b = sequence_items(gru_sequences.GruRandomSequence, hw, 7)
    c = sequence_items(gru_sequences.GruRandomSequence, hw, 8)
    assert max(it.T for it in a) == geometry(hw).T_MAX
    for x, y in zip(a, b):
        assert x.describe() == y.describe() and np.array_equal(x.x_seq, y.x_seq)
        for d in x.directions:
            assert np.array_equal(x.params[d].W_hh, y.params[d].W_hh)
    assert [x.describe() for x in a] != [x.describe() for x in c]


@pytest.mark.parametrize("hw", HWS, ids=IDS)
def test_error_sequence_covers_the_new_codes(hw):
    items = sequence_items(gru_sequences.GruErrorSequence, hw, 1)
    codes = {it.err.expect for it in items if it.err is not None}
    assert {9, 10, 11, 12, 7} <= codes
    assert items[0].err is None and items[-1].err is None        # legal before and after
    assert {it.busy_inject for it in items} >= {"start", "mem"}


# -- scoreboard against the golden stand-in ----------------------------------------------------------

@pytest.mark.parametrize("hw", HWS, ids=IDS)
@pytest.mark.parametrize("seq", SEQS)
def test_golden_stand_in_passes(hw, seq):
    items = sequence_items(getattr(gru_sequences, seq), hw, 2)
    results, _ = golden_run(items, hw)
    for res in results:
        assert compare_phase(res, res.expected, hw) == [], res.item


def _bi_layer(hw=BRINGUP_4X2, seed=4, **kw):
    rng = np.random.default_rng(seed)
    args = dict(I=7, Hd=6, T=5, mode=V_, rep_rows=1, directions="bi", threshold=3,
                w_density=0.6, x_density=0.7, h0_density=0.5)
    args.update(kw)
    return build_item(rng, hw, "unit_bi", **args)


def test_one_corrupted_h_names_step_direction_and_neuron():
    hw = BRINGUP_4X2
    item = _bi_layer()
    results, _ = golden_run([item], hw)
    last = results[-1]                                   # bwd H phase: HOUT of both directions
    assert (last.direction, last.phase) == (DIR_BWD, PHASE_H)
    geo = geometry(hw)
    t, j = 3, 5
    addr = geo.hout_addr(t, DIR_BWD, j)
    golden_h = int(last.dump.hout[addr])
    last.dump.hout[addr] = golden_h ^ 0x0003
    errs = compare_phase(last, last.expected, hw)
    h_errs = [e for e in errs if e.startswith("h mismatch")]
    assert len(h_errs) == 1, errs
    g = last.expected.dirs[DIR_BWD]
    want = (f"h mismatch: step t={t} direction=bwd neuron j={j}: "
            f"DUT 0x{(golden_h ^ 3) & 0xFFFF:04x} golden 0x{golden_h & 0xFFFF:04x} "
            f"(r=0x{int(g.r[t, j]) & 0xFFFF:04x}, z=0x{int(g.z[t, j]) & 0xFFFF:04x}, "
            f"n=0x{int(g.n[t, j]) & 0xFFFF:04x}")
    assert h_errs[0].startswith(want), h_errs[0]
    assert f"processing step s={item.T - 1 - t}" in h_errs[0]
    assert "layer 'unit_bi' phase H" in h_errs[0]
    # the whole-layer check against bigru_layer_q's output sees it as well
    assert any("bigru_layer_q" in e for e in errs)


def test_forward_hout_must_survive_the_backward_phases():
    hw = BRINGUP_4X2
    results, _ = golden_run([_bi_layer()], hw)
    bwd_x = results[2]
    assert (bwd_x.direction, bwd_x.phase) == (DIR_BWD, PHASE_X)
    addr = geometry(hw).hout_addr(1, DIR_FWD, 2)
    bwd_x.dump.hout[addr] += 1
    errs = compare_phase(bwd_x, bwd_x.expected, hw)
    assert any(e.startswith("h (HOUT of fwd after a later phase) mismatch: step t=1 "
                            "direction=fwd neuron j=2") for e in errs), errs


def _gates_rz_swapped(gx, gh, h, threshold):
    """A broken element-wise unit: z and r exchanged (the mutation the scoreboard must catch)."""
    gx64, gh64, h64 = (np.asarray(a, dtype=np.int64) for a in (gx, gh, h))
    Hd = len(h64)
    z = sigmoid_q88(sat16(gx64[:Hd] + gh64[:Hd])).astype(np.int64)           # r's sum
    r = sigmoid_q88(sat16(gx64[Hd:2 * Hd] + gh64[Hd:2 * Hd])).astype(np.int64)
    n = tanh_q88(sat16(gx64[2 * Hd:] + mul_q88(r, gh64[2 * Hd:]))).astype(np.int64)
    hn = sat16(n + mul_q88(z, h64 - n)).astype(np.int64)
    return np.where(np.abs(hn) < threshold, 0, hn)


def test_swapped_z_and_r_fail_with_located_messages():
    item = _bi_layer(directions="fwd", T=6, threshold=0)
    p, h0 = item.params[0], item.h0[0].astype(np.int64)
    h, dut = h0.copy(), []
    for x_t in item.x_seq:
        gx = matvec_q(p.W_ih, x_t, p.b_ih, p.shift)
        gh = matvec_q(p.W_hh, h.astype(np.int16), p.b_hh, p.shift)
        h = _gates_rz_swapped(gx, gh, h, item.threshold)
        dut.append(h.copy())
    g = dir_golden(DIR_FWD, gru_layer_q(item.x_seq, p, item.h0[0], item.threshold), item.h0[0],
                   item.threshold)
    errs = compare_h(np.array(dut), g, " [unit]")
    assert errs, "a cell with z and r swapped passed the scoreboard"
    assert re.match(r"h mismatch: step t=\d+ direction=fwd neuron j=\d+: DUT 0x[0-9a-f]{4} "
                    r"golden 0x[0-9a-f]{4} \(r=0x[0-9a-f]{4}, z=0x[0-9a-f]{4}, n=0x[0-9a-f]{4}",
                    errs[0]), errs[0]
    n_bad = int((np.array(dut) != g.h).sum())
    assert len(errs) == min(n_bad, MAX_MESSAGES) + (n_bad > MAX_MESSAGES)


def test_only_the_first_mismatches_are_spelled_out():
    item = _bi_layer(directions="bwd", T=4, threshold=0)
    tr = gru_layer_q(item.x_seq[::-1], item.params[1], item.h0[1], 0)
    g = dir_golden(DIR_BWD, tr, item.h0[1], 0)
    dut = g.h + 1
    errs = compare_h(dut, g)
    assert len(errs) == MAX_MESSAGES + 1
    assert errs[-1] == f"... {dut.size} h mismatches in total"
    # messages come in processing order: the backward direction's first processed step is the
    # last time step, t = T-1 (s = 0)
    assert errs[0].startswith(f"h mismatch: step t={item.T - 1} direction=bwd neuron j=0") and \
        "processing step s=0)" in errs[0]


def test_step_counters_and_perf_registers_are_checked():
    hw = BRINGUP_4X2
    results, _ = golden_run([_bi_layer(directions="fwd")], hw)
    x_phase = results[0]
    geo = geometry(hw)
    k = STEP_NAMES.index("STEAL_GRANTED")
    x_phase.dump.step[geo.step_addr(2, k)] += 1
    x_phase.dump.regs[0x26] += 5                        # PERF_GRU_CYCLES
    errs = compare_phase(x_phase, x_phase.expected, hw)
    assert any(e.startswith("STEP mismatch: phase X direction=fwd step s=2 (t=2) STEAL_GRANTED")
               for e in errs), errs
    assert any("PERF_GRU_CYCLES" in e for e in errs), errs


def test_gx_mismatch_names_gate_and_neuron():
    hw = BRINGUP_4X2
    item = _bi_layer(directions="fwd")
    results, _ = golden_run([item], hw)
    x_phase = results[0]
    r = 2 * item.Hd + 1                                  # gate n, neuron 1
    x_phase.dump.gx[geometry(hw).gx_addr(4, r)] += 7
    errs = compare_phase(x_phase, x_phase.expected, hw)
    assert any(e.startswith(f"gx mismatch: step t=4 direction=fwd row {r} (gate n, neuron j=1)")
               for e in errs), errs


def test_rejected_start_must_change_nothing():
    hw = BRINGUP_4X2
    items = sequence_items(gru_sequences.GruErrorSequence, hw, 1)[:4]
    results, _ = golden_run(items, hw)
    rej = results[-1]
    assert rej.item.err is not None
    assert compare_phase(rej, None, hw) == []
    rej.dump.gx[5] += 1
    rej.dump.regs[0x25] += 1                             # GRU_STEPS
    errs = compare_phase(rej, None, hw)
    assert any("changed GX" in e for e in errs) and any("GRU_STEPS" in e for e in errs), errs
    rej.dump.regs[0x02] = 0
    assert any(e.startswith("ERR_CODE: DUT 0 (OK) expected") for e in compare_phase(rej, None, hw))
    rej.dump.regs[0x2B] = 7
    assert any(e.startswith("unknown register 0x2b reads 0x7") for e in compare_phase(rej, None, hw))


@pytest.mark.parametrize("hw", HWS, ids=IDS)
def test_threshold_edge_corner_keeps_an_h_equal_to_the_threshold(hw):
    items = sequence_items(gru_sequences.GruCornerSequence, hw, 5)
    [it] = [i for i in items if "thr_equals_h" in i.tags]
    from tb.gru.checks import golden_traces
    traces, _ = golden_traces(it)
    first = {d: tr.h[0] for d, tr in traces.items()}
    assert any((np.abs(h.astype(np.int64)) == it.threshold).any() for h in first.values())


def test_frontdoor_xbuf_read_must_equal_the_dump():
    """GruFrontdoorTest reads XBUF back over the bus after an X phase (the only test that drives
    the XBUF read arm of masr_gru_seq); a bus word that differs from the dump is named."""
    from tb.gru.checks import compare_frontdoor
    item = _bi_layer(directions="fwd")
    results, _ = golden_run([item], BRINGUP_4X2)
    res = next(r for r in results if r.phase == PHASE_X)
    bus = res.dump.xbuf_rows(item.T, item.I)
    assert compare_frontdoor("XBUF", bus, res.dump, item, res.direction, "") == []
    bus[2, 1] ^= 0x10
    errs = compare_frontdoor("XBUF", bus, res.dump, item, res.direction, "")
    assert errs == [f"frontdoor XBUF read differs from the dump at 1 words, first at index (2, 1): "
                    f"bus {int(bus[2, 1])} dump {int(res.dump.xbuf_rows(item.T, item.I)[2, 1])}"]


@pytest.mark.parametrize("hw", HWS, ids=IDS)
def test_activation_rf_after_a_phase_is_checked(hw):
    """The frontdoor test reads the act RFs after each phase: they must hold the encoding of the
    phase's last vector (K mask words per filled segment, popcount values)."""
    from golden.config import partition_width, words_per_row
    from golden.encode import encode_activations
    from tb.gru.checks import compare_act_rf
    item = _bi_layer(hw=hw, mode=V_, directions="fwd")
    last = item.x_seq[item.T - 1]
    enc = encode_activations(last, hw, item.I, item.mode)
    K, P = words_per_row(hw, item.I), partition_width(hw, item.I)
    got = {}
    for g, v in hw.pes():
        for seg, _u in enc.filled_segments(v):
            m = np.asarray(enc.amask[(g, v)][seg * hw.KW_MAX: seg * hw.KW_MAX + K], dtype=np.int64)
            vals = np.asarray(enc.aval[(g, v)][seg * hw.P_MAX: seg * hw.P_MAX + P], dtype=np.int64)
            got[(g, v, seg)] = (m.copy(), vals.copy())
    assert compare_act_rf(got, last, item, hw, PHASE_X, "") == []
    key = next(iter(got))
    n_vals = int(sum(bin(int(w)).count("1") for w in got[key][0]))
    if P > n_vals:
        got[key][1][P - 1] = 0x1234          # a stale word past the popcount is not compared
        assert compare_act_rf(got, last, item, hw, PHASE_X, "") == []
    got[key][0][0] ^= 1
    errs = compare_act_rf(got, last, item, hw, PHASE_X, "")
    assert errs and errs[0].startswith(f"activation RF after phase X: PE ({key[0]},{key[1]}) "
                                       f"segment {key[2]} mask word 0")


@pytest.mark.parametrize("hw", HWS, ids=IDS)
def test_a_corner_reads_back_the_encoders_pad_words(hw):
    """GruCornerTest's I = Hd = 1 layer has its activation RFs read after each phase: every
    partition but the first holds only the encoder's zero pad words (K words each)."""
    from golden.gru_seq import encoder_pad
    from tb.gru.items import ACT_RF_TAG
    items = sequence_items(gru_sequences.GruCornerSequence, hw, 1)
    [it] = [i for i in items if i.get_name() == "corner_hd1_i1"]
    assert ACT_RF_TAG in it.tags and it.I == it.Hd == 1
    assert encoder_pad(hw, 1) == hw.V - 1 > 0


@pytest.mark.parametrize("hw", HWS, ids=IDS)
def test_encoder_writes_rebuild_the_golden_encoding(hw):
    """The cycle-by-cycle write list of the encoder (used to predict the activation RFs after a
    reset in the middle of a stream) applied in full gives golden.encode's image, every word."""
    from golden.config import words_per_row
    from golden.encode import encode_activations, encoder_write_cycles
    from golden.gru_seq import encoder_feed_cycles, encoder_pad
    from tb.gru.checks import apply_encoder_writes

    def c_cols(c: list) -> set:
        """The columns a cycle's writes go to: each gets exactly one mask word per cycle."""
        return {w[1] for w in c}
    rng = np.random.default_rng(3)
    for N in (1, 2, hw.V + 3, 33, hw.N_MAX - 1, hw.N_MAX, *rng.integers(1, hw.N_MAX + 1, 20)):
        N = int(N)
        for mode in StealMode:
            x = np.where(rng.random(N) < rng.random(), rng.integers(-500, 501, N), 0)
            enc = encode_activations(x.astype(np.int16), hw, N, mode)
            for wide in (False, True):
                cycles = encoder_write_cycles(x.astype(np.int16), hw, N, mode, wide)
                # word mode: one cycle per mask word, feed + pad = V*K (docs/gru-datapath.md 3)
                assert len(cycles) == encoder_feed_cycles(hw, N, wide) + encoder_pad(hw, N)
                assert len(cycles) == (N if not wide else hw.V * words_per_row(hw, N)) + \
                    (encoder_pad(hw, N) if not wide else 0)
                if wide:
                    assert all(sum(w[0] == "amask" for w in c) == len(c_cols(c)) for c in cycles)
                rf = {pe: {"amask": np.zeros(hw.AMASK_DEPTH, np.int64),
                           "aval": np.zeros(hw.AVAL_DEPTH, np.int64)} for pe in hw.pes()}
                apply_encoder_writes(rf, cycles, hw)
                for pe in hw.pes():
                    assert np.array_equal(rf[pe]["amask"], enc.amask[pe]), (N, mode, wide, pe)
                    assert np.array_equal(rf[pe]["aval"], enc.aval[pe]), (N, mode, wide, pe)


@pytest.mark.parametrize("hw", HWS, ids=IDS)
def test_reset_item_resets_mid_stream_beside_an_output_phase(hw):
    """GruErrorTest's reset item: every configuration register off its reset value, the reset in
    step 1's encoder stream of a dense x_1 (a write every cycle), inside product 0's output phase
    (OVERLAP: it runs in the first ceil(M/H) - 2 cycles of step 1); one more write than the
    contract allows (a write register that ignores rst_ni) is a reported mismatch."""
    from golden import gru_seq
    from golden.config import FEAT_OVERLAP, LayerConfig, ceil_div
    from golden.encode import encode_matvec
    from golden.encode import encoder_write_cycles
    from tb.gru.checks import act_rf_image, apply_encoder_writes, compare_act_rf_words, gru_run
    items = sequence_items(gru_sequences.GruErrorSequence, hw, 1)
    [it] = [i for i in items if i.get_name() == "err_reset_mid_x"]
    assert hw.feat_available & FEAT_OVERLAP
    assert it.reset_step == 1 and it.feat & FEAT_OVERLAP and "act_rf" in it.tags
    regs = it.phase_regs(it.directions[0], PHASE_X)
    assert all(regs[n] != 0 for n in ("CFG_M", "CFG_N", "CFG_MODE", "CFG_REP_ROWS", "CFG_FEAT",
                                      "CFG_GRU_I", "CFG_GRU_HD", "CFG_GRU_T", "CFG_GRU_THR",
                                      "CFG_GRU_DIR")) and regs["CFG_SHIFT"] != 6
    assert (it.x_seq[1] != 0).all()
    d = it.directions[0]
    p = it.params[d]
    sched = gru_seq.expect_x_phase(hw, gru_run(it, d), p.W_ih, p.b_ih, it.x_seq)
    written = max(1, it.I // 2)                   # what the driver aims at (reset_mid_phase)
    assert 0 < written < it.I
    assert sched.steps[1].overlap is not None
    # product 0's last compute cycle L: SqProd ends at L + 1, SqStep L + 2, step 1 starts at
    # L + 3 and the reset comes in its cycle 2 + written; the output phase runs L + 1 .. L + O
    assert 3 + 2 + written <= ceil_div(it.M, hw.H), "the reset is not beside product 0's output"
    image = encode_matvec(p.W_ih, it.junk_x[: it.I], p.b_ih, hw,
                          LayerConfig(it.M, it.I, it.mode, it.rep_rows, it.shift))
    want = act_rf_image(image, hw)
    apply_encoder_writes(want, encoder_write_cycles(it.x_seq[0], hw, it.I, it.mode), hw)
    w1 = encoder_write_cycles(it.x_seq[1], hw, it.I, it.mode)
    got = act_rf_image(image, hw)
    apply_encoder_writes(got, encoder_write_cycles(it.x_seq[0], hw, it.I, it.mode), hw)
    apply_encoder_writes(want, w1[:written], hw)
    apply_encoder_writes(got, w1[:written], hw)
    assert compare_act_rf_words(got, want, "after reset", "") == []
    apply_encoder_writes(got, w1[written: written + 1], hw)
    errs = compare_act_rf_words(got, want, "after reset", "")
    assert errs and errs[0].startswith("after reset: PE ")


@pytest.mark.parametrize("hw", HWS, ids=IDS)
def test_reset_h_item_resets_inside_step0_cell_pass(hw):
    """GruErrorTest's H-phase reset item (last, so the draws before it are unchanged): forward,
    every configuration register but CFG_GRU_DIR off its reset value, the reset aimed after w
    outputs of step 0's cell pass with two more in the cell's stages (1 <= w <= Hd - 2). The
    pass start the driver derives from STEP_CYCLES (end of step minus SqCellWait and SqCell)
    equals the one the state sequence gives (SqEncStart, SqEncFeed, SqEncWait, SqProd), and
    the value in stage 2 differs from h_t[0], itself different from h_0[0]: a stage-3 register
    that ignores rst_ni (it writes that value over HBUF[0] / HOUT[0][0][0]) is seen."""
    from golden import gru_seq
    from tb.gru.checks import gru_run
    items = sequence_items(gru_sequences.GruErrorSequence, hw, 1)
    it = next(i for i in items if i.get_name() == "err_reset_mid_h_pass")
    assert it.reset_phase == PHASE_H and it.reset_step == 0 and it.directions == (DIR_FWD,)
    assert sum(i.reset_step is not None for i in items) == 3     # X, H and X with PREFETCH
    regs = it.phase_regs(DIR_FWD, PHASE_H)
    assert all(regs[n] != 0 for n in ("CFG_M", "CFG_N", "CFG_MODE", "CFG_REP_ROWS", "CFG_FEAT",
                                      "CFG_GRU_I", "CFG_GRU_HD", "CFG_GRU_T", "CFG_GRU_THR"))
    assert regs["CFG_SHIFT"] != 6
    w, Hd = it.reset_written, it.Hd
    assert 1 <= w <= Hd - 2
    p = it.params[DIR_FWD]
    run = gru_run(it, DIR_FWD)
    ex = gru_seq.expect_x_phase(hw, run, p.W_ih, p.b_ih, it.x_seq)
    eh = gru_seq.expect_h_phase(hw, run, p.W_hh, p.b_hh, np.asarray(ex.gx, dtype=np.int16),
                                it.h0[DIR_FWD])
    pad = gru_seq.encoder_pad(hw, Hd)
    c0 = eh.steps[0].step_cycles - (4 + pad) - Hd              # what the driver computes
    # cycle 0 the CTRL write, then SqEncStart (1), SqEncFeed (Hd), SqEncWait (1 + pad), SqProd
    assert c0 == 1 + 1 + Hd + (1 + pad) + eh.steps[0].product.cycles
    h_t = eh.h[0]
    assert h_t[w + 1] != h_t[0] != it.h0[DIR_FWD][0]


def test_a_plain_product_between_phases_must_leave_the_gru_state_alone():
    hw = BRINGUP_4X2
    items = sequence_items(gru_sequences.GruCornerSequence, hw, 2)
    [item] = [i for i in items if i.interlude is not None]
    results, _ = golden_run([item], hw)
    assert [r.phase for r in results] == ["X", "M", "H", "X", "H"]
    assert all(compare_phase(r, r.expected, hw) == [] for r in results)
    inter = results[1]
    inter.dump.gx[geometry(hw).gx_addr(1, 0)] += 1
    inter.dump.y[0] += 1
    errs = compare_phase(inter, inter.expected, hw)
    assert any(e.startswith("plain product between GRU phases: 1 y rows differ, first row 0")
               for e in errs), errs
    assert any(e.startswith("plain product between GRU phases changed GX: 1 words") for e in errs)


def test_a_hung_phase_is_reported():
    from tb.gru.items import GruPhaseResult
    item = _bi_layer()
    res = GruPhaseResult(item, 0, DIR_FWD, PHASE_X, 0, False, done=False, timed_out=True,
                         wait_cycles=1234)
    [msg] = compare_phase(res, None, BRINGUP_4X2)
    assert "done_o did not rise within 1234 cycles" in msg


# -- coverage bin functions ----------------------------------------------------------------------------

def test_coverage_bins():
    assert [act_bin(n, 10) for n in (0, 3, 5, 8, 10)] == \
        ["act_zero", "act_sparse", "act_mid", "act_dense", "act_full"]
    masks = np.array([[1, 0], [0, 1], [0, 1], [1, 1], [1, 1]], dtype=bool)
    assert pair_events(np.array([2, 3, 0, 0, 4]), masks) == [
        {"steal_both_mask_changed", "steal_count_changed"}, {"steal_stops"}, set(),
        {"steal_starts"}]
    assert pair_events(np.array([2, 2]), np.array([[1, 0], [1, 0]], dtype=bool)) == [set()]
    assert region(np.array([-2048, -1, 0, 2047]), 2048) == {"sat_neg", "lin_neg", "lin_pos"}
    assert region(np.array([1024]), 1024) == {"sat_pos"}
    assert h_states(np.zeros(3), np.array([0, 5, 0])) == ["h_all_zero", "thr_cut"]
    assert h_states(np.array([1, 0]), np.array([1, 0])) == ["h_mixed"]
    assert h_states(np.array([1, -1]), np.array([1, -1])) == ["h_all_nonzero"]
    assert h_states(np.array([0, -7]), np.array([3, -7]), 7) == ["h_mixed", "thr_cut", "h_eq_thr"]
    assert [t_bin(t, 32) for t in (1, 8, 9, 31, 32)] == ["t1", "t2_8", "t9_max_1", "t9_max_1",
                                                         "t_max"]
    assert [thr_bin(v) for v in (0, 63, 64, 1024, 32767)] == \
        ["thr0", "thr_small", "thr_mid", "thr_large", "thr_max"]


@pytest.mark.parametrize("hw", HWS, ids=IDS)
def test_overlap_sequence_closes_the_overlap_group(hw):
    """GruOverlapSequence and GruPrefetchSequence reach every gru_overlap bin on the golden
    stand-in, whose STEP words come from golden.gru_seq.x_phase_overlap / x_phase_prefetch (so a
    seed that passes on the DUT closes it too)."""
    from tb.gru.coverage import GruCoverageSampler
    sampler = GruCoverageSampler(hw, root=f"unit_ovl_{hw.name}")
    items = sequence_items(gru_sequences.GruOverlapSequence, hw, 1) + \
        sequence_items(gru_sequences.GruPrefetchSequence, hw, 1) + \
        [it for it in sequence_items(gru_sequences.GruErrorSequence, hw, 1)
         if it.err is not None and it.err.wptr and it.feat]
    assert _golden_coverage(sampler, items, hw)[f"unit_ovl_{hw.name}.gru_overlap"] == 100.0


def _golden_coverage(sampler, items: list, hw) -> dict:
    """Run ``items`` on the golden stand-in (every phase must match golden.gru_seq), sample
    every phase as passed, and return the covergroups' percentages."""
    results, _ = golden_run(items, hw)
    for res in results:
        assert compare_phase(res, res.expected, hw) == [], res.item
        res.passed = True
        sampler.sample(res)
    return sampler.model.percentages()


def test_overlap_events_from_a_schedule():
    from golden.gru_seq import OverlapStep
    from tb.gru.coverage import overlap_events
    st = lambda *a: type("S", (), {"overlap": OverlapStep(*a)})  # noqa: E731
    assert overlap_events([st(8, 0)]) == {"t1"}
    assert overlap_events([st(23, 0), st(21, 9), st(36, 9)]) == {"beside_drain"}
    assert overlap_events([st(30, 0), st(30, 0)]) == {"drain_before_start"}
    # PREFETCH (golden.gru_seq.x_phase_prefetch): ready early, ready in SqStep, waited
    assert overlap_events([st(23, 0), st(17, 13, False, 0, True), st(40, 5, False, 8, False),
                           st(32, 13, False, 0, False)]) == \
        {"beside_drain", "prefetch_ready_early", "prefetch_waited", "prefetch_ready_in_step"}


def test_coverage_samples_only_passed_phases():
    from tb.gru.coverage import GruCoverageSampler
    hw = BRINGUP_4X2
    sampler = GruCoverageSampler(hw, root="unit_gru")
    results, _ = golden_run([_bi_layer(mode=H_, rep_rows=3)], hw)
    for res in results:
        res.passed = False
        sampler.sample(res)
    assert all(v == 0 for v in sampler.model.percentages().values())
    for res in results:
        res.passed = True
        sampler.sample(res)
    pct = sampler.model.percentages()
    assert pct["unit_gru.gru_act"] > 0 and pct["unit_gru.gru_sat"] > 0 and pct["unit_gru.gru_cfg"] > 0


# -- regression list ------------------------------------------------------------------------------------

def test_regression_entries_name_their_module():
    from tb.gru.tests import GRU_TESTS
    from tb.regression import Q1_BUILD, REGRESSION, TEST_MODULE, V1_BUILD
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    import nightly
    import regress
    for test in GRU_TESTS:
        entries = [e for e in REGRESSION if e.test == test]
        assert entries and all(e.module == "tb.gru.tests" for e in entries)
        # both regression arrays, and for some tests the 4x2 builds without the v2 hardware
        # or with a one-entry queue
        assert {"4x2", "8x8"} <= {c for e in entries for c in e.configs} <= \
            {"4x2", "8x8", V1_BUILD, Q1_BUILD}
    assert all(e.module == TEST_MODULE for e in REGRESSION if not e.test.startswith("Gru"))
    _, jobs = regress.plan_jobs(Path("/tmp/x"), ["GruSmokeTest", "SmokeTest"], ["4x2"], None)
    assert {(j.test, j.module) for j in jobs} == {("GruSmokeTest", "tb.gru.tests"),
                                                 ("SmokeTest", "tb.matvec.tests")}
    flow = nightly.Flow.load("tb.regression")
    planned = nightly.plan_jobs(flow, Path("/tmp/x"), 2, 1, ["GruRandomTest", "RandomTest"],
                                None, 1.0)
    assert {(j["test"], j["test_module"]) for j in planned} == {("GruRandomTest", "tb.gru.tests"),
                                                               ("RandomTest", "tb.matvec.tests")}
    assert {j["seed"] for j in planned if j["test"] == "GruRandomTest"} == {1, 2}


# -- the simulation ---------------------------------------------------------------------------------------

@pytest.mark.xdist_group("tb_sim_4x2")
def test_gru_smoke_on_dut(tmp_path):
    from tb.common import simrun
    from tb.common.configs import TOPLEVEL, build_top
    runner, build_dir = build_top("4x2")
    test_dir = tmp_path / "GruSmokeTest_4x2_1"
    xml = simrun.run(runner, build_dir, TOPLEVEL, "tb.gru.tests", seed=1, test_dir=test_dir,
                     testcase="GruSmokeTest", plusargs=[f"+masr_bd_dir={test_dir}/bd"],
                     extra_env={"MASR_CONFIG": "4x2"}, timeout=300,
                     log_file=test_dir / "sim.log")
    summary = test_dir / "summary.json"
    detail = json.loads(summary.read_text())["errors"][:5] if summary.exists() else "no summary"
    assert simrun.results_passed(Path(xml)), f"GruSmokeTest failed, see {test_dir}/sim.log: {detail}"
    data = json.loads(summary.read_text())
    assert data["passed"] and data["n_layers"] == 3 and data["n_phases"] == 8
    assert (test_dir / "coverage.xml").exists()


@pytest.mark.parametrize("hw", HWS, ids=IDS)
def test_wide_sequence_closes_the_enc_group(hw):
    """GruWideEncSequence reaches every gru_enc bin on the golden stand-in (the bins are functions
    of the layers and of the X-phase schedule the scoreboard checks), and its layers' STEP words
    follow golden.gru_seq with the word-mode encoder."""
    from tb.gru.coverage import GruCoverageSampler
    sampler = GruCoverageSampler(hw, root=f"unit_enc_{hw.name}")
    items = sequence_items(gru_sequences.GruWideEncSequence, hw, 1)
    assert _golden_coverage(sampler, items, hw)[f"unit_enc_{hw.name}.gru_enc"] == 100.0


def test_wide_encoder_events_by_hand():
    """4x2 (V = 2, B = 16): I = 38 gives P = 19, words of 16 and 3 columns in both partitions
    (a short last word, no pad); I = 3 gives P = 2, one word per partition and no pad; I = 1
    leaves partition 1 empty (pad)."""
    from golden.config import FEAT_OVERLAP, FEAT_PREFETCH, FEAT_WIDE_ENC
    from tb.gru.coverage import wide_encoder_events
    hw = BRINGUP_4X2
    x = np.ones((2, 38), dtype=np.int64)
    assert wide_encoder_events(hw, 38, x, FEAT_WIDE_ENC) == \
        {"word_serial", "short_last_word", "full_dense_word"}
    x[1, 16:19] = 0
    assert wide_encoder_events(hw, 38, x, FEAT_WIDE_ENC | FEAT_OVERLAP) == \
        {"word_overlap", "short_last_word", "full_dense_word", "empty_word"}
    assert wide_encoder_events(hw, 1, np.ones((1, 1)), FEAT_WIDE_ENC | FEAT_OVERLAP |
                               FEAT_PREFETCH) == {"word_prefetch", "short_last_word",
                                                  "pad_words"}


@pytest.mark.parametrize("hw", HWS, ids=IDS)
def test_split_sequence_closes_the_split_group(hw):
    """GruSplitSequence's layers are legal with SPLIT (the split image fits), run on the golden
    stand-in (STEP words from golden.perf_v2 with the uniform plan of rep_rows) and reach every
    gru_split bin: split-range steals in X and H phases of both modes, beside each X-phase
    schedule."""
    from golden.config import FEAT_SPLIT
    from tb.gru.coverage import GruCoverageSampler
    items = sequence_items(gru_sequences.GruSplitSequence, hw, 1)
    assert items and all(it.feat & FEAT_SPLIT for it in items)
    sampler = GruCoverageSampler(hw, root=f"unit_split_{hw.name}")
    assert _golden_coverage(sampler, items, hw)[f"unit_split_{hw.name}.gru_split"] == 100.0


def test_split_phase_events_by_hand():
    from golden.config import FEAT_OVERLAP, FEAT_PREFETCH, FEAT_SPLIT, FEAT_WIDE_ENC
    from tb.gru.coverage import split_phase_events
    assert split_phase_events(PHASE_H, FEAT_SPLIT | FEAT_OVERLAP, np.array([0, 2, 0])) == \
        {"h_steal"}
    assert split_phase_events(PHASE_H, FEAT_SPLIT, np.zeros(3)) == set()
    assert split_phase_events(PHASE_X, FEAT_SPLIT | FEAT_OVERLAP | FEAT_PREFETCH,
                              np.zeros(2)) == {"x_overlap", "x_prefetch"}
    assert split_phase_events(PHASE_X, FEAT_SPLIT | FEAT_WIDE_ENC, np.array([1])) == \
        {"x_steal", "x_wide"}


@pytest.mark.parametrize("hw", HWS, ids=IDS)
def test_run_ahead_sequence_closes_the_ahead_group(hw):
    """GruRunAheadSequence's layers run on the golden stand-in (STEP words from
    golden.gru_seq.x_phase_run_ahead) and, with GruErrorSequence's abort from a lane that ran
    ahead, reach every gru_ahead bin: lanes apart, both entry gates, back-to-back ends, the
    encoder waiting for a free set, T = 1, steals through shared and split ranges, WIDE_ENC, an
    H phase with the bit, in every steal mode."""
    from golden.config import FEAT_RUN_AHEAD
    from tb.gru.coverage import GruCoverageSampler
    items = sequence_items(gru_sequences.GruRunAheadSequence, hw, 1)
    assert items and all(it.feat & FEAT_RUN_AHEAD for it in items)
    errors = [it for it in sequence_items(gru_sequences.GruErrorSequence, hw, 1)
              if it.err is not None and it.err.wptr_ahead]
    assert len(errors) == 1
    sampler = GruCoverageSampler(hw, root=f"unit_ahead_{hw.name}")
    _golden_coverage(sampler, items, hw)
    res = type("R", (), {"passed": True, "done": True, "dump": object(), "item": errors[0]})
    sampler.sample(res)
    assert sampler.model.percentages()[f"unit_ahead_{hw.name}.gru_ahead"] == 100.0


def test_ahead_events_by_hand():
    from golden.config import FEAT_SPLIT, FEAT_WIDE_ENC
    from golden.gru_seq import RunAheadPhase
    from tb.gru.coverage import ahead_events

    def phase(first, ready, ce, de, start):
        return RunAheadPhase(products=[], step_cycles=[], encoder_start=start,
                             entry_ready=ready, first_entry=first, compute_end=ce,
                             drain_end=de)
    assert ahead_events(phase([0], [0], [9], [12], [-5]), 0, np.zeros(1)) == {"t1"}
    # product 1 entered at 6 < ce[0] = 9, as soon as x_1 was ready (bank of -1: free);
    # product 2 waited for product 0's drain (de 12 > ready 8); ends 9, 10: back to back
    p = phase([0, 6, 12], [0, 6, 8], [9, 10, 20], [12, 15, 23], [-5, -1, 3])
    assert ahead_events(p, 0, np.zeros(3)) == \
        {"lanes_apart", "gate_encoder", "gate_bank", "ends_back_to_back"}
    # the encoder started x_2 at ce[0] = 12, after x_1's done cycle 5: it waited for set 0
    p = phase([0, 12, 14], [0, 6, 14], [12, 14, 20], [14, 17, 23], [-5, -1, 12])
    assert ahead_events(p, FEAT_SPLIT | FEAT_WIDE_ENC, np.array([0, 2, 0])) == \
        {"encoder_waits_set", "split_steal", "wide"}
