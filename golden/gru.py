"""Fixed-point GRU layer built on the bit-exact matvec, its float reference and error bound.

Equations (PyTorch convention, gate order r, z, n; docs/numerics.md section 4):
    gx = W_ih x_t + b_ih            (one 3H x I matvec on the lane array)
    gh = W_hh h_{t-1} + b_hh        (one 3H x H matvec on the lane array)
    r  = sigmoid(gx_r + gh_r)
    z  = sigmoid(gx_z + gh_z)
    n  = tanh(gx_n + r * gh_n)
    h_t = (1 - z) * n + z * h_{t-1} = n + z * (h_{t-1} - n)
    h_t = sparsify(h_t, threshold)  (activation encoder: |h| < threshold -> 0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from golden.config import HwConfig, LayerConfig, StealMode
from golden.encode import ActivationImage, encode_activations, encode_matvec
from golden.errors import SpecError
from golden.matvec import matvec_from_image, matvec_q
from golden.numerics import (
    INT16_MAX, Q88_ONE, SIGMOID_MAX_ERR_LSB, TANH_MAX_ERR_LSB, as_int_array, check_shift,
    dequantize_weights, float_to_q88, mul_q88, q88_to_float, quantize_weights, sat16,
    sigmoid_q88, tanh_q88,
)

MatvecFn = Callable[[np.ndarray, np.ndarray, np.ndarray, int], np.ndarray]
LSB = 1.0 / Q88_ONE


# -- parameters ---------------------------------------------------------------------------------

def _gate_shapes(name: str, W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray,
                 b_hh: np.ndarray) -> tuple[int, int]:
    """Validate the PyTorch-layout shapes; return (inputs, hidden)."""
    if W_ih.ndim != 2 or W_ih.shape[0] % 3 or W_ih.shape[0] == 0 or W_ih.shape[1] == 0:
        raise SpecError(f"{name}.W_ih has shape {W_ih.shape}, expected (3*hidden, inputs) "
                        f"with hidden, inputs >= 1")
    hidden, inputs = W_ih.shape[0] // 3, W_ih.shape[1]
    expect = {"W_hh": (3 * hidden, hidden), "b_ih": (3 * hidden,), "b_hh": (3 * hidden,)}
    for field, arr in (("W_hh", W_hh), ("b_ih", b_ih), ("b_hh", b_hh)):
        if arr.shape != expect[field]:
            raise SpecError(f"{name}.{field} has shape {arr.shape}, expected {expect[field]} "
                            f"for hidden={hidden}")
    return inputs, hidden


class _GruSizes:
    """Layer sizes read off the weight shapes (shared by the fixed-point and float parameters)."""
    W_ih: np.ndarray
    W_hh: np.ndarray

    @property
    def hidden(self) -> int:
        return self.W_hh.shape[1]

    @property
    def inputs(self) -> int:
        return self.W_ih.shape[1]


@dataclass(frozen=True)
class GruParamsQ(_GruSizes):
    """Quantized GRU weights: INT8 (real q / 2^shift) and Q8.8 biases, PyTorch layout."""

    W_ih: np.ndarray   # int8 (3H, I), rows r | z | n
    W_hh: np.ndarray   # int8 (3H, H)
    b_ih: np.ndarray   # int16 (3H,)
    b_hh: np.ndarray   # int16 (3H,)
    shift: int = 6

    def __post_init__(self) -> None:
        check_shift(self.shift)
        arrays = {}
        for field, bits, ndim in (("W_ih", 8, 2), ("W_hh", 8, 2), ("b_ih", 16, 1),
                                  ("b_hh", 16, 1)):
            arrays[field] = as_int_array(f"GruParamsQ.{field}", getattr(self, field), bits, ndim)
            dtype = np.int8 if bits == 8 else np.int16
            object.__setattr__(self, field, arrays[field].astype(dtype))
        _gate_shapes("GruParamsQ", **arrays)


@dataclass(frozen=True)
class GruParamsF(_GruSizes):
    W_ih: np.ndarray
    W_hh: np.ndarray
    b_ih: np.ndarray
    b_hh: np.ndarray

    def __post_init__(self) -> None:
        for field in ("W_ih", "W_hh", "b_ih", "b_hh"):
            arr = np.asarray(getattr(self, field), dtype=np.float64)
            if not np.all(np.isfinite(arr)):
                raise SpecError(f"GruParamsF.{field} contains NaN or infinity")
            object.__setattr__(self, field, arr)
        _gate_shapes("GruParamsF", self.W_ih, self.W_hh, self.b_ih, self.b_hh)


def quantize_gru_params(p: GruParamsF, shift: int = 6) -> GruParamsQ:
    return GruParamsQ(quantize_weights(p.W_ih, shift), quantize_weights(p.W_hh, shift),
                      float_to_q88(p.b_ih), float_to_q88(p.b_hh), shift)


def dequantize_gru_params(p: GruParamsQ) -> GruParamsF:
    return GruParamsF(dequantize_weights(p.W_ih, p.shift), dequantize_weights(p.W_hh, p.shift),
                      q88_to_float(p.b_ih), q88_to_float(p.b_hh))


def random_gru_params(rng: np.random.Generator, inputs: int, hidden: int,
                      density: float = 0.5, w_scale: float = 0.5,
                      b_scale: float = 0.25) -> GruParamsF:
    """Float parameters: weights uniform in [-w_scale, w_scale] kept with ``density``."""
    if not 0.0 <= density <= 1.0:
        raise SpecError(f"density={density} must be in [0, 1]")
    if inputs < 1 or hidden < 1:
        raise SpecError(f"inputs={inputs} and hidden={hidden} must be >= 1")

    def weights(rows: int, cols: int) -> np.ndarray:
        keep = rng.random((rows, cols)) < density
        return np.where(keep, rng.uniform(-w_scale, w_scale, (rows, cols)), 0.0)

    return GruParamsF(weights(3 * hidden, inputs), weights(3 * hidden, hidden),
                      rng.uniform(-b_scale, b_scale, 3 * hidden),
                      rng.uniform(-b_scale, b_scale, 3 * hidden))


# -- activation encoder -------------------------------------------------------------------------

def check_threshold(threshold: int) -> int:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, np.integer)) \
            or not 0 <= threshold <= INT16_MAX:
        raise SpecError(f"threshold={threshold!r} must be an int in [0, {INT16_MAX}] (Q8.8)")
    return int(threshold)


def sparsify(h: np.ndarray, threshold: int) -> np.ndarray:
    """|h| < threshold -> 0 (threshold in Q8.8 LSBs; 0 keeps every value)."""
    thr = check_threshold(threshold)
    hi = as_int_array("h", h, 16, None)
    return np.where(np.abs(hi) < thr, 0, hi).astype(np.int16)


def encode_hidden(h: np.ndarray, threshold: int, hw: HwConfig,
                  mode: StealMode = StealMode.NONE) -> tuple[np.ndarray, ActivationImage]:
    """Activation encoder: sparsified h_t and its mask words + packed values per partition."""
    hs = sparsify(h, threshold)
    if hs.ndim != 1:
        raise SpecError(f"h must be 1-D, got shape {hs.shape}")
    return hs, encode_activations(hs, hw, len(hs), mode)


def image_matvec(hw: HwConfig, mode: StealMode = StealMode.NONE, rep_rows: int = 0) -> MatvecFn:
    """A matvec that runs through encode_matvec + matvec_from_image (the RTL's data path)."""
    def run(W: np.ndarray, x: np.ndarray, bias: np.ndarray, shift: int) -> np.ndarray:
        layer = LayerConfig(W.shape[0], W.shape[1], mode, rep_rows, shift)
        return matvec_from_image(encode_matvec(W, x, bias, hw, layer))
    return run


# -- fixed-point layer --------------------------------------------------------------------------

@dataclass(frozen=True)
class GruTrace:
    """Every value the DUT produces per step (for scoreboards): all int16."""

    h: np.ndarray    # (T, H) hidden states after sparsification
    gx: np.ndarray   # (T, 3H) W_ih x_t + b_ih
    gh: np.ndarray   # (T, 3H) W_hh h_{t-1} + b_hh
    r: np.ndarray    # (T, H)
    z: np.ndarray    # (T, H)
    n: np.ndarray    # (T, H)


def gru_gates_q(gx: np.ndarray, gh: np.ndarray, h: np.ndarray,
                threshold: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Element-wise unit: (r, z, n, h_new) from the two matvec results (all Q8.8 int16)."""
    gx64, gh64, h64 = (np.asarray(a, dtype=np.int64) for a in (gx, gh, h))
    Hd = len(h64)
    gx_r, gx_z, gx_n = gx64[:Hd], gx64[Hd:2 * Hd], gx64[2 * Hd:]
    gh_r, gh_z, gh_n = gh64[:Hd], gh64[Hd:2 * Hd], gh64[2 * Hd:]
    r = sigmoid_q88(sat16(gx_r + gh_r)).astype(np.int64)
    z = sigmoid_q88(sat16(gx_z + gh_z)).astype(np.int64)
    n = tanh_q88(sat16(gx_n + mul_q88(r, gh_n))).astype(np.int64)
    # n + z*(h-n) lies between n and h, so the sat16 never clips; it only fixes the width.
    h_new = sparsify(sat16(n + mul_q88(z, h64 - n)), threshold)
    return r.astype(np.int16), z.astype(np.int16), n.astype(np.int16), h_new


def _check_sequence(x_seq: np.ndarray, inputs: int, float_ok: bool) -> np.ndarray:
    if float_ok:
        xs = np.asarray(x_seq, dtype=np.float64)
    else:
        xs = as_int_array("x_seq", x_seq, 16, None)
    if xs.ndim != 2:
        raise SpecError(f"x_seq must be 2-D (T, inputs), got shape {xs.shape}")
    if xs.shape[0] < 1:
        raise SpecError(f"x_seq has T={xs.shape[0]} steps, T must be >= 1")
    if xs.shape[1] != inputs:
        raise SpecError(f"x_seq has {xs.shape[1]} inputs per step, the weights expect {inputs}")
    return xs


def _initial_state(h0: Optional[np.ndarray], hidden: int) -> np.ndarray:
    if h0 is None:
        return np.zeros(hidden, dtype=np.int64)
    h = as_int_array("h0", h0, 16, 1)
    if h.shape != (hidden,):
        raise SpecError(f"h0 has shape {h.shape}, expected ({hidden},)")
    return h


def gru_layer_q(x_seq: np.ndarray, params: GruParamsQ, h0: Optional[np.ndarray] = None,
                threshold: int = 0, matvec: MatvecFn = matvec_q) -> GruTrace:
    """Run T steps in fixed point; ``matvec`` lets callers route products through the images."""
    xs = _check_sequence(x_seq, params.inputs, float_ok=False)
    check_threshold(threshold)
    h = _initial_state(h0, params.hidden)
    steps = []
    for x_t in xs:
        gx = matvec(params.W_ih, x_t.astype(np.int16), params.b_ih, params.shift)
        gh = matvec(params.W_hh, h.astype(np.int16), params.b_hh, params.shift)
        r, z, n, h_new = gru_gates_q(gx, gh, h, threshold)
        steps.append((h_new, gx, gh, r, z, n))
        h = h_new.astype(np.int64)
    stacked = [np.stack(col).astype(np.int16) for col in zip(*steps)]
    return GruTrace(*stacked)


@dataclass(frozen=True)
class BiGruTrace:
    out: np.ndarray      # (T, 2H): [forward h_t | backward h_t]
    fwd: GruTrace
    bwd: GruTrace        # in the backward pass's own (reversed) time order


def bigru_layer_q(x_seq: np.ndarray, fwd: GruParamsQ, bwd: GruParamsQ,
                  h0_fwd: Optional[np.ndarray] = None, h0_bwd: Optional[np.ndarray] = None,
                  threshold: int = 0, matvec: MatvecFn = matvec_q) -> BiGruTrace:
    """Bidirectional layer: the backward pass sees x reversed; its outputs are re-reversed."""
    xs = _check_sequence(x_seq, fwd.inputs, float_ok=False)
    if bwd.inputs != fwd.inputs:
        raise SpecError(f"backward weights expect {bwd.inputs} inputs, forward {fwd.inputs}")
    tf = gru_layer_q(xs, fwd, h0_fwd, threshold, matvec)
    tb = gru_layer_q(xs[::-1], bwd, h0_bwd, threshold, matvec)
    return BiGruTrace(np.concatenate([tf.h, tb.h[::-1]], axis=1), tf, tb)


# -- float reference ----------------------------------------------------------------------------

def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def gru_layer_float(x_seq: np.ndarray, params: GruParamsF,
                    h0: Optional[np.ndarray] = None) -> np.ndarray:
    """Dense float64 GRU (same equations, no threshold); returns h (T, H)."""
    xs = _check_sequence(x_seq, params.inputs, float_ok=True)
    Hd = params.hidden
    h = np.zeros(Hd) if h0 is None else np.asarray(h0, dtype=np.float64)
    if h.shape != (Hd,):
        raise SpecError(f"h0 has shape {h.shape}, expected ({Hd},)")
    out = []
    for x_t in xs:
        gx = params.W_ih @ x_t + params.b_ih
        gh = params.W_hh @ h + params.b_hh
        r = _sigmoid(gx[:Hd] + gh[:Hd])
        z = _sigmoid(gx[Hd:2 * Hd] + gh[Hd:2 * Hd])
        n = np.tanh(gx[2 * Hd:] + r * gh[2 * Hd:])
        h = (1.0 - z) * n + z * h
        out.append(h)
    return np.stack(out)


def bigru_layer_float(x_seq: np.ndarray, fwd: GruParamsF, bwd: GruParamsF,
                      h0_fwd: Optional[np.ndarray] = None,
                      h0_bwd: Optional[np.ndarray] = None) -> np.ndarray:
    xs = _check_sequence(x_seq, fwd.inputs, float_ok=True)
    hf = gru_layer_float(xs, fwd, h0_fwd)
    hb = gru_layer_float(xs[::-1], bwd, h0_bwd)
    return np.concatenate([hf, hb[::-1]], axis=1)


# -- error bound (derivation in docs/numerics.md section 5) -------------------------------------

def _row_l1(W: np.ndarray, shift: int) -> np.ndarray:
    """Per-gate max row L1 norm of the real-valued weights: array of 3 (r, z, n)."""
    Hd = W.shape[0] // 3
    l1 = np.abs(W.astype(np.float64)).sum(axis=1) / (1 << shift)
    return np.array([l1[g * Hd:(g + 1) * Hd].max() for g in range(3)])


def _gate_max(b: np.ndarray) -> np.ndarray:
    Hd = len(b) // 3
    a = np.abs(b.astype(np.float64)) * LSB
    return np.array([a[g * Hd:(g + 1) * Hd].max() for g in range(3)])


def gru_error_bound(params: GruParamsQ, x_seq: np.ndarray, h0: Optional[np.ndarray] = None,
                    threshold: int = 0, param_rounding: bool = False) -> np.ndarray:
    """Per-step bound e_t on max_j |h_q[t, j] / 256 - h_float[t, j]| (real units), shape (T,).

    The float reference runs ``dequantize_gru_params(params)`` on ``x_seq / 256`` when
    ``param_rounding`` is False. With ``param_rounding`` True it may instead use the original
    float parameters, input and h0 from which ``params``, ``x_seq`` and ``h0`` were obtained by
    round-to-nearest without clipping (quantize_gru_params / float_to_q88).
    Raises SpecError when a matvec or gate pre-activation could saturate (bound not valid).
    """
    xs = _check_sequence(x_seq, params.inputs, float_ok=False)
    check_threshold(threshold)
    h0q = _initial_state(h0, params.hidden)
    S, I, Hd, u = params.shift, params.inputs, params.hidden, LSB
    w_err = (2.0 ** -(S + 1)) if param_rounding else 0.0      # per-weight rounding error
    v_err = u / 2 if param_rounding else 0.0                   # per Q8.8 value rounding error
    x_max = np.abs(xs).max() * u
    h_max = max(1.0, np.abs(h0q).max() * u) + v_err
    ax = _row_l1(params.W_ih, S) + I * w_err                   # real-weight norms (upper)
    ah = _row_l1(params.W_hh, S) + Hd * w_err
    gx_max = ax * x_max + _gate_max(params.b_ih) + v_err
    gh_max = ah * h_max + _gate_max(params.b_hh) + v_err
    worst = gx_max + gh_max + 2 * u
    if worst.max() > INT16_MAX * u:
        g = "rzn"[int(worst.argmax())]
        raise SpecError(f"gate {g} pre-activation can reach {worst.max():.3f} > "
                        f"{INT16_MAX * u:.3f}: Q8.8 saturation possible, bound not valid")
    # Errors of one matvec output (real units): floor of requant + parameter/input rounding.
    d_gx = u + I * w_err * x_max + ax * v_err + v_err
    eps_s, eps_t = SIGMOID_MAX_ERR_LSB * u, TANH_MAX_ERR_LSB * u
    thr_err = max(0, threshold - 1) * u
    e = v_err                                                  # h0 rounding
    bounds = []
    for _ in range(len(xs)):
        d_gh = u + ah * e + Hd * w_err * h_max + v_err
        d_r = eps_s + (d_gx[0] + d_gh[0]) / 4
        d_z = eps_s + (d_gx[1] + d_gh[1]) / 4
        d_n = eps_t + d_gx[2] + d_gh[2] + gh_max[2] * d_r + u / 2
        e = max(d_n, e) + (h_max + 1.0) * d_z + u / 2 + thr_err
        e = min(e, 2.0 * h_max)    # trivial cap: |h_q| and |h_float| are both <= h_max
        bounds.append(e)
    return np.array(bounds)


def _max_slope_sigmoid(p: np.ndarray, d: np.ndarray) -> np.ndarray:
    """max sigmoid'(q) for q in [p - d, p + d] (sigmoid' peaks at 0 and is even)."""
    q = np.maximum(np.abs(p) - d, 0.0)
    s = _sigmoid(q)
    return s * (1.0 - s)


def _max_slope_tanh(p: np.ndarray, d: np.ndarray) -> np.ndarray:
    q = np.maximum(np.abs(p) - d, 0.0)
    return 1.0 - np.tanh(q) ** 2


def _check_no_saturation(gx: np.ndarray, d_gx: np.ndarray, gh: np.ndarray,
                         d_gh: np.ndarray) -> None:
    """The fixed-point matvec outputs and gate sums must stay inside Q8.8 for the bound."""
    worst = np.abs(gx) + d_gx + np.abs(gh) + d_gh
    if worst.max() > INT16_MAX * LSB:
        raise SpecError(f"a gate pre-activation can reach {worst.max():.3f} > "
                        f"{INT16_MAX * LSB:.3f}: Q8.8 saturation possible, bound not valid")


def gru_error_bound_trajectory(params_q: GruParamsQ, x_seq_q: np.ndarray,
                               params_f: Optional[GruParamsF] = None,
                               x_seq_f: Optional[np.ndarray] = None,
                               h0_q: Optional[np.ndarray] = None,
                               h0_f: Optional[np.ndarray] = None,
                               threshold: int = 0) -> np.ndarray:
    """Element-wise bound (T, H) on |h_q / 256 - h_float| along the float trajectory.

    Same inequalities as gru_error_bound, but per hidden unit, with the exact parameter and
    input rounding errors (params_f / x_seq_f default to the dequantized values) and with the
    local slopes of sigmoid/tanh over the interval the fixed-point pre-activation can be in,
    and the actual z in the (1-z) n + z h blend. Valid when no Q8.8 value saturates.
    """
    xq = _check_sequence(x_seq_q, params_q.inputs, float_ok=False)
    check_threshold(threshold)
    pf = dequantize_gru_params(params_q) if params_f is None else params_f
    xf = q88_to_float(xq) if x_seq_f is None else _check_sequence(x_seq_f, pf.inputs, True)
    if xf.shape != xq.shape:
        raise SpecError(f"x_seq_f has shape {xf.shape}, x_seq_q {xq.shape}")
    pd = dequantize_gru_params(params_q)
    Hd, u = params_q.hidden, LSB
    hq0 = _initial_state(h0_q, Hd)
    h = q88_to_float(hq0) if h0_f is None else np.asarray(h0_f, dtype=np.float64)
    e = np.abs(q88_to_float(hq0) - h)
    hq_max = max(1.0, float(np.abs(hq0).max()) * u)   # |h_q| never exceeds this (section 5)
    dW_ih, dW_hh = np.abs(pd.W_ih - pf.W_ih), np.abs(pd.W_hh - pf.W_hh)
    db_ih, db_hh = np.abs(pd.b_ih - pf.b_ih), np.abs(pd.b_hh - pf.b_hh)
    absU = np.abs(pd.W_hh)
    eps_s, eps_t = SIGMOID_MAX_ERR_LSB * u, TANH_MAX_ERR_LSB * u
    thr_err = max(0, threshold - 1) * u
    slack = 1e-9   # covers float64 rounding of the reference itself
    sl = {g: slice(g * Hd, (g + 1) * Hd) for g in range(3)}
    bounds = []
    for x_q, x_f in zip(q88_to_float(xq), xf):
        gx = pf.W_ih @ x_f + pf.b_ih
        gh = pf.W_hh @ h + pf.b_hh
        d_gx = u + dW_ih @ np.abs(x_q) + np.abs(pf.W_ih) @ np.abs(x_q - x_f) + db_ih + slack
        d_gh = u + absU @ e + dW_hh @ np.abs(h) + db_hh + slack
        _check_no_saturation(gx, d_gx, gh, d_gh)
        p_r, p_z = gx[sl[0]] + gh[sl[0]], gx[sl[1]] + gh[sl[1]]
        d_pr, d_pz = d_gx[sl[0]] + d_gh[sl[0]], d_gx[sl[1]] + d_gh[sl[1]]
        r, z = _sigmoid(p_r), _sigmoid(p_z)
        d_r = eps_s + d_pr * _max_slope_sigmoid(p_r, d_pr)
        d_z = eps_s + d_pz * _max_slope_sigmoid(p_z, d_pz)
        p_n = gx[sl[2]] + r * gh[sl[2]]
        r_hi = np.minimum(1.0, r + d_r)
        d_pn = d_gx[sl[2]] + r_hi * d_gh[sl[2]] + np.abs(gh[sl[2]]) * d_r + u / 2
        n = np.tanh(p_n)
        d_n = eps_t + d_pn * _max_slope_tanh(p_n, d_pn)
        # (1 - z_q) d_n + z_q e is linear in z_q: its max sits at an end of z_q's interval.
        z_lo, z_hi = np.maximum(0.0, z - d_z), np.minimum(1.0, z + d_z)
        blend = np.maximum((1 - z_lo) * d_n + z_lo * e, (1 - z_hi) * d_n + z_hi * e)
        e = blend + np.abs(h - n) * d_z + u / 2 + thr_err
        h = (1.0 - z) * n + z * h
        # Trivial cap: both states are bounded, so the error never exceeds |h_q| + |h_f|.
        e = np.minimum(e, hq_max + np.abs(h))
        bounds.append(e)
    return np.stack(bounds)
