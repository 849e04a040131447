"""golden.config: presets, validation messages, and the work decomposition of contract s.3."""

import dataclasses

import pytest
from hypothesis import given, settings, strategies as st

from golden.config import (
    BRINGUP_4X2, REGRESSION_8X8, HwConfig, LayerConfig, StealMode, act_segment, lane_row_of,
    max_slots_needed, neighbours, out_cycles, partition_bounds, partition_width, rep_start,
    replica_base, replica_rows, row_of, rows_of_lane, slot_layout, slots_needed, words_per_row,
)
from golden.errors import SpecError


def test_bringup_preset_derived_values():
    hw = BRINGUP_4X2
    assert (hw.P_MAX, hw.KW_MAX, hw.R_MAX, hw.MDEPTH) == (32, 2, 16, 64)
    assert (hw.n_lanes, hw.n_pes, hw.name, hw.QDEPTH) == (8, 4, "4x2", 8)
    assert (hw.AMASK_DEPTH, hw.AVAL_DEPTH) == (6, 96)


def test_regression_preset_derived_values():
    hw = REGRESSION_8X8
    assert (hw.P_MAX, hw.KW_MAX, hw.R_MAX, hw.MDEPTH) == (32, 2, 32, 96)
    assert (hw.n_lanes, hw.n_pes, hw.name) == (64, 32, "8x8")


def test_paper_scale_config_is_allowed():
    hw = HwConfig(H=32, V=32, M_MAX=2048, N_MAX=2048, SLOTS=80, WDEPTH=8192)
    assert hw.n_lanes == 1024 and hw.P_MAX == 64 and hw.KW_MAX == 4 and hw.name == "32x32"
    hw.check_rtl_limits()


def test_capacities_are_required_keywords():
    with pytest.raises(TypeError):
        HwConfig(4, 2)  # type: ignore[call-arg]


def test_lane_and_pe_indices():
    hw = BRINGUP_4X2
    assert hw.lane_index(3, 1) == 7 and hw.pe_index(1, 1) == 3
    assert hw.pe_of_lane(3, 1) == (1, 1)
    assert list(hw.lanes())[:3] == [(0, 0), (0, 1), (1, 0)]
    assert len(list(hw.pes())) == hw.n_pes


BASE = dict(H=4, V=2, B=16, G=2, M_MAX=64, N_MAX=64, SLOTS=32, WDEPTH=512)


@pytest.mark.parametrize("change, message", [
    (dict(H=3), r"HwConfig\.H=3 must be a power of two >= 1"),
    (dict(V=0), r"HwConfig\.V=0 must be a power of two >= 1"),
    (dict(B=12), r"HwConfig\.B=12 must be one of 8, 16, 32"),
    (dict(G=3), r"HwConfig\.G=3 must be >= 1 and divide H=4"),
    (dict(H=1), r"HwConfig\.G=2 must be >= 1 and divide H=1"),
    (dict(M_MAX=0), r"HwConfig\.M_MAX=0 must be >= 1"),
    (dict(SLOTS=-1), r"HwConfig\.SLOTS=-1 must be >= 1"),
    (dict(WDEPTH=0), r"HwConfig\.WDEPTH=0 must be >= 1"),
    (dict(QDEPTH=0), r"HwConfig\.QDEPTH=0 must be >= 1"),
    (dict(H=4.0), r"HwConfig\.H must be an int, got 4\.0"),
    (dict(N_MAX=True), r"HwConfig\.N_MAX must be an int, got True"),
])
def test_hwconfig_validation_messages(change, message):
    with pytest.raises(SpecError, match=message):
        HwConfig(**{**BASE, **change})


@pytest.mark.parametrize("change, message", [
    (dict(H=256, G=1), r"HwConfig\.H=256 exceeds 128, the limit of CAPS\[15:8\]"),
    (dict(WDEPTH=70000), r"HwConfig\.WDEPTH=70000 exceeds 65535"),
    (dict(M_MAX=65536), r"HwConfig\.M_MAX=65536 exceeds 65535"),
])
def test_rtl_limits(change, message):
    hw = HwConfig(**{**BASE, **change})   # fine for the perf model ...
    with pytest.raises(SpecError, match=message):
        hw.check_rtl_limits()              # ... but not loadable into the RTL


