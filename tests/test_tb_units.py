"""Unit tests of the testbench's pure-Python parts (no simulator).

Stimulus constraints, coverage bin functions, the scoreboard comparison on synthetic results, and
that every sequence produces legal, encodable items on both regression configurations.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from golden.config import BRINGUP_4X2, REGRESSION_8X8, LayerConfig, StealMode, partition_width
from golden.encode import encode_matvec
from golden.perf import PerfFlag, simulate_matvec
from tb.matvec import sequences, stimulus as st
from tb.matvec.checks import compare_result, expected_for
from tb.matvec.bins import (A_DENS, STEAL_CLASSES, W_DENS, a_density_bin, axis_position, class_cells,
                             lane_events, lane_position, w_density_bin)
from tb.matvec.coverage import (CoverageSampler, build_model, encoding_corners, ignored_event_axis_bins,
                                product_facts, reachable_axis_combos, reachable_positions)
from tb.matvec.dryrun import golden_result, sequence_items
from tb.regression import REGRESSION, TEST_MODULE, RegressionEntry
from tb.matvec.items import (ERR_DIM, ERR_MODE, ERR_NAMES, ERR_SLOTS, ERR_WPTR, LOAD_NONE, Check,
                          MatvecItem)
from tb.matvec.tests import TESTS

HWS = [BRINGUP_4X2, REGRESSION_8X8]
IDS = ["4x2", "8x8"]
V_, H_, N_ = StealMode.VERTICAL, StealMode.HORIZONTAL, StealMode.NONE


# -- stimulus constraints ------------------------------------------------------------------------

@pytest.mark.parametrize("hw", HWS, ids=IDS)
def test_random_layers_are_legal(hw):
    rng = np.random.default_rng(11)
    for i in range(40):
        dims = ["random", "odd", "aligned", "max", "tiny"][i % 5]
        s = st.random_layer(rng, hw, dims=dims)
        assert 1 <= s.M <= hw.M_MAX and 1 <= s.N <= hw.N_MAX
        assert s.W.shape == (s.M, s.N) and s.W.dtype == np.int8
        assert s.x.shape == (s.N,) and s.x.dtype == np.int16
        assert s.bias.shape == (s.M,) and s.bias.dtype == np.int16
        assert st.fits(s.W, hw, s.layer), s.layer
        encode_matvec(s.W, s.x, s.bias, hw, s.layer)          # the encoder accepts it


@pytest.mark.parametrize("hw", HWS, ids=IDS)
def test_odd_dims_are_not_multiples(hw):
    rng = np.random.default_rng(3)
    for _ in range(30):
        M, N = st.pick_dims(rng, hw, "odd")
        assert M % hw.H and N % hw.V and partition_width(hw, N) % hw.B


@pytest.mark.parametrize("hw", HWS, ids=IDS)
def test_tiny_and_aligned_dims(hw):
    rng = np.random.default_rng(4)
    for _ in range(20):
        M, N = st.pick_dims(rng, hw, "tiny")
        assert M <= hw.H and N <= hw.V
        M, N = st.pick_dims(rng, hw, "aligned")
        assert M % hw.H == 0 and N <= hw.N_MAX


def test_skewed_rows_have_heavy_rows():
    rng = np.random.default_rng(5)
    hw = REGRESSION_8X8
    s = st.random_layer(rng, hw, mode=N_, dims="max", w_density=0.1, a_density=0.5, skew=0.1)
    nnz = (s.W != 0).sum(axis=1)
    heavy = nnz >= 1.5 * nnz.mean()
    assert heavy.sum() >= 0.05 * s.M, (heavy.sum(), nnz.mean())


@pytest.mark.parametrize("hw", HWS, ids=IDS)
def test_max_rep_rows_is_the_slot_limit(hw):
    for mode in (V_, H_):
        for M in (1, hw.H, hw.M_MAX // 2 + 3, hw.M_MAX):
            q = st.max_rep_rows(hw, M, mode)
            LayerConfig(M, 1, mode, q).check_fits(hw)
            if q < -(-M // hw.H):
                with pytest.raises(ValueError):
                    LayerConfig(M, 1, mode, q + 1).check_fits(hw)
    assert st.max_rep_rows(hw, hw.M_MAX, N_) == 0


@pytest.mark.parametrize("hw", HWS, ids=IDS)
def test_steal_patterns_are_legal_and_unbalanced(hw):
    rng = np.random.default_rng(6)
    for mode in (V_, H_):
        for pat in ("victim_center", "victim_near_edge", "victim_edge", "gradient", "alternating",
                    "random", "duel"):
            s = st.steal_layer(rng, hw, mode, pat)
            assert st.fits(s.W, hw, s.layer) and s.layer.mode == mode


@pytest.mark.parametrize("hw", HWS, ids=IDS)
def test_balanced_layer_never_steals(hw):
    rng = np.random.default_rng(7)
    for mode in (V_, H_):
        s = st.balanced_layer(rng, hw, mode)
        assert s.layer.rep_rows > 0
        perf = simulate_matvec(s.W != 0, s.x != 0, hw, s.layer)
        assert perf.steals_granted == 0 and perf.steals_refused == 0


def test_zero_tail_can_produce_zero_work_steal():
    rng = np.random.default_rng(8)
    hw = REGRESSION_8X8
    hits = 0
    for _ in range(6):
        s = st.steal_layer(rng, hw, H_, "victim_center", zero_tail=True)
        perf = simulate_matvec(s.W != 0, s.x != 0, hw, s.layer)
        hits += bool((perf.lanes.flags & int(PerfFlag.ZERO_WORK_STEAL)).any())
    assert hits >= 1


@pytest.mark.parametrize("hw", HWS, ids=IDS)
def test_corner_layers(hw):
    rng = np.random.default_rng(9)
    layers = {s.name: s for s in st.corner_layers(rng, hw)}
    for s in layers.values():
        assert st.fits(s.W, hw, s.layer), s.name
    full = layers["full_weight_sram"]
    assert max(st.lane_weight_counts(full.W, hw, full.layer).values()) == hw.WDEPTH
    assert not layers["zero_activations"].x.any()
    assert (layers["single_nonzero"].W != 0).sum() == 1


def test_rr_contention_layer_reaches_next_side_win():
    rng = np.random.default_rng(10)
    s = st.rr_contention_layer(rng, BRINGUP_4X2, H_)
    assert "arb:next_side_win" in s.tags
    assert st.dual_thief_winners(BRINGUP_4X2, s)["next_side"] >= 1


def test_time_steps_share_weights_and_change_activations():
    rng = np.random.default_rng(12)
    steps = st.time_steps(rng, REGRESSION_8X8, V_, 3)
    assert all(s.W is steps[0].W for s in steps)
    assert not np.array_equal(steps[0].x != 0, steps[1].x != 0)


# -- coverage bin functions ---------------------------------------------------------------------

def test_lane_events_from_flags_and_counts():
    stats = {"FLAGS": int(PerfFlag.DUAL_THIEF | PerfFlag.STOLE_NEXT), "ROWS_LOST": 2, "REFUSED": 0}
    assert lane_events(stats) == ["stole_next", "lost_row", "dual_thief"]
    assert lane_events({"FLAGS": 0, "ROWS_LOST": 0, "REFUSED": 3}) == ["refused"]
    assert lane_events({"FLAGS": int(PerfFlag.ZERO_WORK_STEAL | PerfFlag.REFUSED_CONTENTION)}) == \
        ["refused_contention", "zero_work_steal"]


def test_positions():
    hw = REGRESSION_8X8
    assert lane_position(hw, 0, 0) == "corner" and lane_position(hw, 7, 7) == "corner"
    assert lane_position(hw, 0, 3) == "edge" and lane_position(hw, 4, 0) == "edge"
    assert lane_position(hw, 3, 4) == "interior"
    assert axis_position(hw, V_, 3, 0) == "first" and axis_position(hw, V_, 3, 7) == "last"
    assert axis_position(hw, H_, 0, 4) == "first" and axis_position(hw, H_, 4, 4) == "middle"
    assert reachable_positions(BRINGUP_4X2) == ["corner", "edge"]
    assert reachable_positions(hw) == ["corner", "edge", "interior"]


def test_density_bins():
    assert w_density_bin(0.1) == "w_sparse" and w_density_bin(0.3) == "w_mid"
    assert w_density_bin(0.9) == "w_dense"
    assert a_density_bin(0.2) == "a_sparse" and a_density_bin(0.5) == "a_mid"
    assert a_density_bin(1.0) == "a_dense"


def test_ignored_bins_are_structural():
    ign4 = ignored_event_axis_bins(BRINGUP_4X2)
    assert (None, "middle", "vertical") in ign4                  # V = 2: no middle lane
    assert ("dual_thief", None, "vertical") in ign4
    assert ("dual_thief", None, "horizontal") not in ign4        # H = 4 has middle lanes
    combos = reachable_axis_combos(REGRESSION_8X8)
    assert ("dual_thief", "middle", "vertical") in combos
    assert ("stole_prev", "first", "horizontal") not in combos
    assert ("victim_then_thief", "last", "vertical") not in combos


def test_encoding_corners():
    hw = BRINGUP_4X2                                             # P = ceil(N/2), B = 16
    N, M = 64, 8
    W = np.zeros((M, N), dtype=np.int8)
    W[0, :16] = 1                                                # an all-one word
    W[1, 15] = 1
    x = np.zeros(N, dtype=np.int16)
    x[:16] = 5
    c = encoding_corners(W, x, hw, LayerConfig(M, N), y=np.array([32767, -32768] + [0] * 6))
    for name in ("w_word_all_one", "w_word_all_zero", "a_word_all_one", "a_word_all_zero",
                 "empty_row", "empty_partition_weights", "empty_partition_acts", "eff_bit_first",
                 "eff_bit_last", "y_sat_pos", "y_sat_neg"):
        assert name in c, name
    assert "m_not_mult_h" not in c and "zero_act_vector" not in c
    c = encoding_corners(np.ones((3, 1), dtype=np.int8), np.zeros(1, dtype=np.int16), hw,
                         LayerConfig(3, 1))
    for name in ("zero_act_vector", "empty_partition_cols", "m_lt_h", "m_not_mult_h",
                 "n_not_mult_v", "p_not_mult_b", "zero_work_row"):
        assert name in c, name


# -- scoreboard comparison on synthetic results -------------------------------------------------

def _item(hw, mode=H_, seed=1) -> MatvecItem:
    rng = np.random.default_rng(seed)
    return MatvecItem.from_stimulus(st.steal_layer(rng, hw, mode, "victim_center"))


def test_golden_result_passes():
    hw = BRINGUP_4X2
    item = _item(hw)
    assert compare_result(golden_result(item, hw), hw) == []


def test_y_mismatch_names_row_and_lane():
    hw = BRINGUP_4X2
    item = _item(hw)
    res = golden_result(item, hw)
    res.y = res.y.copy()
    res.y[5] += 1
    errs = compare_result(res, hw)
    assert len(errs) == 1
    assert "y row 5" in errs[0] and "lane-row h=1" in errs[0] and "lanes (1,0..1)" in errs[0]
    assert f"expected {res.y[5] - 1} got {res.y[5]}" in errs[0]


def test_counter_and_lane_stat_mismatch_messages():
    hw = BRINGUP_4X2
    item = _item(hw)
    res = golden_result(item, hw)
    res.counters["PERF_STEAL_REFUSED"] += 1
    res.lane_stats[(2, 1)]["ROWS_STOLEN"] += 1
    res.lane_stats[(0, 0)]["FLAGS"] ^= int(PerfFlag.DUAL_THIEF)
    errs = "\n".join(compare_result(res, hw))
    assert "counter PERF_STEAL_REFUSED expected" in errs
    assert "lane (2,1) ROWS_STOLEN expected" in errs
    assert "lane (0,0) FLAGS expected" in errs and "DUAL_THIEF" in errs


def test_error_status_and_hang_checks():
    hw = BRINGUP_4X2
    item = _item(hw)
    res = golden_result(item, hw)
    res.err_code = 6
    res.status |= 0b101
    res.irq_pulses = 0
    errs = "\n".join(compare_result(res, hw))
    assert "ERR_CODE expected 0 (OK) got 6 (ERR_MEM_RANGE)" in errs
    assert "STATUS expected" in errs and "irq_o expected 1 pulse" in errs
    res = golden_result(item, hw)
    res.done, res.timed_out, res.wait_cycles = False, True, 1234
    assert "did not rise within 1234 cycles" in compare_result(res, hw)[0]


def test_rejected_product_must_leave_y_and_memories_alone():
    hw = BRINGUP_4X2
    base = _item(hw)
    item = base.clone_same_data("err", load=LOAD_NONE, reg_overrides={"CFG_M": 0},
                                expect_err=ERR_DIM)
    assert expected_for(item, hw).y is None
    res = golden_result(item, hw)
    res.y = np.array([1, 2, 3])
    res.y_before = {0: 1, 1: 2, 2: 4}
    res.readback = [(2, 0, 0, 0x11, 0x11), (0, 3, 1, 0x5, 0x7)]
    res.checks = [Check("memory read while busy returns 0", 0, 9)]
    errs = "\n".join(compare_result(res, hw))
    assert "y row 2 changed by a rejected product: was 4 now 3" in errs
    assert "mem mask unit 3 addr 1 expected 0x5 got 0x7" in errs
    assert "memory read while busy returns 0: expected 0x0 got 0x9" in errs
    assert "y row 0" not in errs


# -- coverage sampler on golden results ----------------------------------------------------------

def test_coverage_sampler_hits_expected_bins():
    hw = REGRESSION_8X8
    model = build_model(hw, "ut8")
    sampler = CoverageSampler(hw, "ut8")
    rng = np.random.default_rng(2)
    bal = MatvecItem.from_stimulus(st.balanced_layer(rng, hw, V_))
    sampler.sample(golden_result(bal, hw), passed=True)
    from cocotb_coverage.coverage import coverage_db
    assert coverage_db["ut8.outcome.kind"].detailed_coverage["balanced_no_steal"] == 1
    for _ in range(20):
        item = MatvecItem.from_stimulus(st.steal_layer(rng, hw, H_, "victim_center", rep_rows=3))
        if golden_result(item, hw).counters["PERF_STEAL_GRANTED"] > 0:
            break
    assert golden_result(item, hw).counters["PERF_STEAL_GRANTED"] > 0
    sampler.sample(golden_result(item, hw), passed=False)           # failing: not counted
    assert coverage_db["ut8.steal.event"].coverage == 0
    sampler.sample(golden_result(item, hw), passed=True)
    assert coverage_db["ut8.steal.event"].detailed_coverage["lost_row"] >= 1
    assert 0 < model.percentages()["ut8"] < 100


# -- sequences and regression list ---------------------------------------------------------------

SEQS = [sequences.SmokeSequence, sequences.RandomSequence, sequences.CornerSequence,
        sequences.StealNoneSequence, sequences.StealVerticalSequence,
        sequences.StealHorizontalSequence, sequences.ErrorSequence, sequences.FrontdoorSequence,
        sequences.BackToBackSequence]


@pytest.mark.parametrize("hw", HWS, ids=IDS)
@pytest.mark.parametrize("seed", [1, 2, 5])
def test_corner_sequence_closes_every_reachable_steal_axis_bin(hw, seed):
    """One CornerTest seed must reach every (event, axis position, mode) bin the configuration
    allows (golden model as the oracle): a 20-seed nightly once left an 8x8 bin open because the
    closure hunt gave up after 40 draws (seeds 1, 2 and 5 of this test failed with that setting),
    and the class x density cross took 2 to 7 seeds."""
    covered: set = set()
    cells: set = set()
    for it in sequence_items(sequences.CornerSequence, hw, seed):
        combos = st.steal_combos(hw, st.Stimulus(it.get_name(), it.W, it.x, it.bias, it.layer))
        covered |= combos
        cells |= class_cells(it.W, it.x, combos)
    assert reachable_axis_combos(hw) - covered == set()
    # and the steal class x weight density x activation density cross of steal_x
    assert set(itertools.product(STEAL_CLASSES, W_DENS, A_DENS)) - cells == set()


@pytest.mark.parametrize("hw", HWS, ids=IDS)
@pytest.mark.parametrize("seq", SEQS, ids=lambda c: c.__name__)
def test_sequences_make_legal_items(hw, seq):
    items = sequence_items(seq, hw, 21)
    assert items
    loaded = None
    for it in items:
        if it.load != LOAD_NONE:
            loaded = it
            encode_matvec(it.W, it.x, it.bias, hw, it.layer)
        else:
            assert loaded is not None and it.W is loaded.W and it.layer == loaded.layer
        if it.expect_err not in (ERR_DIM, ERR_MODE, ERR_SLOTS, ERR_WPTR):
            assert compare_result(golden_result(it, hw), hw) == []


@pytest.mark.parametrize("hw", HWS, ids=IDS)
def test_error_sequence_covers_every_code(hw):
    items = sequence_items(sequences.ErrorSequence, hw, 3)
    assert {it.expect_err for it in items} == set(ERR_NAMES)
    for it in items:
        for reg, val in it.reg_overrides.items():
            L = LayerConfig(it.layer.M, it.layer.N, it.layer.mode, it.layer.rep_rows)
            if it.expect_err == ERR_SLOTS:
                mode = StealMode(it.reg_overrides["CFG_MODE"])
                with pytest.raises(ValueError):
                    LayerConfig(L.M, L.N, mode, it.reg_overrides["CFG_REP_ROWS"]).check_fits(hw)


def test_sequences_reproduce_from_seed():
    a = sequence_items(sequences.RandomSequence, BRINGUP_4X2, 5)
    b = sequence_items(sequences.RandomSequence, BRINGUP_4X2, 5)
    assert all(np.array_equal(x.W, y.W) and x.layer == y.layer for x, y in zip(a, b))


def test_regression_list():
    assert TEST_MODULE == "tb.matvec.tests"
    for test in TESTS:
        for cfg in ("4x2", "8x8"):
            assert any(e.test == test and cfg in e.configs for e in REGRESSION), (test, cfg)
    for e in REGRESSION:
        assert isinstance(e, RegressionEntry) and e.seeds and e.timeout_s > 0


def test_lane_weight_counts_equal_the_slot_layout_sum() -> None:
    """The vectorised per-lane weight count equals summing the contract's slot layout."""
    from golden.config import slot_layout
    rng = np.random.default_rng(5)
    for hw in (BRINGUP_4X2, REGRESSION_8X8):
        for mode in StealMode:
            for _ in range(4):
                stim = st.random_layer(rng, hw, mode=mode)
                nrp = st.nnz_row_partition(stim.W, hw)
                want = {(h, v): int(sum(nrp[s.row, s.partition]
                                        for s in slot_layout(hw, stim.layer, h, v)))
                        for h, v in hw.lanes()}
                assert st.lane_weight_counts(stim.W, hw, stim.layer) == want


