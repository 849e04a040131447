"""golden.gru: fixed-point GRU vs an independent step, the image path, the float GRU and bounds."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from golden.config import BRINGUP_4X2, REGRESSION_8X8, StealMode
from golden.encode import unpack_words
from golden.errors import SpecError
from golden.gru import (
    GruParamsF, GruParamsQ, bigru_layer_float, bigru_layer_q, dequantize_gru_params,
    encode_hidden, gru_error_bound, gru_error_bound_trajectory, gru_gates_q, gru_layer_float,
    gru_layer_q, image_matvec, quantize_gru_params, random_gru_params, sparsify,
)
from golden.numerics import float_to_q88, q88_to_float, sigmoid_q88, tanh_q88


def make(seed, inputs, hidden, T, density=0.5, w_scale=0.3, shift=6, x_range=2.0):
    rng = np.random.default_rng(seed)
    pf = random_gru_params(rng, inputs, hidden, density, w_scale)
    xf = rng.uniform(-x_range, x_range, (T, inputs))
    return pf, quantize_gru_params(pf, shift), xf, float_to_q88(xf)


# -- bit-exact behaviour -----------------------------------------------------------------------

def independent_step(pq: GruParamsQ, x, h, threshold):
    """One GRU step written out per element with Python ints (docs/numerics.md section 4)."""
    Hd, S = pq.hidden, pq.shift

    def mv(W, v, b):
        out = []
        for row, bias in zip(W.astype(int), b.astype(int)):
            acc = sum(int(w) * int(a) for w, a in zip(row, v))
            total = (acc + bias * 2**S + 2**31) % 2**32 - 2**31
            out.append(min(32767, max(-32768, total // 2**S)))
        return out

    def clamp(a):
        return min(32767, max(-32768, a))

    gx, gh = mv(pq.W_ih, x, pq.b_ih), mv(pq.W_hh, h, pq.b_hh)
    h_new = []
    for j in range(Hd):
        r = int(sigmoid_q88(clamp(gx[j] + gh[j])))
        z = int(sigmoid_q88(clamp(gx[Hd + j] + gh[Hd + j])))
        n = int(tanh_q88(clamp(gx[2 * Hd + j] + (r * gh[2 * Hd + j] + 128) // 256)))
        hj = n + (z * (int(h[j]) - n) + 128) // 256
        h_new.append(0 if abs(hj) < threshold else hj)
    return h_new


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(1, 6), st.integers(1, 4),
       st.sampled_from([0, 10, 100]), st.sampled_from([0.3, 1.5]))
def test_layer_matches_independent_step(seed, inputs, hidden, T, threshold, w_scale):
    _, pq, _, xq = make(seed, inputs, hidden, T, w_scale=w_scale, x_range=8.0)
    trace = gru_layer_q(xq, pq, threshold=threshold)
    h = [0] * hidden
    for t in range(T):
        h = independent_step(pq, xq[t], h, threshold)
        assert trace.h[t].tolist() == h


def test_zero_weights_halve_the_state():
    pq = GruParamsQ(np.zeros((6, 3), np.int8), np.zeros((6, 2), np.int8),
                    np.zeros(6, np.int16), np.zeros(6, np.int16))
    trace = gru_layer_q(np.zeros((2, 3), np.int16), pq, h0=np.array([100, -101], np.int16))
    # r = z = 0.5, n = 0: h' = round(h / 2) half up
    assert trace.r[0].tolist() == [128, 128] and trace.n[0].tolist() == [0, 0]
    assert trace.h.tolist() == [[50, -50], [25, -25]]


def test_trace_shapes_and_dtypes():
    _, pq, _, xq = make(1, 5, 4, 3)
    tr = gru_layer_q(xq, pq)
    assert tr.h.shape == (3, 4) and tr.gx.shape == (3, 12) and tr.gh.shape == (3, 12)
    assert all(a.dtype == np.int16 for a in (tr.h, tr.gx, tr.gh, tr.r, tr.z, tr.n))
    r, z, n, h = gru_gates_q(tr.gx[0], tr.gh[0], np.zeros(4, np.int16))
    assert np.array_equal(h, tr.h[0]) and np.array_equal(n, tr.n[0])


@pytest.mark.parametrize("hw, mode", [(BRINGUP_4X2, StealMode.VERTICAL),
                                      (REGRESSION_8X8, StealMode.HORIZONTAL)])
def test_image_path_gru_is_bit_exact(hw, mode):
    _, pq, _, xq = make(3, 20, 16, 4, density=0.4)
    ref = gru_layer_q(xq, pq, threshold=20)
    via_images = gru_layer_q(xq, pq, threshold=20, matvec=image_matvec(hw, mode, rep_rows=2))
    for a, b in zip(ref.__dict__.values(), via_images.__dict__.values()):
        assert np.array_equal(a, b)


# -- activation encoder ------------------------------------------------------------------------

def test_sparsify_threshold():
    h = np.array([-300, -20, -19, 0, 19, 20, 256], np.int16)
    assert sparsify(h, 20).tolist() == [-300, -20, 0, 0, 0, 20, 256]
    assert sparsify(h, 0).tolist() == h.tolist()


def test_encode_hidden_masks_match_sparsified_state():
    h = np.array([5, -40, 0, 300, 2, -1, 90, 33, 0, 1], np.int16)
    hs, acts = encode_hidden(h, 10, BRINGUP_4X2, StealMode.VERTICAL)
    assert hs.tolist() == [0, -40, 0, 300, 0, 0, 90, 33, 0, 0]
    bits = unpack_words(acts.words, 16)[:, :5].reshape(-1)       # P = 5 per partition
    assert bits.tolist() == (hs != 0).tolist()
    assert [v.tolist() for v in acts.values] == [[-40, 300], [90, 33]]


def test_threshold_makes_hidden_state_sparse():
    _, pq, _, xq = make(5, 8, 32, 6, w_scale=0.2)
    dense = gru_layer_q(xq, pq, threshold=0).h
    sparse = gru_layer_q(xq, pq, threshold=26).h                  # ~0.1, as in E-LSTM
    assert (sparse == 0).mean() > (dense == 0).mean()
    assert not ((np.abs(sparse) < 26) & (sparse != 0)).any()


# -- bidirectional -----------------------------------------------------------------------------

def test_bigru_concatenates_forward_and_reversed_backward():
    _, fwd, _, xq = make(7, 6, 5, 4)
    _, bwd, _, _ = make(8, 6, 5, 4)
    bi = bigru_layer_q(xq, fwd, bwd, threshold=5)
    assert bi.out.shape == (4, 10) and bi.out.dtype == np.int16
    assert np.array_equal(bi.out[:, :5], gru_layer_q(xq, fwd, threshold=5).h)
    assert np.array_equal(bi.out[:, 5:], gru_layer_q(xq[::-1], bwd, threshold=5).h[::-1])
    assert np.array_equal(bi.bwd.h[::-1], bi.out[:, 5:])


def test_bigru_float_and_fixed_agree_within_bounds():
    pf_f, fwd, xf, xq = make(9, 6, 5, 5)
    pf_b, bwd, _, _ = make(10, 6, 5, 5)
    out_q = bigru_layer_q(xq, fwd, bwd).out / 256
    out_f = bigru_layer_float(q88_to_float(xq), dequantize_gru_params(fwd),
                              dequantize_gru_params(bwd))
    b_f = gru_error_bound_trajectory(fwd, xq)
    b_b = gru_error_bound_trajectory(bwd, xq[::-1])[::-1]
    assert (np.abs(out_q - out_f) <= np.concatenate([b_f, b_b], axis=1)).all()


# -- quantization error bound vs the float GRU -------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 24), st.integers(1, 24), st.integers(1, 12),
       st.floats(0.05, 0.6), st.floats(0.1, 1.0), st.sampled_from([0, 8, 26]))
def test_trajectory_bound_holds(seed, inputs, hidden, T, w_scale, density, threshold):
    pf, pq, xf, xq = make(seed, inputs, hidden, T, density, w_scale)
    h_q = gru_layer_q(xq, pq, threshold=threshold).h / 256
    # Reference 1: the float GRU on exactly the quantized parameters and inputs.
    bound = gru_error_bound_trajectory(pq, xq, threshold=threshold)
    h_f = gru_layer_float(q88_to_float(xq), dequantize_gru_params(pq))
    assert (np.abs(h_q - h_f) <= bound).all()
    # Reference 2: the float GRU on the original float parameters and inputs.
    bound2 = gru_error_bound_trajectory(pq, xq, pf, xf, threshold=threshold)
    h_f2 = gru_layer_float(xf, pf)
    assert (np.abs(h_q - h_f2) <= bound2).all()


@pytest.mark.parametrize("seed", range(4))
def test_trajectory_bound_is_informative_for_moderate_weights(seed):
    # Hidden 16, density 0.5, |w| <= 0.3: the bound stays within 32 LSB (0.125) over 8 steps.
    _, pq, _, xq = make(seed, 16, 16, 8)
    bound = gru_error_bound_trajectory(pq, xq)
    err = np.abs(gru_layer_q(xq, pq).h / 256
                 - gru_layer_float(q88_to_float(xq), dequantize_gru_params(pq)))
    assert bound.max() * 256 < 32 and (err <= bound).all()
    assert err.max() * 256 < 4


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 12), st.integers(1, 12), st.integers(1, 10),
       st.sampled_from([0, 20]), st.booleans())
def test_apriori_bound_holds_and_dominates(seed, inputs, hidden, T, threshold, rounding):
    pf, pq, xf, xq = make(seed, inputs, hidden, T, density=0.5, w_scale=0.08)
    apriori = gru_error_bound(pq, xq, threshold=threshold, param_rounding=rounding)
    if rounding:
        local = gru_error_bound_trajectory(pq, xq, pf, xf, threshold=threshold)
        h_f = gru_layer_float(xf, pf)
    else:
        local = gru_error_bound_trajectory(pq, xq, threshold=threshold)
        h_f = gru_layer_float(q88_to_float(xq), dequantize_gru_params(pq))
    err = np.abs(gru_layer_q(xq, pq, threshold=threshold).h / 256 - h_f).max(axis=1)
    assert (err <= apriori).all()
    assert (local.max(axis=1) <= apriori + 1e-12).all()
    assert np.all(np.diff(apriori) >= 0)


@pytest.mark.parametrize("seed", range(2))
def test_observed_error_stays_small_over_long_sequences(seed):
    # Empirical envelope (not a proof): rounding errors of both signs cancel over time.
    _, pq, _, xq = make(seed, 16, 16, 32)
    err = np.abs(gru_layer_q(xq, pq).h / 256
                 - gru_layer_float(q88_to_float(xq), dequantize_gru_params(pq)))
    assert err.max() * 256 < 4


def test_apriori_bound_for_small_weights_is_a_few_lsb_per_step():
    _, pq, _, xq = make(0, 16, 16, 16, w_scale=0.05)
    bound = gru_error_bound(pq, xq)
    assert bound[0] * 256 < 12 and bound[-1] * 256 < 300


def test_bounds_refuse_saturating_layers():
    _, pq, _, xq = make(0, 64, 8, 2, density=1.0, w_scale=1.9, x_range=100.0)
    with pytest.raises(SpecError, match=r"pre-activation can reach .* Q8\.8 saturation"):
        gru_error_bound(pq, xq)
    with pytest.raises(SpecError, match=r"pre-activation can reach .* Q8\.8 saturation"):
        gru_error_bound_trajectory(pq, xq)


# -- validation --------------------------------------------------------------------------------

def small_params():
    return make(0, 3, 2, 1)[1]


@pytest.mark.parametrize("x_seq, message", [
    (np.zeros((0, 3), np.int16), r"x_seq has T=0 steps, T must be >= 1"),
    (np.zeros(3, np.int16), r"x_seq must be 2-D \(T, inputs\), got shape \(3,\)"),
    (np.zeros((2, 4), np.int16), r"x_seq has 4 inputs per step, the weights expect 3"),
    (np.zeros((2, 3)), r"x_seq must have an integer dtype, got float64"),
    (np.full((2, 3), 40000), r"x_seq value 40000 is outside int16 range"),
])
def test_layer_input_errors(x_seq, message):
    with pytest.raises(SpecError, match=message):
        gru_layer_q(x_seq, small_params())


@pytest.mark.parametrize("threshold", [-1, 32768, 1.5, True])
def test_threshold_range(threshold):
    with pytest.raises(SpecError, match=r"threshold=.* must be an int in \[0, 32767\]"):
        gru_layer_q(np.zeros((1, 3), np.int16), small_params(), threshold=threshold)


def test_h0_errors():
    with pytest.raises(SpecError, match=r"h0 has shape \(3,\), expected \(2,\)"):
        gru_layer_q(np.zeros((1, 3), np.int16), small_params(), h0=np.zeros(3, np.int16))
    with pytest.raises(SpecError, match=r"h0 has shape \(3,\), expected \(2,\)"):
        gru_layer_float(np.zeros((1, 3)), dequantize_gru_params(small_params()), h0=np.zeros(3))


def test_param_shape_and_dtype_errors():
    ok = small_params()
    with pytest.raises(SpecError, match=r"GruParamsQ\.W_ih has shape \(5, 3\), expected "
                                        r"\(3\*hidden, inputs\)"):
        GruParamsQ(np.zeros((5, 3), np.int8), ok.W_hh, ok.b_ih, ok.b_hh)
    with pytest.raises(SpecError, match=r"GruParamsQ\.W_hh has shape \(6, 3\), expected "
                                        r"\(6, 2\) for hidden=2"):
        GruParamsQ(ok.W_ih, np.zeros((6, 3), np.int8), ok.b_ih, ok.b_hh)
    with pytest.raises(SpecError, match=r"GruParamsQ\.b_hh has shape \(5,\), expected \(6,\)"):
        GruParamsQ(ok.W_ih, ok.W_hh, ok.b_ih, np.zeros(5, np.int16))
    with pytest.raises(SpecError, match=r"GruParamsQ\.W_ih must have an integer dtype"):
        GruParamsQ(ok.W_ih.astype(float), ok.W_hh, ok.b_ih, ok.b_hh)
    with pytest.raises(SpecError, match=r"shift=16 must be in 0\.\.15"):
        GruParamsQ(ok.W_ih, ok.W_hh, ok.b_ih, ok.b_hh, shift=16)
    with pytest.raises(SpecError, match=r"GruParamsF\.b_ih contains NaN"):
        GruParamsF(np.zeros((6, 3)), np.zeros((6, 2)), np.full(6, np.nan), np.zeros(6))


def test_bigru_direction_mismatch():
    _, fwd, _, xq = make(0, 3, 2, 2)
    _, bwd, _, _ = make(0, 4, 2, 2)
    with pytest.raises(SpecError, match=r"backward weights expect 4 inputs, forward 3"):
        bigru_layer_q(xq, fwd, bwd)


def test_random_gru_params_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(SpecError, match=r"density=2 must be in \[0, 1\]"):
        random_gru_params(rng, 2, 2, density=2)
    with pytest.raises(SpecError, match=r"inputs=0 and hidden=2 must be >= 1"):
        random_gru_params(rng, 0, 2)


def test_encoder_and_bound_input_errors():
    with pytest.raises(SpecError, match=r"h must be 1-D, got shape \(2, 2\)"):
        encode_hidden(np.zeros((2, 2), np.int16), 0, BRINGUP_4X2)
    pf, pq, xf, xq = make(0, 3, 2, 3)
    with pytest.raises(SpecError, match=r"x_seq_f has shape \(2, 3\), x_seq_q \(3, 3\)"):
        gru_error_bound_trajectory(pq, xq, pf, xf[:2])
