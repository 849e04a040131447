"""Bit-exact fixed-point primitives (docs/architecture.md section 2, docs/numerics.md).

All integer helpers work on numpy int64 internally so that intermediate sums never overflow
before the explicit wrap/saturate steps that model the hardware.
"""

from __future__ import annotations

import math
from typing import Optional, Union

import numpy as np

from golden.config import MAX_SHIFT
from golden.errors import SpecError

ArrayLike = Union[int, np.ndarray, list]

Q88_ONE = 256  # 1.0 in Q8.8
INT16_MIN, INT16_MAX = -(1 << 15), (1 << 15) - 1
INT8_MIN, INT8_MAX = -(1 << 7), (1 << 7) - 1

# -- sigmoid / tanh: 33-knot tables + linear interpolation (docs/numerics.md section 3) -----------
# Knot j of each table is round_half_up(256 * f(j * step)); tests re-derive them from the formula.
SIGMOID_STEP_BITS = 6           # knot spacing 64 LSB = 0.25
SIGMOID_SAT = 32 << SIGMOID_STEP_BITS   # |x| >= 8.0 -> 1.0
SIGMOID_KNOTS = (
    128, 144, 159, 174, 187, 199, 209, 218, 225, 232, 237, 241, 244, 246, 248, 250, 251,
    252, 253, 254, 254, 255, 255, 255, 255, 256, 256, 256, 256, 256, 256, 256, 256,
)
TANH_STEP_BITS = 5              # knot spacing 32 LSB = 0.125
TANH_SAT = 32 << TANH_STEP_BITS         # |x| >= 4.0 -> 1.0
TANH_KNOTS = (
    0, 32, 63, 92, 118, 142, 163, 180, 195, 207, 217, 225, 232, 237, 241, 244, 247,
    249, 250, 252, 253, 253, 254, 254, 255, 255, 255, 255, 256, 256, 256, 256, 256,
)
# Measured exhaustively over all 65536 Q8.8 inputs (tests/test_golden_numerics check it).
SIGMOID_MAX_ERR_LSB = 1.0
TANH_MAX_ERR_LSB = 1.0


def _i64(a: ArrayLike) -> np.ndarray:
    return np.asarray(a, dtype=np.int64)


def check_shift(shift: int) -> int:
    if isinstance(shift, bool) or not isinstance(shift, (int, np.integer)):
        raise SpecError(f"shift must be an int, got {shift!r}")
    if not 0 <= int(shift) <= MAX_SHIFT:
        raise SpecError(f"shift={int(shift)} must be in 0..{MAX_SHIFT}")
    return int(shift)