def test_spec_error_is_value_error():
    assert issubclass(SpecError, ValueError)


@pytest.mark.parametrize("kwargs, message", [
    (dict(M=0, N=4), r"LayerConfig\.M=0 must be >= 1"),
    (dict(M=4, N=-1), r"LayerConfig\.N=-1 must be >= 1"),
    (dict(M=4, N=4, mode=3), r"LayerConfig\.mode=3 must be 0 \(none\), 1 \(vertical\) or 2"),
    (dict(M=4, N=4, rep_rows=-1), r"LayerConfig\.rep_rows=-1 must be >= 0"),
    (dict(M=4, N=4, shift=16), r"LayerConfig\.shift=16 must be in 0\.\.15"),
    (dict(M=4, N=4, shift=-1), r"LayerConfig\.shift=-1 must be in 0\.\.15"),
    (dict(M=4.5, N=4), r"LayerConfig\.M must be an int"),
])
def test_layerconfig_validation_messages(kwargs, message):
    with pytest.raises(SpecError, match=message):
        LayerConfig(**kwargs)


def test_layerconfig_mode_is_coerced():
    assert LayerConfig(M=4, N=4, mode=2).mode is StealMode.HORIZONTAL
    assert dataclasses.replace(LayerConfig(4, 4), shift=0).shift == 0


def test_check_fits_dimension_messages():
    with pytest.raises(SpecError, match=r"LayerConfig\.M=65 exceeds M_MAX=64 \(over by 1\)"):
        LayerConfig(65, 8).check_fits(BRINGUP_4X2)
    with pytest.raises(SpecError, match=r"LayerConfig\.N=70 exceeds N_MAX=64 \(over by 6\)"):
        LayerConfig(8, 70).check_fits(BRINGUP_4X2)


def test_check_fits_slots_message_names_lane_and_parts():
    LayerConfig(64, 64, StealMode.VERTICAL, rep_rows=16).check_fits(BRINGUP_4X2)  # 16+16 = 32
    layer = LayerConfig(64, 64, StealMode.HORIZONTAL, rep_rows=16)
    with pytest.raises(SpecError, match=r"lane \(1,0\) needs 48 row slots \(R=16, Q_prev=16, "
                                        r"Q_next=16\), SLOTS is 32 \(over by 16\)"):
        layer.check_fits(BRINGUP_4X2)


hw_strategy = st.sampled_from([
    BRINGUP_4X2, REGRESSION_8X8,
    HwConfig(1, 1, B=8, G=1, M_MAX=20, N_MAX=20, SLOTS=40, WDEPTH=400),
    HwConfig(2, 4, B=32, G=1, M_MAX=50, N_MAX=70, SLOTS=40, WDEPTH=400),
])