def test_predictor_worker_answers_like_the_in_process_model() -> None:
    """The forked prediction worker returns exactly expected_for's result, in any ask order,
    reports a failing prediction as an error, and leaves no process behind."""
    from tb.matvec.scoreboard import Predictor
    hw = BRINGUP_4X2
    rng = np.random.default_rng(3)
    items = []
    for i, mode in enumerate(StealMode):
        stim = st.random_layer(rng, hw, mode=mode, name=f"p{i}")
        items.append(MatvecItem.from_stimulus(stim))
    pred = Predictor(hw, workers=1)
    try:
        for item in items:
            pred.submit(item)
        for item in reversed(items):
            got, want = pred.expected(item), expected_for(item, hw)
            assert np.array_equal(got.y, want.y)
            assert got.perf.counters() == want.perf.counters()
            assert got.perf.trace == want.perf.trace
            assert got.facts == want.facts
        broken = items[0].clone_same_data("broken")
        broken.x = broken.x[:-1]                     # wrong length: the golden model raises
        pred.submit(broken)
        with pytest.raises(RuntimeError, match="failed in the worker"):
            pred.expected(broken)
        pred.submit(items[1])
        pred.discard(items[1])
    finally:
        proc = pred._proc
        pred.close()
    assert not proc.is_alive()