def as_int_array(name: str, a: object, bits: int, ndim: Optional[int]) -> np.ndarray:
    """Validate an integer array of signed ``bits``-bit values; return it as int64.

    Float arrays are refused even when integral: a float here means the caller forgot to
    quantize, which is exactly the bug this check exists to catch.
    """
    arr = np.asarray(a)
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer):
        raise SpecError(f"{name} must have an integer dtype, got {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise SpecError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if arr.size:
        amin, amax = int(arr.min()), int(arr.max())
        if amin < lo or amax > hi:
            bad = amin if amin < lo else amax
            raise SpecError(f"{name} value {bad} is outside int{bits} range [{lo}, {hi}]")
    return arr.astype(np.int64)


# -- contract section 2 -----------------------------------------------------------------------

def wrap32(a: ArrayLike) -> np.ndarray:
    """Two's-complement wrap to 32 bits (the accumulator's behaviour)."""
    x = _i64(a)
    return ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def sat16(a: ArrayLike) -> np.ndarray:
    """Clamp to [-32768, 32767] and return int16."""
    return np.clip(_i64(a), INT16_MIN, INT16_MAX).astype(np.int16)


def requant(acc: ArrayLike, bias: ArrayLike, shift: int) -> np.ndarray:
    """y = sat16(wrap32(acc + (bias << S)) >>> S); >>> is numpy's arithmetic (floor) shift."""
    s = check_shift(shift)
    return sat16(wrap32(_i64(acc) + (_i64(bias) << s)) >> s)


def round_shift(a: ArrayLike, s: int) -> np.ndarray:
    """Round-half-up right shift: (a + 2^(s-1)) >>> s, the only rounding the datapath uses."""
    x = _i64(a)
    return x if s == 0 else (x + (1 << (s - 1))) >> s


def mul_q88(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """Q8.8 x Q8.8 -> Q8.8 with round-half-up, unsaturated (int64)."""
    return round_shift(_i64(a) * _i64(b), 8)


# -- non-linearities --------------------------------------------------------------------------

def _interp_abs(a: np.ndarray, knots: tuple[int, ...], step_bits: int) -> np.ndarray:
    """f(|x|) for |x| below the saturation point by linear interpolation between knots."""
    table = np.asarray(knots, dtype=np.int64)
    sat_at = (len(knots) - 1) << step_bits
    a_c = np.minimum(a, sat_at - 1)
    idx = a_c >> step_bits
    frac = a_c & ((1 << step_bits) - 1)
    lo, hi = table[idx], table[idx + 1]
    y = lo + round_shift((hi - lo) * frac, step_bits)
    return np.where(a >= sat_at, Q88_ONE, y)


def sigmoid_q88(x: ArrayLike) -> np.ndarray:
    """Fixed-point sigmoid, Q8.8 in -> Q8.8 out in [0, 256]; uses sigmoid(-x) = 1 - sigmoid(x)."""
    xi = as_int_array("sigmoid_q88 input", x, 16, None)
    s = _interp_abs(np.abs(xi), SIGMOID_KNOTS, SIGMOID_STEP_BITS)
    return np.where(xi < 0, Q88_ONE - s, s).astype(np.int16)


def tanh_q88(x: ArrayLike) -> np.ndarray:
    """Fixed-point tanh, Q8.8 in -> Q8.8 out in [-256, 256]; odd symmetry."""
    xi = as_int_array("tanh_q88 input", x, 16, None)
    t = _interp_abs(np.abs(xi), TANH_KNOTS, TANH_STEP_BITS)
    return np.where(xi < 0, -t, t).astype(np.int16)


def knots_from_formula(kind: str) -> tuple[int, ...]:
    """Recompute a knot table from its definition (used by tests and RTL table generators)."""
    if kind == "sigmoid":
        step = 1 << SIGMOID_STEP_BITS
        f = lambda t: 1.0 / (1.0 + math.exp(-t))  # noqa: E731
    elif kind == "tanh":
        step = 1 << TANH_STEP_BITS
        f = math.tanh
    else:
        raise SpecError(f"kind={kind!r} must be 'sigmoid' or 'tanh'")
    return tuple(int(math.floor(Q88_ONE * f(j * step / Q88_ONE) + 0.5)) for j in range(33))


# -- float <-> fixed ---------------------------------------------------------------------------

def _finite(name: str, a: object) -> np.ndarray:
    arr = np.asarray(a, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise SpecError(f"{name} contains NaN or infinity")
    return arr


def _round_half_up(a: np.ndarray) -> np.ndarray:
    return np.floor(a + 0.5)


def float_to_q88(x: object) -> np.ndarray:
    """Round half up to Q8.8 and saturate to int16."""
    q = _round_half_up(_finite("float_to_q88 input", x) * Q88_ONE)
    return np.clip(q, INT16_MIN, INT16_MAX).astype(np.int16)


def q88_to_float(q: ArrayLike) -> np.ndarray:
    return np.asarray(q, dtype=np.float64) / Q88_ONE


def quantize_weights(Wf: object, shift: int) -> np.ndarray:
    """INT8 weights with real value q / 2^S: round half up, saturate to [-128, 127]."""
    s = check_shift(shift)
    q = _round_half_up(_finite("quantize_weights input", Wf) * (1 << s))
    return np.clip(q, INT8_MIN, INT8_MAX).astype(np.int8)


def dequantize_weights(Wq: ArrayLike, shift: int) -> np.ndarray:
    return np.asarray(Wq, dtype=np.float64) / (1 << check_shift(shift))
