"""golden.matvec: image-driven product == dense bit-exact product == independent reference."""

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from golden.config import BRINGUP_4X2, REGRESSION_8X8, HwConfig, LayerConfig, StealMode
from golden.encode import encode_matvec, random_sparse_layer
from golden.errors import ImageError, SpecError
from golden.matvec import (
    lane_accumulators, lane_addresses, lane_ops, matvec_float, matvec_from_image, matvec_q,
)

CONFIGS = [
    BRINGUP_4X2, REGRESSION_8X8,
    HwConfig(1, 1, B=8, G=1, M_MAX=24, N_MAX=40, SLOTS=40, WDEPTH=1024),
    HwConfig(2, 4, B=32, G=1, M_MAX=40, N_MAX=70, SLOTS=40, WDEPTH=1024),
]


def reference_y(W, x, bias, shift):
    """Independent reading of contract section 2 with Python integers."""
    out = []
    for r in range(W.shape[0]):
        acc = sum(int(w) * int(a) for w, a in zip(W[r], x))
        total = acc + int(bias[r]) * 2**shift
        total = (total + 2**31) % 2**32 - 2**31
        out.append(min(32767, max(-32768, total // 2**shift)))
    return np.array(out, dtype=np.int16)


@st.composite
def cases(draw):
    hw = draw(st.sampled_from(CONFIGS))
    M = draw(st.integers(1, min(hw.M_MAX, 48)))
    N = draw(st.integers(1, hw.N_MAX))
    density = st.sampled_from([0.0, 0.2, 0.9, 1.0]) | st.floats(0.0, 1.0)
    layer = LayerConfig(M, N, draw(st.sampled_from(list(StealMode))),
                        rep_rows=draw(st.integers(0, 5)), shift=draw(st.integers(0, 15)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    a_max = draw(st.sampled_from([256, 4096, 32767]))
    W, x, b = random_sparse_layer(rng, M, N, draw(density), draw(density),
                                  skew=draw(st.sampled_from([0.0, 0.2])), a_max=a_max,
                                  bias_max=32767)
    return hw, layer, W, x, b


@settings(max_examples=120, deadline=None)
@given(cases())
def test_image_path_equals_dense_equals_reference(case):
    hw, layer, W, x, b = case
    try:
        img = encode_matvec(W, x, b, hw, layer)
    except SpecError as err:
        assume("weight SRAM" not in str(err))
        raise
    y_img = matvec_from_image(img)
    y_q = matvec_q(W, x, b, layer.shift)
    assert y_img.dtype == np.int16 and y_q.dtype == np.int16
    assert np.array_equal(y_img, y_q)
    assert np.array_equal(y_q, reference_y(W, x, b, layer.shift))


@pytest.mark.parametrize("mode", list(StealMode))
def test_full_size_regression_config(mode):
    rng = np.random.default_rng(2)
    W, x, b = random_sparse_layer(rng, 256, 256, 0.1, 0.5, skew=0.1, a_max=32767)
    img = encode_matvec(W, x, b, REGRESSION_8X8, LayerConfig(256, 256, mode, rep_rows=4))
    assert np.array_equal(matvec_from_image(img), matvec_q(W, x, b, 6))


def test_accumulator_wraps_identically():
    hw = HwConfig(1, 1, G=1, M_MAX=2, N_MAX=1024, SLOTS=2, WDEPTH=2048)
    W = np.full((2, 1024), 127, dtype=np.int8)
    W[1] = -128
    x = np.full(1024, 32767, dtype=np.int16)
    b = np.zeros(2, dtype=np.int16)
    img = encode_matvec(W, x, b, hw, LayerConfig(2, 1024, shift=0))
    acc = lane_accumulators(img)[(0, 0)]
    assert acc.tolist() == [((127 * 32767 * 1024 + 2**31) % 2**32) - 2**31,
                            ((-128 * 32767 * 1024 + 2**31) % 2**32) - 2**31]
    assert np.array_equal(matvec_from_image(img), reference_y(W, x, b, 0))
    assert np.array_equal(matvec_q(W, x, b, 0), reference_y(W, x, b, 0))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(list(StealMode)))
def test_scalar_walker_matches_vectorized_addresses(seed, mode):
    rng = np.random.default_rng(seed)
    hw = CONFIGS[3]
    W, x, b = random_sparse_layer(rng, 13, 70, 0.4, 0.6)
    img = encode_matvec(W, x, b, hw, LayerConfig(13, 70, mode, rep_rows=2))
    for h, v in hw.lanes():
        slots, w_addr, a_addr = lane_addresses(img, h, v)
        walked = [(s, op.w_addr, op.a_addr) for s in range(len(img.layout(h, v)))
                  for op in lane_ops(img, h, v, s)]
        assert walked == list(zip(slots.tolist(), w_addr.tolist(), a_addr.tolist()))


def test_addresses_follow_prefix_sums():
    W = np.zeros((4, 64), dtype=np.int8)
    x = np.zeros(64, dtype=np.int16)
    W[0, [1, 3, 17, 20]] = [1, 2, 3, 4]      # lane (0,0), word 0 bits 1,3; word 1 bits 1,4
    x[[0, 3, 17, 20, 21]] = [9, 8, 7, 6, 5]
    img = encode_matvec(W, x, np.zeros(4, np.int16), BRINGUP_4X2, LayerConfig(4, 64))
    ops = list(lane_ops(img, 0, 0, 0))
    assert [(o.k, o.b, o.w_addr, o.a_addr) for o in ops] == [(0, 3, 1, 1), (1, 1, 2, 2),
                                                            (1, 4, 3, 3)]
    assert matvec_from_image(img)[0] == (2 * 8 + 3 * 7 + 4 * 6) >> 6


def test_replica_segments_address_the_right_partition():
    rng = np.random.default_rng(9)
    W, x, b = random_sparse_layer(rng, 16, 64, 0.7, 0.7)
    img = encode_matvec(W, x, b, BRINGUP_4X2, LayerConfig(16, 64, StealMode.VERTICAL, 2))
    slots, _, a_addr = lane_addresses(img, 2, 0)
    replica = slots >= 4                      # 4 own rows, then next-side (segment 2) replicas
    assert (a_addr[replica] >= 2 * BRINGUP_4X2.P_MAX).all()
    assert (a_addr[~replica] < BRINGUP_4X2.P_MAX).all()


def sample(mode=StealMode.HORIZONTAL):
    rng = np.random.default_rng(4)
    W, x, b = random_sparse_layer(rng, 20, 40, 0.6, 0.8)
    return encode_matvec(W, x, b, BRINGUP_4X2, LayerConfig(20, 40, mode, rep_rows=2))


def test_weight_pointer_out_of_range_is_err_wptr():
    img = sample()
    ptr = img.rowptr[(0, 0)].copy()
    ptr[0] = BRINGUP_4X2.WDEPTH - 1
    img.rowptr[(0, 0)] = ptr
    with pytest.raises(ImageError, match=r"lane \(0,0\) computes weight address \d+ >= "
                                         r"WDEPTH=512 \(ERR_WPTR\)"):
        matvec_from_image(img)


def test_corrupt_replica_is_detected():
    img = sample()
    refs = img.layout(1, 1)
    slot = next(r.slot for r in refs if r.kind == "prev")
    start = int(img.rowptr[(1, 1)][slot])
    weights = img.weight[(1, 1)].copy()
    weights[start] = 1 if weights[start] != 1 else 2
    img.weight[(1, 1)] = weights
    with pytest.raises(ImageError, match=r"lane \(1,1\) slot \d+: replica of row \d+ sums to"):
        matvec_from_image(img)
    matvec_from_image(img, check_replicas=False)   # own rows are still fine


def test_matvec_float_is_the_real_value_of_the_fixed_point_result():
    rng = np.random.default_rng(8)
    W, x, b = random_sparse_layer(rng, 30, 50, 0.5, 0.5, a_max=256, bias_max=256)
    S = 6
    y_f = matvec_float(W / 2**S, x / 256, b / 256)
    # No saturation here, so the only difference is the floor of the arithmetic shift.
    assert np.array_equal(matvec_q(W, x, b, S), np.floor(y_f * 256).astype(np.int16))


@pytest.mark.parametrize("args, message", [
    ((np.zeros((2, 3), np.int8), np.zeros(2, np.int16), np.zeros(2, np.int16), 6),
     r"x has shape \(2,\), expected \(3,\) to match W \(2, 3\)"),
    ((np.zeros((2, 3), np.int8), np.zeros(3, np.int16), np.zeros(3, np.int16), 6),
     r"bias has shape \(3,\), expected \(2,\) to match W \(2, 3\)"),
    ((np.zeros((2, 3), np.int8), np.zeros(3, np.int16), np.zeros(2, np.int16), 16),
     r"shift=16 must be in 0\.\.15"),
    ((np.zeros((2, 3), np.float32), np.zeros(3, np.int16), np.zeros(2, np.int16), 6),
     r"W must have an integer dtype, got float32"),
])
def test_matvec_q_errors(args, message):
    with pytest.raises(SpecError, match=message):
        matvec_q(*args)