@pytest.mark.parametrize("hw", HWS, ids=IDS)
def test_golden_coverage_facts_equal_the_ones_from_matching_dut_results(hw) -> None:
    """The coverage collector takes a passed product's result-dependent bins from the golden
    prediction (tb.matvec.coverage.ProductFacts); computed from DUT values equal to the golden ones
    (what 'passed' means) they must be the same bins, dual-thief winners included."""
    rng = np.random.default_rng(11)
    stims = [st.random_layer(rng, hw, mode=m, name=f"f{i}") for i, m in enumerate(StealMode)]
    stims += [st.rr_contention_layer(rng, hw, StealMode.HORIZONTAL)]
    seen_dual = False
    for stim in stims:
        item = MatvecItem.from_stimulus(stim)
        exp = expected_for(item, hw)
        lanes = {(h, v): dict(exp.perf.lanes.words(h, v)) for h, v in hw.lanes()}
        dut_side = product_facts(item.W, item.x, np.array(exp.y), lanes, hw, item.layer)
        assert dut_side == exp.facts
        seen_dual |= bool(exp.facts.dual_wins)
    assert seen_dual


def test_hex_words_of_both_simulators(tmp_path) -> None:
    from tb.common.bfm import read_hex_words
    f = tmp_path / "w.hex"
    f.write_text("0001\nfffe\n7fff\n")                          # Verilator: one word a line
    assert read_hex_words(f).tolist() == [1, 0xFFFE, 0x7FFF]
    f.write_text("ffffffff\n00000010\n")
    assert read_hex_words(f).tolist() == [0xFFFFFFFF, 0x10]
    f.write_text("// 0x00000000\n0001\n0002 // 0x1\n")           # Icarus address comments
    assert read_hex_words(f).tolist() == [1, 2]
    f.write_text("1\nff\n")                                      # mixed widths
    assert read_hex_words(f).tolist() == [1, 255]