@settings(max_examples=60, deadline=None)
@given(hw=hw_strategy, data=st.data())
def test_rows_and_partitions_cover_exactly_once(hw, data):
    M = data.draw(st.integers(1, hw.M_MAX))
    N = data.draw(st.integers(1, hw.N_MAX))
    assert sum(rows_of_lane(hw, M, h) for h in range(hw.H)) == M
    rows = sorted(row_of(hw, h, i) for h in range(hw.H) for i in range(rows_of_lane(hw, M, h)))
    assert rows == list(range(M))
    for r in rows:
        h, i = lane_row_of(hw, r)
        assert row_of(hw, h, i) == r and i < rows_of_lane(hw, M, h)
    cols = [c for v in range(hw.V) for c in range(*partition_bounds(hw, N, v))]
    assert cols == list(range(N))
    P = partition_width(hw, N)
    assert words_per_row(hw, N) * hw.B >= P > (words_per_row(hw, N) - 1) * hw.B
    assert out_cycles(hw, M) == -(-M // hw.H)


def test_empty_partition_exists_for_small_n():
    hw = HwConfig(4, 4, G=1, M_MAX=8, N_MAX=8, SLOTS=8, WDEPTH=64)
    assert partition_width(hw, 5) == 2
    assert [partition_bounds(hw, 5, v) for v in range(4)] == [(0, 2), (2, 4), (4, 5), (5, 5)]


def test_lane_rows_beyond_m_are_empty():
    assert [rows_of_lane(REGRESSION_8X8, 3, h) for h in range(8)] == [1, 1, 1, 0, 0, 0, 0, 0]


def test_neighbours_by_mode_and_edges():
    hw = BRINGUP_4X2
    assert neighbours(hw, StealMode.NONE, 1, 0) == (None, None)
    assert neighbours(hw, StealMode.VERTICAL, 1, 0) == (None, (1, 1))
    assert neighbours(hw, StealMode.VERTICAL, 1, 1) == ((1, 0), None)
    assert neighbours(hw, StealMode.HORIZONTAL, 0, 1) == (None, (1, 1))
    assert neighbours(hw, StealMode.HORIZONTAL, 2, 1) == ((1, 1), (3, 1))
    assert neighbours(hw, StealMode.HORIZONTAL, 3, 0) == ((2, 0), None)


def test_replicas_are_the_victims_tail_rows():
    hw = BRINGUP_4X2
    layer = LayerConfig(M=10, N=8, mode=StealMode.HORIZONTAL, rep_rows=2)
    # lane-rows own 3, 3, 2, 2 rows
    assert [replica_rows(hw, layer, h) for h in range(4)] == [2, 2, 2, 2]
    assert [rep_start(hw, layer, h) for h in range(4)] == [1, 1, 0, 0]
    refs = slot_layout(hw, layer, 1, 0)
    assert [(r.kind, r.victim, r.local_row, r.row) for r in refs] == [
        ("own", (1, 0), 0, 1), ("own", (1, 0), 1, 5), ("own", (1, 0), 2, 9),
        ("prev", (0, 0), 1, 4), ("prev", (0, 0), 2, 8),
        ("next", (2, 0), 0, 2), ("next", (2, 0), 1, 6),
    ]
    assert [r.slot for r in refs] == list(range(7))
    assert replica_base(hw, layer, 1, 0, "prev") == 3
    assert replica_base(hw, layer, 1, 0, "next") == 5
    assert slots_needed(hw, layer, 1, 0) == 7 and max_slots_needed(hw, layer) == 7
    assert all(r.seg == 0 and r.partition == 0 for r in refs)


def test_vertical_replicas_use_neighbour_partition_and_segment():
    layer = LayerConfig(M=8, N=8, mode=StealMode.VERTICAL, rep_rows=5)
    refs = slot_layout(BRINGUP_4X2, layer, 0, 1)
    expected = [("own", 1, 0)] * 2 + [("prev", 0, 1)] * 2
    assert [(r.kind, r.partition, r.seg) for r in refs] == expected
    assert act_segment(StealMode.VERTICAL, "next") == 2
    assert act_segment(StealMode.HORIZONTAL, "next") == 0
    with pytest.raises(SpecError, match=r"side='up' must be 'prev' or 'next'"):
        replica_base(BRINGUP_4X2, layer, 0, 0, "up")


def test_mode_none_ignores_rep_rows():
    layer = LayerConfig(M=64, N=64, mode=StealMode.NONE, rep_rows=10)
    assert all(len(slot_layout(BRINGUP_4X2, layer, h, v)) == 16 for h, v in BRINGUP_4X2.lanes())


def test_numpy_integers_are_normalised():
    import numpy as np
    hw = HwConfig(np.int64(4), np.int32(2), M_MAX=np.int64(64), N_MAX=64, SLOTS=32, WDEPTH=512)
    layer = LayerConfig(np.int64(3), np.int16(5), mode=np.int64(1), shift=np.int8(4))
    assert type(hw.H) is int and type(layer.M) is int and type(layer.shift) is int
    assert layer.mode is StealMode.VERTICAL and hw == BRINGUP_4X2
    with pytest.raises(SpecError, match=r"LayerConfig\.M must be an int, got np\.True_|"
                                        r"LayerConfig\.M must be an int, got True"):
        LayerConfig(np.bool_(True), 4)


def test_cfg_feat_register_rules():
    """CFG_FEAT (contract section 6): undefined bits and ROW_SKIP or SCAN without NULL_SKIP are
    SpecError for any build; bits the build does not offer (CAPS5 = feat_available) fail
    check_fits with the reason; NULL_SKIP / ROW_SKIP / SPLIT / RUN_AHEAD / SCAN need
    QDEPTH >= 2."""
    from golden.config import (BRINGUP_4X2, FEAT_NULL_SKIP, FEAT_OVERLAP, FEAT_PREFETCH,
                               FEAT_ROW_SKIP, FEAT_RUN_AHEAD, FEAT_SCAN, FEAT_SPLIT, HwConfig,
                               LayerConfig)
    with pytest.raises(SpecError, match="undefined bits"):
        LayerConfig(4, 4, feat=0x100)
    with pytest.raises(SpecError, match="ROW_SKIP tests a row .* needs NULL_SKIP"):
        LayerConfig(4, 4, feat=FEAT_ROW_SKIP)
    with pytest.raises(SpecError, match="SCAN tests a row .* needs NULL_SKIP"):
        LayerConfig(4, 4, feat=FEAT_SCAN)
    scan = LayerConfig(4, 4, feat=FEAT_NULL_SKIP | FEAT_SCAN)
    assert scan.perf_features.scan_rows and not scan.perf_features.skip_empty_rows
    scan.check_fits(BRINGUP_4X2)
    with pytest.raises(SpecError, match="needs PREFETCH"):
        LayerConfig(4, 4, feat=FEAT_OVERLAP | FEAT_RUN_AHEAD)
    LayerConfig(4, 4, feat=FEAT_OVERLAP | FEAT_PREFETCH | FEAT_RUN_AHEAD).check_fits(BRINGUP_4X2)
    layer = LayerConfig(4, 4, feat=FEAT_NULL_SKIP | FEAT_ROW_SKIP)
    assert layer.perf_features.null_word_skip and layer.perf_features.skip_empty_rows
    layer.check_fits(BRINGUP_4X2)
    LayerConfig(4, 4, feat=FEAT_OVERLAP).check_fits(BRINGUP_4X2)
    no_overlap = dataclasses.replace(BRINGUP_4X2, FEAT_IMPL=BRINGUP_4X2.FEAT_IMPL & ~FEAT_OVERLAP)
    with pytest.raises(SpecError, match="does not implement OVERLAP"):
        LayerConfig(4, 4, feat=FEAT_OVERLAP).check_fits(no_overlap)
    q1 = HwConfig(H=4, V=2, M_MAX=64, N_MAX=64, SLOTS=32, WDEPTH=512, QDEPTH=1)
    assert q1.feat_available == q1.FEAT_IMPL & ~(FEAT_NULL_SKIP | FEAT_ROW_SKIP | FEAT_SPLIT |
                                                 FEAT_RUN_AHEAD | FEAT_SCAN)
    for feat in (FEAT_NULL_SKIP, FEAT_SPLIT, FEAT_OVERLAP | FEAT_PREFETCH | FEAT_RUN_AHEAD,
                 FEAT_NULL_SKIP | FEAT_SCAN):
        with pytest.raises(SpecError, match="QDEPTH >= 2"):
            LayerConfig(4, 4, feat=feat).check_fits(q1)
    LayerConfig(4, 4, feat=FEAT_OVERLAP).check_fits(q1)
    with pytest.raises(SpecError, match="FEAT_IMPL"):
        HwConfig(H=4, V=2, M_MAX=64, N_MAX=64, SLOTS=32, WDEPTH=512, FEAT_IMPL=0x180)
    # (0x180 sets bit 8, which no build has: SCAN is bit 7)
