"""golden.numerics: contract section 2 arithmetic and the fixed-point non-linearities."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from golden.errors import SpecError
from golden.numerics import (
    SIGMOID_KNOTS, SIGMOID_MAX_ERR_LSB, TANH_KNOTS, TANH_MAX_ERR_LSB, as_int_array,
    dequantize_weights, float_to_q88, knots_from_formula, mul_q88, q88_to_float,
    quantize_weights, requant, round_shift, sat16, sigmoid_q88, tanh_q88, wrap32,
)

ALL_Q88 = np.arange(-32768, 32768, dtype=np.int64)


def test_wrap32_examples():
    assert wrap32(2**31).item() == -2**31
    assert wrap32(-2**31 - 1).item() == 2**31 - 1
    assert wrap32(np.array([2**32 + 5, -7])).tolist() == [5, -7]


@given(st.integers(-2**62, 2**62))
def test_wrap32_is_modular(a):
    w = int(wrap32(a))
    assert -2**31 <= w < 2**31 and (w - a) % 2**32 == 0


def test_sat16_clamps_and_types():
    out = sat16(np.array([-40000, -32768, 0, 32767, 40000]))
    assert out.dtype == np.int16 and out.tolist() == [-32768, -32768, 0, 32767, 32767]


@pytest.mark.parametrize("acc, bias, shift, expected", [
    (1000, 1, 6, 16),                # (1000 + 64) >> 6
    (-1000, 2, 6, -14),              # arithmetic shift floors toward -inf
    (-1, 0, 6, -1),
    (5, -3, 0, 2),                   # shift 0: plain sum
    (2**31 - 1, 1, 0, -32768),       # 2^31 wraps to -2^31, then sat16 clamps low
    (2**40, 0, 15, 0),               # wrap32(2^40) = 0
    (-(2**30), 0, 6, -32768),        # saturates low
    (2**30, 32767, 15, 32767),
])
def test_requant_examples(acc, bias, shift, expected):
    assert int(requant(acc, bias, shift)) == expected


def test_requant_rejects_bad_shift():
    with pytest.raises(SpecError, match=r"shift=16 must be in 0\.\.15"):
        requant(1, 1, 16)
    with pytest.raises(SpecError, match=r"shift must be an int"):
        requant(1, 1, 1.0)


def test_round_shift_and_mul_q88_round_half_up():
    assert round_shift(np.array([127, 128, -128, -129]), 8).tolist() == [0, 1, 0, -1]
    assert round_shift(5, 0).item() == 5
    assert mul_q88(256, 300).item() == 300
    assert mul_q88(128, 3).item() == 2      # 1.5 LSB rounds up to 2
    assert mul_q88(128, -3).item() == -1    # -1.5 LSB rounds up to -1


def test_knot_tables_match_their_definition():
    assert knots_from_formula("sigmoid") == SIGMOID_KNOTS
    assert knots_from_formula("tanh") == TANH_KNOTS
    with pytest.raises(SpecError, match="kind='relu'"):
        knots_from_formula("relu")


def test_sigmoid_exhaustive_error_symmetry_and_monotonicity():
    s = sigmoid_q88(ALL_Q88).astype(np.int64)
    ref = 1.0 / (1.0 + np.exp(-ALL_Q88 / 256.0))
    assert np.max(np.abs(s / 256.0 - ref)) * 256 <= SIGMOID_MAX_ERR_LSB
    assert s.min() == 0 and s.max() == 256
    assert np.all(np.diff(s) >= 0)
    assert np.array_equal(s[1:][::-1] + s[1:], np.full(65535, 256))   # s(-x) = 256 - s(x)
    assert sigmoid_q88(0).item() == 128 and sigmoid_q88(2048).item() == 256


def test_tanh_exhaustive_error_symmetry_and_monotonicity():
    t = tanh_q88(ALL_Q88).astype(np.int64)
    ref = np.tanh(ALL_Q88 / 256.0)
    assert np.max(np.abs(t / 256.0 - ref)) * 256 <= TANH_MAX_ERR_LSB
    assert t.min() == -256 and t.max() == 256
    assert np.all(np.diff(t) >= 0)
    assert np.array_equal(t[1:][::-1], -t[1:])
    assert tanh_q88(1024).item() == 256 and tanh_q88(-32768).item() == -256


def test_nonlinearities_keep_shape_and_reject_out_of_range():
    assert sigmoid_q88(np.zeros((2, 3), dtype=np.int16)).shape == (2, 3)
    with pytest.raises(SpecError, match=r"tanh_q88 input value 40000 is outside int16"):
        tanh_q88(np.array([40000]))
    with pytest.raises(SpecError, match=r"sigmoid_q88 input must have an integer dtype"):
        sigmoid_q88(np.array([0.5]))


def test_float_q88_conversions():
    assert float_to_q88([0.5, -0.5, 1 / 512, -1 / 512, 200.0, -200.0]).tolist() == [
        128, -128, 1, 0, 32767, -32768]
    assert q88_to_float(np.array([256, -128])).tolist() == [1.0, -0.5]
    with pytest.raises(SpecError, match="NaN or infinity"):
        float_to_q88([math.nan])


def test_quantize_weights_saturates_and_rounds():
    q = quantize_weights([0.5, -0.5, 10.0, -10.0, 1 / 128], 6)
    assert q.dtype == np.int8 and q.tolist() == [32, -32, 127, -128, 1]
    assert dequantize_weights(q, 6)[0] == 0.5
    with pytest.raises(SpecError, match=r"shift=-1 must be in 0\.\.15"):
        quantize_weights([0.0], -1)


@settings(max_examples=50)
@given(st.lists(st.floats(-1.9, 1.9), min_size=1, max_size=20), st.integers(0, 6))
def test_quantize_weights_error_is_half_lsb(values, shift):
    q = quantize_weights(values, shift)
    assert np.all(np.abs(dequantize_weights(q, shift) - values) <= 2.0 ** -(shift + 1) + 1e-12)


def test_as_int_array_messages():
    with pytest.raises(SpecError, match=r"W must have an integer dtype, got float64"):
        as_int_array("W", np.zeros((2, 2)), 8, 2)
    with pytest.raises(SpecError, match=r"W must be 2-D, got shape \(3,\)"):
        as_int_array("W", np.zeros(3, dtype=np.int8), 8, 2)
    with pytest.raises(SpecError, match=r"W value 128 is outside int8 range \[-128, 127\]"):
        as_int_array("W", np.array([[128]]), 8, 2)
    with pytest.raises(SpecError, match=r"x must have an integer dtype, got bool"):
        as_int_array("x", np.array([True]), 16, 1)