@pytest.mark.parametrize("hw", [BRINGUP_4X2, REGRESSION_8X8], ids=["4x2", "8x8"])
def test_null_word_layers_hit_the_n1_corners(hw):
    """null_word_layer (NullSkipSequence) produces every N1 row-boundary corner, and
    null_skip_corners sees exactly what the masks say on a hand-made product."""
    from tb.matvec.coverage import null_skip_corners
    rng = np.random.default_rng(5)
    stim = st.null_word_layer(rng, hw, StealMode.NONE)
    assert st.fits(stim.W, hw, stim.layer)
    assert set(null_skip_corners(stim.W, stim.x, hw, stim.layer)) == {
        "first_word_null", "last_word_null", "all_words_null"}
    # one lane column, K = 2: row 0 effective only in word 1, row 1 only in word 0,
    # row 2 weights only where x = 0 (claimed, all null)
    N = 2 * hw.B * hw.V                      # P = 2B: K = 2 words per row task
    W = np.zeros((3, N), dtype=np.int8)
    x = np.ones(N, dtype=np.int16)
    x[3] = 0
    W[0, hw.B + 1] = 1
    W[1, 2] = 1
    W[2, 3] = 1
    layer = LayerConfig(3, N)
    assert partition_width(hw, N) == 2 * hw.B
    assert null_skip_corners(W[:1], x, hw, LayerConfig(1, N)) == ["first_word_null"]
    assert null_skip_corners(W[1:2], x, hw, LayerConfig(1, N)) == ["last_word_null"]
    assert null_skip_corners(W, x, hw, layer) == ["first_word_null", "last_word_null",
                                                  "all_words_null"]
    flags = {(0, 0): {"FLAGS": int(PerfFlag.ZERO_WORK_STEAL)}}
    assert "zero_work_steal" in null_skip_corners(W, x, hw, layer, flags)


@pytest.mark.parametrize("mode", [StealMode.NONE, StealMode.VERTICAL])
def test_product_facts_keep_null_skip_corners_in_their_field(mode):
    """A NULL_SKIP product's N1 corners land in ProductFacts.null_skip in every steal mode (a
    positional argument once put them into split_events, and masr.null_skip stopped closing)."""
    from golden.config import FEAT_NULL_SKIP

    hw = BRINGUP_4X2
    M, N = 8, 64                                    # P = 32: two 16-bit words per row task
    W = np.zeros((M, N), dtype=np.int8)
    W[:, 0] = 1                                     # first word: weight, activation 0 -> null
    W[:, 20] = 2                                    # second word: an effective op
    x = np.zeros(N, dtype=np.int16)
    x[20] = 256
    layer = LayerConfig(M=M, N=N, mode=mode, rep_rows=1 if mode else 0, feat=FEAT_NULL_SKIP)
    lanes = {(h, v): {} for h in range(hw.H) for v in range(hw.V)}
    facts = product_facts(W, x, np.zeros(M, np.int16), lanes, hw, layer)
    assert "first_word_null" in facts.null_skip
    assert facts.split_events == ()
